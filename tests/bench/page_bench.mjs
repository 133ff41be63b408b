// page_bench.mjs - the page's time to first verdict in headless Chromium (playwright-core driving
// /usr/bin/chromium, as tests/e2e/page.test.mjs does): serve web/ with a weight file on a free local
// port, open the page in a fresh browser context (empty cache), drop one sample image on it as soon as
// its DOM is there, and read the time from navigation start until the card shows its verdict
// (performance.now() in the page, recorded by an observer installed before the page's scripts).
//
//   node tests/bench/page_bench.mjs OUT.json WEIGHTS [RUNS]          [CIFAKE_WEB=DIR: serve DIR, not web/]
//
// Prints nothing on success; writes { runs_ms, median_ms, model_ready_ms, ... } to OUT.json.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// CIFAKE_WEB: another copy of web/ to time (e.g. an older commit's, `git archive REV web | tar -x -C DIR`,
// with DIR/web/cifake.wasm copied in), for runs alternating with this one.
const WEB = path.resolve(process.env.CIFAKE_WEB || path.join(root, 'web'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SETTLE_MS = Number(process.env.CIFAKE_BENCH_SETTLE_MS ?? 2000);
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

// Installed before the page's own scripts: drops the sample as soon as the DOM is there, notes when the
// model is ready and when the first card is done, and reports by a console message. Nothing is
// evaluated in the page while it loads: playwright's waitForFunction injects its own script (330 KB,
// parsed and compiled on the page's main thread, about 220 ms of one core here) into the page, a
// cost of the harness, not of the page.
function observeVerdict(b64) {
  const t = {};
  document.addEventListener('DOMContentLoaded', () => {
    const dt = new DataTransfer();
    dt.items.add(new File([Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0))], 'sample.jpg', { type: 'image/jpeg' }));
    const zone = document.querySelector('#dropzone');
    t.drop = performance.now();
    for (const type of ['dragenter', 'dragover', 'drop'])
      zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  const observer = new MutationObserver(() => {
    if (!t.ready && document.documentElement.dataset.model === 'ready') t.ready = performance.now();
    const card = document.querySelector('.card');
    if (!t.verdict && card && (card.dataset.state === 'done' || card.dataset.state === 'error')) {
      t.verdict = performance.now();
      t.state = card.dataset.state;
      t.label = card.dataset.label || null;
      t.error = card.dataset.state === 'error' ? card.querySelector('.error').textContent : null;
      observer.disconnect();
      console.log(`cifake-bench ${JSON.stringify(t)}`);
    }
  });
  observer.observe(document, { subtree: true, attributes: true, childList: true });
}

async function oneRun(chromium, origin, image) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'] });
  try {
    // The browser's own start-up runs for about a second after launch (Chromium 156 builds its
    // omnibox popup, a WebUI page, in a renderer of its own: 0.6-0.9 s of processor time on this
    // 2-core machine), competing with the page timed. A user's browser is already running when they
    // open the page, so the load is timed once the browser has settled: in a new context, whose
    // cache is empty (CIFAKE_BENCH_SETTLE_MS=0 times it straight after launch, as before).
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const context = await browser.newContext();
    const page = await context.newPage();
    // every request of the page, its workers and its service worker: when it started and ended
    const requests = [];
    context.on('requestfinished', (req) => requests.push(req));
    context.on('requestfailed', (req) => requests.push(req));
    const reported = new Promise((resolve, reject) => {
      page.on('console', (msg) => {
        if (msg.text().startsWith('cifake-bench ')) resolve(JSON.parse(msg.text().slice('cifake-bench '.length)));
      });
      setTimeout(() => reject(new Error('no verdict within 60 s')), 60000).unref();
    });
    await page.addInitScript(observeVerdict, image.toString('base64'));
    await page.goto(`${origin}/`, { waitUntil: 'domcontentloaded' });
    const t = await reported;
    if (t.state !== 'done') throw new Error(`the dropped sample was not classified: ${t.error}`);
    const origin0 = await page.evaluate(() => performance.timeOrigin);
    t.dcl = await page.evaluate(() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd);
    await new Promise((r) => setTimeout(r, 300)); // requests still finishing are counted, not waited for
    t.requests = requests.map((req) => {
      const tm = req.timing();
      const name = new URL(req.url()).pathname.slice(1) || 'index.html';
      const start = tm.startTime - origin0;
      return { name, start, end: tm.responseEnd >= 0 ? start + tm.responseEnd : null,
        sw: !!req.serviceWorker() };
    });
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
  // When each part of the load ended (median over the runs, ms after navigation start): the module
  // waterfall, the worker's start, the model's bytes, the service worker's downloads, the C2PA library.
  const ends = (pick) => results.map((r) => {
    const xs = r.requests.filter(pick).map((q) => q.end).filter((v) => v !== null);
    return xs.length ? Math.max(...xs) : null;
  });
  const starts = (pick) => results.map((r) => {
    const xs = r.requests.filter(pick).map((q) => q.start);
    return xs.length ? Math.min(...xs) : null;
  });
  const med = (xs) => (xs.some((v) => v === null) ? null : Number(median(xs).toFixed(1)));
  const pageModule = (q) => !q.sw && /\.js$/.test(q.name) && !/^(worker|detector|pixels|vendor)/.test(q.name);
  const breakdown = {
    dom_content_loaded: med(results.map((r) => r.dcl)),
    page_modules_loaded: med(ends(pageModule)),
    worker_script_requested: med(starts((q) => !q.sw && q.name === 'worker.js')),
    worker_modules_loaded: med(ends((q) => !q.sw && /^(worker|detector|pixels|result|format|provenance)\.js$/.test(q.name) && q.start >= 0)),
    wasm_and_weights_loaded: med(ends((q) => !q.sw && /^cifake\.(wasm|bin)$/.test(q.name))),
    model_ready: med(ready),
    first_verdict: med(verdicts),
    service_worker_requests_before_verdict: med(results.map((r) => r.requests.filter((q) => q.sw && q.start < r.verdict).length)),
    c2pa_requests_before_verdict: med(results.map((r) => r.requests.filter((q) => /vendor\/c2pa\//.test(q.name) && q.start < r.verdict).length)),
  };
  const doc = { breakdown_median_ms: breakdown, weights: path.relative(root, path.resolve(weights)), runs: runs, runs_ms: verdicts.map((v) => Number(v.toFixed(1))),
    median_ms: Number(median(verdicts).toFixed(1)), model_ready_median_ms: Number(median(ready).toFixed(1)),
    drop_to_verdict_median_ms: Number(median(afterDrop).toFixed(1)),
    note: 'navigation start (and the drop) to the first verdict shown; fresh browser each run; the sample is dropped at ' +
      'DOMContentLoaded, before the model is ready' };
  fs.writeFileSync(`${out}.tmp`, `${JSON.stringify(doc, null, 1)}\n`);
  fs.renameSync(`${out}.tmp`, out);
}

await main();
