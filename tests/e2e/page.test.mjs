// End-to-end test of the web page in headless Chromium (Debian's /usr/bin/chromium via playwright-core):
// serves web/ on a free local port, adds sample images and a broken file through the file input, a
// real drop event and a paste, and checks the verdicts against the native CLI, the heatmap canvas, the
// error card, the table and the CSV export. Saves tests/artifacts/page.png (plus dark and phone views).
// Weights: $CIFAKE_WEIGHTS, else weights/cifake.bin (served as /cifake.bin).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TRAP_MAGIC, build, root, run, sampleImages, shippedWeights, trappingDetectorSource } from '../node/helpers.mjs';

const WEB = path.join(root, 'web');
const WEIGHTS = process.env.CIFAKE_WEIGHTS || shippedWeights;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = path.join(root, 'tests/artifacts');
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm', '.bin': 'application/octet-stream', '.png': 'image/png', '.svg': 'image/svg+xml',
};

let server, origin, context, page, userDataDir;
let serveTrappingDetector = false; // detector.js with a trap for inputs that start with TRAP_MAGIC
const requests = [];
const problems = []; // console errors and uncaught page errors

function need(file, hint) {
  if (!fs.existsSync(file)) throw new Error(`${path.relative(root, file) || file} is missing: ${hint}`);
}

function startServer() {
  return new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      const url = new URL(req.url, 'http://localhost');
      let file = url.pathname === '/' ? '/index.html' : decodeURIComponent(url.pathname);
      file = file === '/cifake.bin' ? WEIGHTS : path.join(WEB, path.normalize(file));
      if (file !== WEIGHTS && !file.startsWith(WEB + path.sep)) {
        res.writeHead(403).end();
        return;
      }
      fs.readFile(file, (err, data) => {
        if (!err && serveTrappingDetector && file === path.join(WEB, 'detector.js')) data = Buffer.from(trappingDetectorSource());
        if (err) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
          return;
        }
        res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
        res.end(data);
      });
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

// The native CLI's verdicts for a list of files: path -> { label, p_fake }.
function nativeVerdicts(files) {
  const r = run('cifake-detect', ['--json', '--weights', WEIGHTS, ...files]);
  const out = new Map();
  for (const o of JSON.parse(r.stdout)) out.set(o.path, o);
  return out;
}

before(async () => {
  need(path.join(WEB, 'cifake.wasm'), 'run `make wasm` first');
  need(path.join(build, 'cifake-detect'), 'run `make` first (the native CLI is the reference)');
  need(WEIGHTS, 'set CIFAKE_WEIGHTS to a weight file, or train weights/cifake.bin');
  need(CHROMIUM, 'install Debian\'s chromium (apt-get install chromium)');
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new Error('playwright-core is missing: run `npm install`');
  }
  server = await startServer();
  origin = `http://127.0.0.1:${server.address().port}`;
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cifake-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  page = context.pages()[0] || await context.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => document.documentElement.dataset.model, null, { timeout: 60000 });
  const state = await page.evaluate(() => document.documentElement.dataset.model);
  assert.equal(state, 'ready', `the page could not load the model: ${await page.textContent('#banner')}`);
});

after(async () => {
  if (context) await context.close();
  if (server) server.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
});

async function waitForCards(n) {
  await page.waitForFunction((count) => {
    const cards = [...document.querySelectorAll('.card')];
    return cards.length >= count && cards.every((c) => c.dataset.state === 'done' || c.dataset.state === 'error');
  }, n, { timeout: 120000 });
}

const readCards = () => page.$$eval('.card', (cards) => cards.map((c) => ({
  name: c.dataset.name, state: c.dataset.state, label: c.dataset.label || null,
  pFake: c.dataset.pFake ? Number(c.dataset.pFake) : null,
  error: c.querySelector('.error').hidden ? null : c.querySelector('.error').textContent,
})));

function checkAgainstNative(card, native) {
  assert.equal(card.state, 'done', `${card.name}: ${card.error}`);
  assert.equal(card.label, native.label, `${card.name}: page ${card.label} ${card.pFake}, native ${native.label} ${native.p_fake}`);
  assert.ok(Math.abs(card.pFake - native.p_fake) <= 5e-5 + 2e-6, `${card.name}: page p ${card.pFake}, native ${native.p_fake}`);
}

