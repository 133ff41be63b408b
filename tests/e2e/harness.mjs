// Shared set-up of the browser tests: a local server for web/ (the weights served as /cifake.bin),
// headless Chromium through playwright-core (Debian's /usr/bin/chromium, no browser download), the
// native CLI as the reference, and small helpers to read the page's cards.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { build, crc32, root, run, shippedWeights } from '../node/helpers.mjs';

export const WEB = path.join(root, 'web');
export const WEIGHTS = process.env.CIFAKE_WEIGHTS || shippedWeights;
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = path.join(root, 'tests/artifacts');
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm', '.bin': 'application/octet-stream', '.png': 'image/png', '.svg': 'image/svg+xml',
};

function need(file, hint) {
  if (!fs.existsSync(file)) throw new Error(`${path.relative(root, file) || file} is missing: ${hint}`);
}

// Serves web/. server.offline = true makes it drop every connection (the network is gone);
// server.rewrite(pathname, fn) changes what a file is served as (a new version of the page; fn null
// serves the file as it is again).
export function startServer({ weights = WEIGHTS } = {}) {
  const rewrites = new Map();
  const served = [];
  return new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      if (s.offline) {
        req.socket.destroy();
        return;
      }
      const url = new URL(req.url, 'http://localhost');
      served.push(url.pathname);
      let file = url.pathname === '/' ? '/index.html' : decodeURIComponent(url.pathname);
      const pathname = file;
      file = file === '/cifake.bin' ? weights : path.join(WEB, path.normalize(file));
      if (file !== weights && !file.startsWith(WEB + path.sep)) {
        res.writeHead(403).end();
        return;
      }
      fs.readFile(file, (err, data) => {
        if (err) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
          return;
        }
        if (rewrites.has(pathname)) data = rewrites.get(pathname)(data);
        res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
        res.end(data);
      });
    });
    s.offline = false;
    s.served = served;
    s.rewrite = (pathname, fn) => (fn ? rewrites.set(pathname, fn) : rewrites.delete(pathname));
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

// The native CLI's verdicts for a list of files: path -> { label, p_fake }.
export function nativeVerdicts(files) {
  const r = run('cifake-detect', ['--json', '--weights', WEIGHTS, ...files]);
  const out = new Map();
  for (const o of JSON.parse(r.stdout)) out.set(o.path, o);
  return out;
}

/** Starts the server and Chromium with a fresh profile and opens the page with the model loaded:
 *  { server, origin, context, page, requests, problems, close() }. hasTouch and isMobile emulate a phone. */
export async function openPage({ viewport = { width: 1280, height: 900 }, weights = WEIGHTS, hasTouch = false, isMobile = false } = {}) {
  need(path.join(WEB, 'cifake.wasm'), 'run `make wasm` first');
  need(path.join(build, 'cifake-detect'), 'run `make` first (the native CLI is the reference)');
  need(weights, 'set CIFAKE_WEIGHTS to a weight file, or train weights/cifake.bin');
  need(CHROMIUM, 'install Debian\'s chromium (apt-get install chromium)');
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new Error('playwright-core is missing: run `npm install`');
  }
  const server = await startServer({ weights });
  const origin = `http://127.0.0.1:${server.address().port}`;
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cifake-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport, hasTouch, isMobile, // a phone: touch screen, mobile viewport
    acceptDownloads: true,
  });
  const page = context.pages()[0] || await context.newPage();
  const requests = [];
  const problems = []; // console errors and uncaught page errors
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  const h = {
    server, origin, context, page, requests, problems,
    async load() {
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => document.documentElement.dataset.model, null, { timeout: 60000 });
      const state = await page.evaluate(() => document.documentElement.dataset.model);
      assert.equal(state, 'ready', `the page could not load the model: ${await page.textContent('#banner')}`);
    },
    async close() {
      await context.close().catch(() => {});
      server.closeAllConnections?.();
      server.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
  try {
    await h.load();
  } catch (e) {
    await h.close(); // a page that failed to load must not keep the browser, the server and the test process alive
    throw e;
  }
  return h;
}

