// page_bench.mjs - the page's time to first verdict in headless Chromium (playwright-core driving
// /usr/bin/chromium, as tests/e2e/page.test.mjs does): serve web/ with a weight file on a free local
// port, open the page in a fresh browser context (empty cache), drop one sample image on it as soon as
// its DOM is there, and read the time from navigation start until the card shows its verdict
// (performance.now() in the page, recorded by an observer installed before the page's scripts).
//
//   node tests/bench/page_bench.mjs OUT.json WEIGHTS [RUNS]
//
// Prints nothing on success; writes { runs_ms, median_ms, model_ready_ms, ... } to OUT.json.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WEB = path.join(root, 'web');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const sampleDir = process.env.CIFAKE_SAMPLE_DIR || path.resolve(root, '../shared/data/cifake-sample');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm', '.bin': 'application/octet-stream' };

function serve(weights) {
  return new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      const url = new URL(req.url, 'http://localhost');
      let file = url.pathname === '/' ? '/index.html' : decodeURIComponent(url.pathname);
      file = file === '/cifake.bin' ? weights : path.join(WEB, path.normalize(file));
      if (file !== weights && !file.startsWith(WEB + path.sep)) return res.writeHead(403).end();
      fs.readFile(file, (err, data) => {
        if (err) return res.writeHead(404).end();
        res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
        res.end(data);
      });
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

// Installed before the page's own scripts: notes when the model is ready and when the first card is done.
function observeVerdict() {
  window.benchTimes = {};
  new MutationObserver(() => {
    const t = window.benchTimes;
    if (!t.ready && document.documentElement.dataset.model === 'ready') t.ready = performance.now();
    const card = document.querySelector('.card');
    if (!t.verdict && card && (card.dataset.state === 'done' || card.dataset.state === 'error')) {
      t.verdict = performance.now();
      t.state = card.dataset.state;
      t.label = card.dataset.label || null;
    }
  }).observe(document, { subtree: true, attributes: true, childList: true });
}

async function oneRun(chromium, origin, image) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'] });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(observeVerdict);
    await page.goto(`${origin}/`, { waitUntil: 'domcontentloaded' });
    await page.evaluate(([b64]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0))], 'sample.jpg', { type: 'image/jpeg' }));
      const zone = document.querySelector('#dropzone');
      window.benchTimes.drop = performance.now();
      for (const type of ['dragenter', 'dragover', 'drop'])
        zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, [image.toString('base64')]);
    await page.waitForFunction(() => window.benchTimes.verdict, null, { timeout: 60000 });
    const t = await page.evaluate(() => window.benchTimes);
    if (t.state !== 'done') throw new Error('the dropped sample was not classified');
    return t;
  } finally {
    await browser.close();
  }
}

async function main() {
  const [out, weights, runsArg] = process.argv.slice(2);
  if (!out || !weights) {
    console.error('usage: node tests/bench/page_bench.mjs OUT.json WEIGHTS [RUNS]');
    process.exit(2);
  }
  const runs = Number(runsArg || 5);
  const { chromium } = await import('playwright-core');
  const server = await serve(path.resolve(weights));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const image = fs.readFileSync(path.join(sampleDir, 'FAKE', fs.readdirSync(path.join(sampleDir, 'FAKE')).sort()[0]));
  const results = [];
  try {
    for (let i = 0; i < runs; i++) results.push(await oneRun(chromium, origin, image));
  } finally {
    server.close();
  }
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2; };
  const verdicts = results.map((r) => r.verdict), ready = results.map((r) => r.ready);
  const afterDrop = results.map((r) => r.verdict - r.drop);
  const doc = { weights: path.relative(root, path.resolve(weights)), runs: runs, runs_ms: verdicts.map((v) => Number(v.toFixed(1))),
    median_ms: Number(median(verdicts).toFixed(1)), model_ready_median_ms: Number(median(ready).toFixed(1)),
    drop_to_verdict_median_ms: Number(median(afterDrop).toFixed(1)),
    note: 'navigation start (and the drop) to the first verdict shown; fresh browser each run; the sample is dropped at ' +
      'DOMContentLoaded, before the model is ready' };
  fs.writeFileSync(`${out}.tmp`, `${JSON.stringify(doc, null, 1)}\n`);
  fs.renameSync(`${out}.tmp`, out);
}

await main();