test('the page classifies a batch like the native CLI, isolates a broken file and draws heatmaps', async () => {
  // every sample, REAL and FAKE interleaved, with a broken file early on: the ones after it must
  // still be analysed
  const samples = sampleImages();
  const real = samples.filter((s) => s.label === 'REAL');
  const fake = samples.filter((s) => s.label === 'FAKE');
  const picked = [];
  for (let k = 0; k < Math.max(real.length, fake.length); k++) picked.push(...[real[k], fake[k]].filter(Boolean));
  const native = nativeVerdicts(picked.map((s) => s.path));
  const jpeg = fs.readFileSync(picked[0].path);
  const files = picked.map((s) => ({ name: path.basename(s.path), mimeType: 'image/jpeg', buffer: fs.readFileSync(s.path) }));
  files.splice(2, 0, { name: 'broken.jpg', mimeType: 'image/jpeg', buffer: jpeg.subarray(0, Math.floor(jpeg.length / 2)) });
  // watch the progress indicator appear for the batch
  await page.evaluate(() => {
    window.sawProgress = false;
    new MutationObserver(() => { if (!document.querySelector('#progress').hidden) window.sawProgress = true; })
      .observe(document.querySelector('#progress'), { attributes: true });
  });
  await page.setInputFiles('#file-input', files);
  await waitForCards(files.length);
  assert.equal(await page.evaluate(() => window.sawProgress), true, 'no progress indicator for a batch');
  assert.equal(await page.isHidden('#progress'), true, 'the progress indicator stays after the batch');

  const cards = await readCards();
  assert.equal(cards.length, files.length);
  const byName = new Map(cards.map((c) => [c.name, c]));
  const broken = byName.get('broken.jpg');
  assert.equal(broken.state, 'error');
  assert.match(broken.error, /truncated|corrupt/i);
  assert.ok(await page.isVisible('.card[data-name="broken.jpg"] .error'), 'the error is shown on the card');
  for (const s of picked) checkAgainstNative(byName.get(path.basename(s.path)), native.get(s.path));

  // the heatmap canvas has real content, and the opacity, before/after and colour controls change it
  const sel = `.card[data-name="${path.basename(picked[1].path)}"]`;
  const pixels = () => page.$eval(`${sel} canvas.overlay`, (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const colours = new Set();
    let sum = 0;
    for (let k = 0; k < d.length; k += 4) {
      colours.add((d[k] << 16) | (d[k + 1] << 8) | d[k + 2]);
      sum += d[k] + 3 * d[k + 1] + 7 * d[k + 2];
    }
    return { w: c.width, colours: colours.size, sum };
  });
  const withHeat = await pixels();
  assert.ok(withHeat.w >= 256, `canvas is ${withHeat.w} px`);
  assert.ok(withHeat.colours > 100, `only ${withHeat.colours} colours in the overlay`);
  // a card far down a big batch may have to fetch its layers again from the worker: wait for the change
  const changed = (old) => page.waitForFunction(([s, o]) => {
    const c = document.querySelector(`${s} canvas.overlay`);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    for (let k = 0; k < d.length; k += 4) sum += d[k] + 3 * d[k + 1] + 7 * d[k + 2];
    return sum !== o && !document.querySelector(s).classList.contains('busy');
  }, [sel, old], { timeout: 20000 }).then(pixels);
  await page.click(`${sel} .toggle`);
  assert.equal(await page.getAttribute(`${sel} .toggle`, 'aria-pressed'), 'false');
  const plain = await changed(withHeat.sum); // before/after toggle
  assert.equal(await page.textContent(`${sel} .viz-tag`), 'Before');
  await page.click(`${sel} .toggle`);
  assert.equal((await changed(plain.sum)).sum, withHeat.sum, 'toggling back restores the overlay');
  await page.$eval(`${sel} .alpha`, (r) => { r.value = '90'; r.dispatchEvent(new Event('input', { bubbles: true })); });
  const strong = await changed(withHeat.sum); // opacity slider
  await page.selectOption(`${sel} .colormap`, 'viridis');
  await changed(strong.sum); // colour map
  await page.selectOption(`${sel} .method`, 'gradcampp');
  await page.waitForFunction((s) => document.querySelector(`${s} .viz-tag`).textContent.startsWith('Grad-CAM++'), sel);
  const after = await readCards();
  assert.equal(after.find((c) => c.name === path.basename(picked[1].path)).label, native.get(picked[1].path).label);
});

