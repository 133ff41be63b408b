// Intake, formats and what was analysed, in headless Chromium: WebP decoded by the browser and
// classified like the same pixels in a PNG; the whole image with the analysed square outlined and
// the model's view; a phone-sized window scrolls to the new result; the drop zone's background
// opens the picker; links are refused and not fetched; a file added twice is skipped; Stop keeps the
// results so far; the top heatmap controls change every card.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sampleImages } from '../node/helpers.mjs';
import { inputFiles, makeBmp, openPage, readCards, waitForCards } from './harness.mjs';

let h, page;

before(async () => {
  h = await openPage();
  page = h.page;
});

after(async () => {
  if (h) await h.close();
});

const card = (name) => `.card[data-name="${name}"]`;

test('a WebP file is decoded by the browser and judged like the same pixels in a PNG', async () => {
  assert.match(await page.getAttribute('#file-input', 'accept'), /\.webp/);
  const sample = sampleImages().find((s) => s.label === 'FAKE');
  // the browser makes a WebP of a sample, then a PNG of the very pixels that WebP decodes to
  const [webp, png] = await page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
    const bmp = await createImageBitmap(new Blob([bytes], { type: 'image/jpeg' }));
    const big = new OffscreenCanvas(bmp.width * 4, bmp.height * 4);
    const g = big.getContext('2d');
    g.imageSmoothingEnabled = false;
    g.drawImage(bmp, 0, 0, big.width, big.height);
    const webpBlob = await big.convertToBlob({ type: 'image/webp', quality: 0.9 });
    const decoded = await createImageBitmap(webpBlob);
    const c = new OffscreenCanvas(decoded.width, decoded.height);
    c.getContext('2d').drawImage(decoded, 0, 0);
    const pngBlob = await c.convertToBlob({ type: 'image/png' });
    const enc = async (blob) => btoa(String.fromCharCode(...new Uint8Array(await blob.arrayBuffer())));
    return [await enc(webpBlob), await enc(pngBlob)];
  }, (await import('node:fs')).readFileSync(sample.path).toString('base64'));
  await page.setInputFiles('#file-input', [
    { name: 'midjourney.webp', mimeType: 'image/webp', buffer: Buffer.from(webp, 'base64') },
    { name: 'same-pixels.png', mimeType: 'image/png', buffer: Buffer.from(png, 'base64') },
  ]);
  await waitForCards(page, 2);
  const cards = new Map((await readCards(page)).map((c) => [c.name, c]));
  const w = cards.get('midjourney.webp'), p = cards.get('same-pixels.png');
  assert.equal(w.state, 'done', `WebP refused: ${w.error}`);
  assert.equal(w.decoder, 'browser');
  assert.match(w.dims, /128 × 128 px · .* · WebP, decoded by the browser/);
  assert.equal(p.decoder, 'core');
  assert.match(p.dims, /PNG, decoded by the cifake core/);
  assert.equal(w.label, p.label);
  assert.ok(Math.abs(w.pFake - p.pFake) < 1e-6, `WebP ${w.pFake}, PNG of its pixels ${p.pFake}`);
  // a file no decoder takes is still refused with the core's reason
  await page.setInputFiles('#file-input', [{ name: 'fake.webp', mimeType: 'image/webp', buffer: Buffer.from('RIFF\0\0\0\0WEBPVP8 garbage') }]);
  await waitForCards(page, 3);
  assert.match(await page.textContent(`${card('fake.webp')} .error`), /WebP is not supported; this browser cannot decode it either/);
});

test('the whole image is shown with the analysed square outlined, the rest shaded, and what the model saw', async () => {
  await page.setInputFiles('#file-input', [{ name: 'wide.bmp', mimeType: 'image/bmp', buffer: makeBmp(1200, 675) }]);
  await waitForCards(page, 4);
  const sel = card('wide.bmp');
  assert.match(await page.textContent(`${sel} .viz-caption`),
    /whole 1,200 × 675 image\. Outlined: the 675 × 675 square the model looked at \(56 % of the image\).*judges only 32 × 32 images, so no verdict and no heatmap/);
  const info = await page.$eval(`${sel} canvas.overlay`, (c) => {
    const g = c.getContext('2d');
    const px = (x, y) => [...g.getImageData(x, y, 1, 1).data.slice(0, 3)];
    return { w: c.width, h: c.height, outside: px(20, 300), inside: px(320, 300) };
  });
  assert.deepEqual([info.w, info.h], [640, 360], 'the whole image, scaled to fit');
  // the same spot of the original (x 20/640*1200, y 300/360*675), as the card would show it unshaded
  const orig = await page.evaluate(async () => {
    const c = document.querySelector('.card[data-name="wide.bmp"] .thumb');
    const b = await createImageBitmap(c, { resizeWidth: 640, resizeHeight: 360 });
    const o = new OffscreenCanvas(640, 360).getContext('2d');
    o.drawImage(b, 0, 0);
    return [...o.getImageData(20, 300, 1, 1).data.slice(0, 3)];
  });
  const lum = (p) => p[0] + p[1] + p[2];
  assert.ok(lum(info.outside) < lum(orig) * 0.7, `outside the square is shaded: ${info.outside} vs ${orig}`);
  assert.ok(await page.isVisible(`${sel} .seen`));
  assert.deepEqual(await page.$eval(`${sel} .seen-canvas`, (c) => [c.width, c.height]), [32, 32]);
  assert.match(await page.textContent(`${sel} .seen-caption`), /What the model saw: 32 × 32 pixels/);
});

