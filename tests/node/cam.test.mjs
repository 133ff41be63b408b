// The heatmaps: cifake-detect --cam writes PNGs with the very pixels the page draws (both come from
// cifake_render in the C core), and they look like heatmaps by their pixel statistics.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { decodePng, root, run, sampleImages, shippedWeights, tempDir } from './helpers.mjs';

const WEIGHTS = process.env.CIFAKE_WEIGHTS || shippedWeights;

test('cifake-detect --cam PNGs equal the WebAssembly render and are real overlays', async () => {
  const { loadDetector } = await import(pathToFileURL(path.join(root, 'web/detector.js')).href);
  const d = await loadDetector({ wasm: path.join(root, 'web/cifake.wasm'), weights: WEIGHTS });
  const dir = tempDir();
  const images = sampleImages().filter((_, i) => i % 6 === 0);
  for (const [method, colormap, alpha] of [['gradcam', 'turbo', 0.5], ['gradcampp', 'viridis', 0.7]]) {
    const out = path.join(dir, method);
    const r = run('cifake-detect', ['--weights', WEIGHTS, '--cam', out, '--cam-method', method, '--colormap', colormap,
      '--alpha', String(alpha), '--cam-size', '128', ...images.map((i) => i.path)]);
    assert.equal(r.code, 0, r.stderr);
    for (const img of images) {
      const png = decodePng(fs.readFileSync(path.join(out, `${path.basename(img.path)}.cam.png`)));
      assert.equal(png.width, 128);
      assert.equal(png.height, 128);
      const res = d.classify(fs.readFileSync(img.path), { cam: method });
      const web = d.render(res.cam, { side: 128, colormap, alpha });
      let maxDiff = 0, sum = 0, sumSq = 0;
      for (let i = 0; i < png.data.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(png.data[i] - web.data[i]));
        if (i % 4 !== 3) { sum += png.data[i]; sumSq += png.data[i] ** 2; }
      }
      // float rounding may differ between native and WebAssembly by one level, nothing more
      assert.ok(maxDiff <= 1, `${img.path}: CLI and page pixels differ by ${maxDiff}`);
      const n = (png.data.length / 4) * 3, mean = sum / n, sd = Math.sqrt(sumSq / n - mean * mean);
      assert.ok(mean > 20 && mean < 235, `mean ${mean}`);
      assert.ok(sd > 10, `a heatmap overlay has contrast (sd ${sd})`);
      for (let i = 3; i < png.data.length; i += 4) assert.equal(png.data[i], 255);
    }
  }
  // a chosen class and layer: the map changes; a non-convolution layer is refused, naming it
  const pick = (args) => {
    const out = path.join(dir, args.join('-'));
    const r = run('cifake-detect', ['--weights', WEIGHTS, '--cam', out, ...args, images[1].path]);
    return { r, file: path.join(out, `${path.basename(images[1].path)}.cam.png`) };
  };
  const real = pick(['--cam-class', 'REAL']), fake = pick(['--cam-class', 'FAKE']), first = pick(['--cam-layer', '1']);
  for (const p of [real, fake, first]) assert.equal(p.r.code, 0, p.r.stderr);
  assert.ok(!fs.readFileSync(real.file).equals(fs.readFileSync(fake.file)), 'REAL and FAKE evidence maps are the same');
  assert.ok(!fs.readFileSync(first.file).equals(fs.readFileSync(fake.file)), 'layer 1 map equals the last layer map');
  const notConv = pick(['--cam-layer', '2']);
  assert.equal(notConv.r.code, 1);
  assert.match(notConv.r.stderr, /layer 2 is not a convolution \(it is 'relu'\)/);
  const bad = run('cifake-detect', ['--cam', dir, '--colormap', 'rainbow', images[0].path]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--colormap: expected one of turbo\|jet\|viridis, got 'rainbow'/);
  d.dispose();
});