// A 24-bit BMP of w x h pixels with smooth colour and some texture, for a photo-sized input.
function makeBmp(w, h) {
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

test('a real drop event and a paste add images too; a photo-sized image is judged on its centre square', async () => {
  const samples = sampleImages();
  const a = samples.filter((s) => s.label === 'FAKE')[5];
  const b = samples.filter((s) => s.label === 'REAL')[5];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cifake-e2e-'));
  const bmp = path.join(dir, 'photo.bmp');
  fs.writeFileSync(bmp, makeBmp(640, 400));
  const native = nativeVerdicts([a.path, b.path, bmp]);
  const before = (await readCards()).length;
  await page.evaluate(async (list) => {
    const dt = new DataTransfer();
    for (const [name, type, b64] of list)
      dt.items.add(new File([Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0))], name, { type }));
    const zone = document.querySelector('#dropzone');
    for (const type of ['dragenter', 'dragover', 'drop'])
      zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, [['dropped.jpg', 'image/jpeg', fs.readFileSync(a.path).toString('base64')],
    ['photo.bmp', 'image/bmp', fs.readFileSync(bmp).toString('base64')]]);
  await page.evaluate(async ([b64]) => {
    const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'image.jpg', { type: 'image/jpeg' }));
    document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, [fs.readFileSync(b.path).toString('base64')]);
  await waitForCards(before + 3);
  const cards = await readCards();
  checkAgainstNative(cards.find((c) => c.name === 'dropped.jpg'), native.get(a.path));
  checkAgainstNative(cards.find((c) => c.name === 'pasted-1.jpg'), native.get(b.path));
  checkAgainstNative(cards.find((c) => c.name === 'photo.bmp'), native.get(bmp));
  assert.match(await page.textContent('.card[data-name="photo.bmp"] .dims'), /640 × 400 px/);
  assert.match(await page.textContent('.card[data-name="photo.bmp"] .viz-caption'), /centre 400 × 400 square/);
  assert.equal(await page.$eval('.card[data-name="photo.bmp"] canvas.overlay', (c) => c.width), 384);
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(await page.evaluate(() => document.querySelector('#dropzone').classList.contains('dragging')), false);
});

test('the table sorts, exports CSV and JSON, and the model note reads the weight file', async () => {
  const n = (await readCards()).length;
  assert.equal(await page.locator('#table tbody tr').count(), n);
  await page.click('#table th[data-key="pFake"] button');
  assert.equal(await page.getAttribute('#table th[data-key="pFake"]', 'aria-sort'), 'descending');
  await page.waitForTimeout(300);
  const ps = await page.$$eval('#table tbody tr', (rows) => rows.map((r) => r.cells[3].textContent).filter(Boolean).map(Number));
  assert.deepEqual(ps, [...ps].sort((x, y) => y - x));

  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  assert.equal(csv.suggestedFilename(), 'cifake-results.csv');
  const lines = fs.readFileSync(await csv.path(), 'utf8').trim().split(/\r?\n/);
  assert.equal(lines[0], 'index,name,path,label,p_fake,width,height,error');
  assert.equal(lines.length, n + 1);
  assert.ok(lines.some((l) => l.includes('broken.jpg') && /truncated|corrupt/i.test(l)));
  const [json] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  const doc = JSON.parse(fs.readFileSync(await json.path(), 'utf8'));
  assert.equal(doc.results.length, n);
  assert.ok(doc.model.spec);

  const { metadata } = await import('../node/helpers.mjs');
  const meta = metadata(WEIGHTS);
  const acc = await page.textContent('#m-accuracy');
  const auroc = await page.textContent('#m-auroc');
  if ('test_accuracy' in meta) assert.equal(acc, `${(Number(meta.test_accuracy) * 100).toFixed(2)} %`);
  else assert.equal(acc, 'not recorded');
  if ('test_auroc' in meta) assert.equal(auroc, Number(meta.test_auroc).toFixed(4));
  else assert.equal(auroc, 'not recorded');
  assert.equal(await page.textContent('#n-accuracy'), acc);
  assert.equal(await page.textContent('#n-auroc'), auroc);
  assert.match(await page.textContent('.about'), /CIFAKE[\s\S]*32 × 32[\s\S]*not proof/);
});