test('on a phone, choosing one image brings its result into view', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => window.scrollTo(0, 0));
  const s = sampleImages().find((x) => x.label === 'REAL');
  await page.setInputFiles('#file-input', [{ ...inputFiles([s.path])[0], name: 'phone.jpg' }]);
  await waitForCards(page, 5);
  await page.waitForFunction((sel) => {
    const r = document.querySelector(sel).querySelector('.verdict').getBoundingClientRect();
    return r.top >= 0 && r.bottom <= window.innerHeight;
  }, card('phone.jpg'), { timeout: 5000 });
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('the drop zone opens the picker; links are refused, not fetched; a file added twice is skipped', async () => {
  await page.evaluate(() => window.scrollTo(0, 0));
  const [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 5000 }), page.click('#dropzone .dropzone-text')]);
  assert.ok(chooser.isMultiple());
  await chooser.setFiles([]);

  const before = (await readCards(page)).length;
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.setData('text/uri-list', 'https://images.example.org/cat.webp');
    dt.setData('text/plain', 'https://images.example.org/cat.webp');
    const zone = document.querySelector('#dropzone');
    for (const type of ['dragenter', 'dragover', 'drop'])
      zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  assert.match(await page.textContent('#message'), /Only image files are taken: the link https:\/\/images\.example\.org\/cat\.webp was not fetched/);
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.setData('text/plain', 'https://images.example.org/dog.jpg');
    document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  });
  assert.match(await page.textContent('#message'), /dog\.jpg was not fetched/);
  assert.ok(!h.requests.some((u) => u.includes('example.org')), 'a link was fetched');

  // the same file on disk picked twice (same name, size and date)
  const s = sampleImages()[3];
  await page.setInputFiles('#file-input', [s.path]);
  await waitForCards(page, before + 1);
  await page.setInputFiles('#file-input', [s.path]);
  assert.match(await page.textContent('#message'), new RegExp(`${path.basename(s.path).replace(/[()]/g, '\\$&')} was already added \\(#\\d+\\): not analysed again`));
  await page.waitForTimeout(300);
  assert.equal((await readCards(page)).length, before + 1);
});

test('Stop ends a running batch and keeps the results so far; the top controls change every card', async () => {
  const done = (await readCards(page)).filter((c) => c.state === 'done').length;
  const samples = sampleImages();
  const files = Array.from({ length: 400 }, (_, k) => ({ ...inputFiles([samples[k % samples.length].path])[0], name: `batch-${k}.jpg` }));
  await page.setInputFiles('#file-input', files);
  await page.waitForFunction(() => !document.querySelector('#stop').hidden);
  await page.waitForFunction(() => document.querySelectorAll('.card[data-name^="batch-"][data-state="done"]').length >= 2);
  await page.click('#stop');
  await page.waitForFunction(() => document.documentElement.dataset.busy === 'false');
  const cards = await readCards(page);
  const batch = cards.filter((c) => c.name.startsWith('batch-'));
  const stopped = batch.filter((c) => c.state === 'stopped');
  assert.ok(stopped.length > 0, 'nothing was stopped');
  assert.ok(batch.filter((c) => c.state === 'done').length >= 2);
  assert.equal(cards.filter((c) => !c.name.startsWith('batch-') && c.state === 'done').length, done, 'earlier results stay');
  assert.match(await page.textContent('#message'), /Stopped: \d+ images? not analysed/);
  assert.ok(await page.isHidden('#stop'));
  assert.match(await page.textContent('#summary'), /\d+ stopped/);

  // the top colour map applies to cards already there
  const sel = card(batch.find((c) => c.state === 'done').name);
  await page.waitForFunction((s) => document.querySelector(s).dataset.layers === 'drawn', sel); // its heatmap follows its verdict
  const sum = () => page.$eval(`${sel} canvas.overlay`, (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let s = 0;
    for (let k = 0; k < d.length; k += 4) s += d[k] + 3 * d[k + 1] + 7 * d[k + 2];
    return s;
  });
  const old = await sum();
  await page.selectOption('#default-colormap', 'viridis');
  const values = await page.$$eval('.card[data-state="done"] .colormap', (s) => [...new Set(s.map((x) => x.value))]);
  assert.deepEqual(values, ['viridis']);
  await page.waitForFunction(([s, o]) => {
    const c = document.querySelector(`${s} canvas.overlay`);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let t = 0;
    for (let k = 0; k < d.length; k += 4) t += d[k] + 3 * d[k + 1] + 7 * d[k + 2];
    return t !== o;
  }, [sel, old], { timeout: 20000 });
  assert.deepEqual(h.problems.filter((p) => !/404|favicon/.test(p)), []);
});
