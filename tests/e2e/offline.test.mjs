// Offline in headless Chromium: load the page (its service worker keeps a copy), lose the network
// (the server drops every connection), reload, classify an image like the native CLI. Then a new
// version served online replaces the cached copy. Content Credentials are checked offline too, with the
// C2PA library and trust list the service worker cached. (Playwright's own offline switch is not used: it
// fails navigations before a service worker can answer them, which a real offline browser does not.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sampleImages } from '../node/helpers.mjs';
import { WEB, checkAgainstNative, inputFiles, nativeVerdicts, openPage, readCards, waitForCards } from './harness.mjs';

let h, page;
const C2PA_FILE = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../shared/provenance/c2pa/adobe_firefly_photoshop_ocsp.jpg');
const C2PA_SKIP = fs.existsSync(C2PA_FILE) ? false : `${C2PA_FILE} is absent (the shared provenance test files)`;

before(async () => {
  h = await openPage();
  page = h.page;
});

after(async () => {
  if (h) await h.close();
});

async function controlled() {
  for (let k = 0; k < 300; k++) {
    const ok = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration();
      return !!(reg && reg.active && navigator.serviceWorker.controller);
    });
    if (ok) return;
    await page.waitForTimeout(100);
  }
  throw new Error('the page has no active service worker');
}

test('every file the page loads is in the service worker\'s list', async () => {
  await controlled();
  // FILES are cached on installation, LAZY (the C2PA library and trust list) once it is active
  const sw = fs.readFileSync(path.join(WEB, 'sw.js'), 'utf8');
  const list = (name) => [...sw.match(new RegExp(`const ${name} = \\[([^\\]]*)\\]`))[1].matchAll(/'([^']+)'/g)].map((m) => m[1]);
  const listed = new Set([...list('FILES'), ...list('LAZY')]);
  const loaded = new Set(h.server.served.map((p) => (p === '/' ? './' : p.slice(1))).filter((p) => p !== 'sw.js'));
  for (const f of loaded) assert.ok(listed.has(f), `${f} is loaded by the page but not kept for offline use`);
  for (const f of listed) assert.ok(f === './' || f === 'cifake.bin' || fs.existsSync(path.join(WEB, f)), `${f} is listed but not in web/`);
});

test('without a network the page reloads from its cache and classifies', async () => {
  await controlled();
  h.server.offline = true;
  try {
    await h.load();
    const s = sampleImages().find((x) => x.label === 'FAKE');
    await page.setInputFiles('#file-input', inputFiles([s.path]));
    await waitForCards(page, 1);
    const [card] = await readCards(page);
    checkAgainstNative(card, nativeVerdicts([s.path]).get(s.path));
  } finally {
    h.server.offline = false;
  }
});

test('offline, Content Credentials are still checked: the C2PA library and trust list were cached', { skip: C2PA_SKIP }, async () => {
  await controlled();
  // the service worker caches them when the page asks (on every load, so a download the test before
  // cut off by going offline is made again), without holding the page up: wait for that
  await h.load();
  for (let k = 0; k < 300; k++) {
    const cached = await page.evaluate(async () => (await Promise.all(['vendor/c2pa/c2pa_bg.wasm', 'vendor/c2pa/c2pa.js',
      'trust/C2PA-TRUST-LIST.pem'].map((f) => caches.match(f)))).every(Boolean));
    if (cached) break;
    await page.waitForTimeout(100);
  }
  h.server.offline = true;
  try {
    await h.load();
    await page.evaluate(() => document.querySelector('#clear:not([disabled])')?.click()); // no cards: nothing to clear
    await page.setInputFiles('#file-input', inputFiles([C2PA_FILE]));
    await waitForCards(page, 1);
    const status = await page.$eval('.card .prov-signal[data-kind="c2pa"]', (el) => el.dataset.verified);
    const check = await page.$eval('.card .prov-signal[data-kind="c2pa"] .prov-check', (el) => el.textContent);
    assert.equal(status, 'untrusted', `the credentials were checked offline (expected.tsv: untrusted): ${check}`);
  } finally {
    h.server.offline = false;
  }
});

test('a new version served online replaces the cached one', async () => {
  h.server.rewrite('/index.html', (data) => Buffer.from(String(data).replace('<title>', '<title>v2 · ')));
  await h.load();
  assert.match(await page.title(), /^v2 · /);
  const cached = await page.evaluate(async () => (await (await caches.match('./')).text()).includes('<title>v2 · '));
  assert.equal(cached, true, 'the cache still holds the old page');
  h.server.offline = true;
  try {
    await h.load();
    assert.match(await page.title(), /^v2 · /, 'offline, the page is the new version');
  } finally {
    h.server.offline = false;
  }
});