test('an image that makes the detector core trap gets an error; the images after it are still judged', async () => {
  // a second page whose workers load detector.js with a trap (tests/node/helpers.mjs): the image that
  // starts with TRAP_MAGIC makes the core read far outside its memory, a real WebAssembly trap
  const samples = sampleImages().slice(0, 5);
  const native = nativeVerdicts(samples.map((s) => s.path));
  serveTrappingDetector = true;
  const p = await context.newPage();
  try {
    const errors = [];
    p.on('pageerror', (e) => errors.push(e.message));
    await p.goto(`${origin}/`);
    await p.waitForFunction(() => document.documentElement.dataset.model === 'ready', null, { timeout: 60000 });
    const files = samples.map((s) => ({ name: path.basename(s.path), mimeType: 'image/jpeg', buffer: fs.readFileSync(s.path) }));
    const trap = { name: 'trap.jpg', mimeType: 'image/jpeg', buffer: Buffer.concat([TRAP_MAGIC, files[0].buffer]) };
    files.splice(1, 0, trap, { ...trap, name: 'trap-again.jpg' });
    await p.setInputFiles('#file-input', files);
    await p.waitForFunction((count) => {
      const cards = [...document.querySelectorAll('.card')];
      return cards.length === count && cards.every((c) => c.dataset.state === 'done' || c.dataset.state === 'error');
    }, files.length, { timeout: 120000 });
    const cards = await p.$$eval('.card', (all) => all.map((c) => ({
      name: c.dataset.name, state: c.dataset.state, label: c.dataset.label || null,
      pFake: c.dataset.pFake ? Number(c.dataset.pFake) : null,
      error: c.querySelector('.error').hidden ? null : c.querySelector('.error').textContent,
    })));
    const byName = new Map(cards.map((c) => [c.name, c]));
    for (const name of ['trap.jpg', 'trap-again.jpg']) {
      assert.equal(byName.get(name).state, 'error', name);
      assert.match(byName.get(name).error, /the detector core failed on this input \(.*\); it was restarted/, name);
    }
    for (const s of samples) checkAgainstNative(byName.get(path.basename(s.path)), native.get(s.path));
    assert.equal(await p.evaluate(() => document.documentElement.dataset.model), 'ready');
    assert.deepEqual(errors, []);
  } finally {
    serveTrappingDetector = false;
    await p.close();
  }
});

test('keyboard reaches the controls, nothing left the machine, no errors; screenshots saved', async () => {
  await page.click('#table th[data-key="index"] button'); // back to insertion order for the picture
  await page.keyboard.press('Tab'); // from the header button onwards, focus moves through real controls
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.tagName);
  assert.ok(['BUTTON', 'SELECT', 'INPUT', 'A', 'SUMMARY'].includes(focused), `focus went to ${focused}`);
  await page.evaluate(() => document.activeElement.blur());

  const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:'));
  assert.deepEqual(foreign, [], 'the page contacted another host');
  const uploads = requests.filter((u) => !/\/(|index\.html|style\.css|app\.js|worker\.js|detector\.js|cifake\.wasm|cifake\.bin)$/.test(new URL(u).pathname) && u.startsWith(origin));
  assert.deepEqual(uploads, [], 'unexpected requests');
  assert.deepEqual(problems.filter((p) => !/404|favicon/.test(p)), []);

  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.setViewportSize({ width: 1280, height: 1800 });
  await page.screenshot({ path: path.join(ARTIFACTS, 'page.png') });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(400); // let colour transitions finish
  await page.screenshot({ path: path.join(ARTIFACTS, 'page-dark.png'), fullPage: false });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(ARTIFACTS, 'page-phone.png'), fullPage: false });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page scrolls sideways on a phone by ${overflow} px`);
  assert.ok(fs.statSync(path.join(ARTIFACTS, 'page.png')).size > 10000);
});
