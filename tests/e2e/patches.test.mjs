// A patch model in headless Chromium: the page routes through detector.js to a model that looks at a
// grid of native-resolution patches, and the card shows the whole image with the grid drawn over it,
// each patch coloured by its own P(fake), with the verdict of the native CLI. The weights are the
// shipped network stated to be a patch model (a routing and drawing test, not a useful detector).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { run, sampleImages, tempDir } from '../node/helpers.mjs';
import { WEIGHTS, checkAgainstNative, makeBmp, openPage, readCards, waitForCards, weightsWithMeta } from './harness.mjs';

let h, page, dir, weights;

before(async () => {
  dir = tempDir('cifake-patches-');
  weights = path.join(dir, 'patches.bin');
  fs.writeFileSync(weights, weightsWithMeta(WEIGHTS, {
    view: 'patches', scope_max_side: '0', unsure_band: '0.5,0.5', tta: 'none', name: 'patch test model',
    reliability: 'A patch model for the tests.',
  }));
  h = await openPage({ weights });
  page = h.page;
});

after(async () => {
  if (h) await h.close();
});

test('a full-size image is judged in patches over the whole image; the card draws the grid', async () => {
  const bmp = path.join(dir, 'wide.bmp');
  fs.writeFileSync(bmp, makeBmp(200, 130));
  const sample = sampleImages()[0].path;
  const native = JSON.parse(run('cifake-detect', ['--json', '--weights', weights, bmp, sample]).stdout);
  await page.setInputFiles('#file-input', [
    { name: 'wide.bmp', mimeType: 'image/bmp', buffer: fs.readFileSync(bmp) },
    { name: 'sample.jpg', mimeType: 'image/jpeg', buffer: fs.readFileSync(sample) },
  ]);
  await waitForCards(page, 2);
  const cards = await readCards(page);
  const wide = cards.find((c) => c.name === 'wide.bmp'), small = cards.find((c) => c.name === 'sample.jpg');
  checkAgainstNative(wide, native[0]);
  checkAgainstNative(small, native[1]);
  assert.equal(native[0].scope, 'judged');
  assert.match(wide.label, /^(REAL|FAKE)$/);
  const sel = '.card[data-name="wide.bmp"]';
  // 200 x 130 in 32-pixel patches: 7 x 5, overlapping at the edges
  assert.match(await page.textContent(`${sel} .viz-caption`),
    /whole 200 × 130 image, analysed at full resolution in 35 patches of 32 × 32 pixels \(100 % of its area\)/);
  assert.match(await page.textContent(`${sel} .reliability`), /A patch model for the tests/);
  // the grid's patch borders are drawn in white over the image, and the patches are coloured
  const px = await page.$eval(`${sel} canvas.overlay`, (c) => {
    const g = c.getContext('2d'), s = c.width / 200;
    const at = (x, y) => [...g.getImageData(Math.round(x * s), Math.round(y * s), 1, 1).data.slice(0, 3)];
    return { w: c.width, h: c.height, border: at(0.2, 16), inside: at(16, 16) };
  });
  assert.deepEqual([px.w, px.h], [200, 130], 'the whole image, at its own size');
  assert.ok(px.border.every((v) => v > 150), `a patch border is light: ${px.border}`);
  assert.ok(Math.max(...px.inside) - Math.min(...px.inside) > 10, `a patch is tinted: ${px.inside}`);
});