export async function waitForCards(page, n) {
  await page.waitForFunction((count) => {
    const cards = [...document.querySelectorAll('.card')];
    // a done card shows its verdict first, then its image layers (web/cards.js)
    return cards.length >= count && cards.every((c) => ['error', 'stopped'].includes(c.dataset.state) ||
      (c.dataset.state === 'done' && c.dataset.layers === 'drawn'));
  }, n, { timeout: 120000 });
}

export const readCards = (page) => page.$$eval('.card', (cards) => cards.map((c) => ({
  name: c.dataset.name, state: c.dataset.state, label: c.dataset.label || null, scope: c.dataset.scope || null,
  pFake: c.dataset.pFake ? Number(c.dataset.pFake) : null,
  error: c.querySelector('.error').hidden ? null : c.querySelector('.error').textContent,
  verdict: c.querySelector('.verdict').textContent, dims: c.querySelector('.dims').textContent,
  decoder: c.querySelector('.dims').dataset.decoder || null,
})));

export function checkAgainstNative(card, native) {
  assert.ok(card, 'no card');
  assert.equal(card.state, 'done', `${card.name}: ${card.error}`);
  assert.equal(card.label, native.label, `${card.name}: page ${card.label} ${card.pFake}, native ${native.label} ${native.p_fake}`);
  if (card.pFake === null) {
    // an image the model does not judge (too small, out of its scope): the page shows no probability
    assert.ok(card.label === 'UNSURE' && ['too-small', 'out-of-scope'].includes(card.scope), `${card.name}: no P(fake)`);
    if (native.scope) assert.equal(card.scope, native.scope);
    return;
  }
  assert.ok(Math.abs(card.pFake - native.p_fake) <= 5e-5 + 2e-6, `${card.name}: page p ${card.pFake}, native ${native.p_fake}`);
}

/** Files for page.setInputFiles from paths (or { name, buffer, mimeType }). */
export function inputFiles(list) {
  return list.map((f) => (typeof f === 'string'
    ? { name: path.basename(f), mimeType: /\.png$/i.test(f) ? 'image/png' : 'image/jpeg', buffer: fs.readFileSync(f) } : f));
}

// A 24-bit BMP of w x h pixels with smooth colour and some texture, for a photo-sized input.
export function makeBmp(w, h) {
  const row = Math.ceil((w * 3) / 4) * 4;
  const b = Buffer.alloc(54 + row * h);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(w, 18);
  b.writeInt32LE(h, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  b.writeUInt32LE(row * h, 34);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const o = 54 + y * row + x * 3;
      const t = ((x * 31 + y * 17) % 23) * 3;
      b[o] = (x * 255) / w; // blue
      b[o + 1] = ((y * 255) / h + t) & 255; // green
      b[o + 2] = 128 + 100 * Math.sin((x + y) / 40); // red
    }
  return b;
}

/** A copy of a weight file with more metadata entries (the checksum made anew): for models that
 *  state their scope and reliability. */
export function weightsWithMeta(file, extra) {
  const b = fs.readFileSync(file);
  let pos = 12;
  const n = b.readUInt32LE(pos);
  pos += 4;
  const meta = new Map();
  const str = () => { const len = b.readUInt32LE(pos); const v = b.toString('utf8', pos + 4, pos + 4 + len); pos += 4 + len; return v; };
  for (let i = 0; i < n; i++) { const k = str(); meta.set(k, str()); }
  for (const [k, v] of Object.entries(extra)) meta.set(k, v); // replaced in place, or added
  const count = Buffer.alloc(4);
  count.writeUInt32LE(meta.size);
  const parts = [b.subarray(0, 12), count];
  for (const [k, v] of meta)
    for (const s of [k, v]) {
      const len = Buffer.alloc(4);
      len.writeUInt32LE(Buffer.byteLength(s));
      parts.push(len, Buffer.from(s));
    }
  parts.push(b.subarray(pos, b.length - 4));
  const body = Buffer.concat(parts);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(body));
  return Buffer.concat([body, crc]);
}
