// What the page asks the server for before its first verdict, in a fresh browser with a plain image
// (no Content Credentials) dropped as soon as the page's DOM is there, as `make bench` times it
// (tests/bench/page_bench.mjs; the times are in docs/performance.md, never checked here). Only the
// structure is checked: the C2PA library is not loaded for a file without a manifest, the service
// worker's first installation (which downloads every file of the page again) waits until the first
// verdict is shown, and an image given before the model's bytes have arrived waits for them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { sampleImages } from '../node/helpers.mjs';
import { CHROMIUM, WEB, startServer } from './harness.mjs';

test('a plain image dropped at once: no C2PA library and no service worker before its verdict', { timeout: 120000 }, async () => {
  assert.ok(fs.existsSync(path.join(WEB, 'cifake.wasm')), 'run `make wasm` first');
  const { chromium } = await import('playwright-core');
  const server = await startServer();
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cifake-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`, { waitUntil: 'domcontentloaded' });
    const sample = sampleImages().find((s) => s.label === 'FAKE');
    await page.setInputFiles('#file-input', sample.path);
    await page.waitForFunction(() => document.querySelector('.card')?.dataset.state === 'done', null, { timeout: 60000 });
    const before = [...server.served];
    assert.ok(before.includes('/cifake.wasm') && before.includes('/cifake.bin'), before.join(' '));
    assert.deepEqual(before.filter((p) => p.startsWith('/vendor/c2pa/')), [], 'the C2PA library was fetched for a plain file');
    assert.ok(!before.includes('/sw.js'), `the service worker was installed before the first verdict: ${before.join(' ')}`);
    // the module and the weights once each: nothing else downloads them again meanwhile
    assert.equal(before.filter((p) => p === '/cifake.bin').length, 1, before.join(' '));

    // afterwards the offline copy is still made (tests/e2e/offline.test.mjs checks what it holds)
    await page.waitForFunction(async () => !!(await navigator.serviceWorker.getRegistration()), null, { timeout: 30000 });
  } finally {
    await context.close().catch(() => {});
    server.closeAllConnections?.();
    server.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
});

test('an image dropped before the model\'s bytes have arrived waits for the model, then is judged', { timeout: 120000 }, async () => {
  const { chromium } = await import('playwright-core');
  const server = await startServer();
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    // the weights arrive late, so boot.js sends the worker its init only after the page has handed
    // it the first task
    let release;
    const held = new Promise((r) => { release = r; });
    await page.route('**/cifake.bin', async (route) => { await held; await route.continue(); });
    await page.goto(`http://127.0.0.1:${server.address().port}/`, { waitUntil: 'domcontentloaded' });
    const sample = sampleImages().find((s) => s.label === 'REAL');
    await page.setInputFiles('#file-input', sample.path);
    await page.waitForFunction(() => ['working', 'done', 'error'].includes(document.querySelector('.card')?.dataset.state));
    release();
    await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('.card')?.dataset.state), null, { timeout: 60000 });
    const card = await page.$eval('.card', (c) => ({ state: c.dataset.state, label: c.dataset.label, error: c.querySelector('.error').textContent }));
    assert.equal(card.state, 'done', card.error);
    assert.equal(card.label, 'REAL');
  } finally {
    await browser.close();
    server.closeAllConnections?.();
    server.close();
  }
});
