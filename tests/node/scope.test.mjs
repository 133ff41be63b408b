// Verdicts with an honest scope, natively (cifake-detect --json) and in WebAssembly (web/detector.js):
// the same label, scope, reason and probability; models tried in order; pixels decoded elsewhere.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { before, test } from 'node:test';
import { encodePng, hostileDir, root, run, sampleImages, shippedWeights, tempDir } from './helpers.mjs';

const WASM = path.join(root, 'web/cifake.wasm');
const wildDir = path.resolve(root, '../shared/data/wild');
let loadDetector, patchWeights;

function texture(width, height, seed) {
  const px = new Uint8ClampedArray(width * height * 4);
  let s = seed >>> 0;
  for (let i = 0; i < px.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    px[i] = i % 4 === 3 ? 255 : s >>> 24;
  }
  return px;
}

function native(weights, files) {
  const r = run('cifake-detect', ['--json', ...weights.flatMap((w) => ['--weights', w]), ...files]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function sameVerdict(ours, theirs, what) {
  assert.equal(ours.label, theirs.label, what);
  assert.equal(ours.scope, theirs.scope, what);
  assert.equal(ours.reason ?? undefined, theirs.reason, what);
  assert.equal(ours.detail ?? undefined, theirs.detail, what);
  assert.equal(ours.reliability ?? '', theirs.reliability, what);
  // The CLI gives no probability where the model gave no verdict (out of scope, too small); the
  // module still returns its guess, for information (the page shows none either).
  if (ours.scope === 'out-of-scope' || ours.scope === 'too-small') assert.equal(theirs.p_fake, null, what);
  else assert.ok(Math.abs(ours.pFake - theirs.p_fake) <= 5e-5, `${what}: ${ours.pFake} against ${theirs.p_fake}`);
}

before(async () => {
  ({ loadDetector } = await import(pathToFileURL(path.join(root, 'web/detector.js')).href));
  // The shipped network as a patch model (a routing test, not a detector anyone should use).
  patchWeights = path.join(tempDir(), 'patches.bin');
  const r = run('cifake-export', ['--weights', shippedWeights, '--set', 'view=patches', '--set', 'scope_max_side=0',
    '--set', 'unsure_band=0.5,0.5', '--set', 'tta=none', '--set', 'name=patch test model', '--out', patchWeights]);
  assert.equal(r.code, 0, r.stderr);
});

test('images larger or smaller than 32x32 are UNSURE, with the same reason natively and in WebAssembly', async () => {
  const dir = tempDir();
  const files = [[40, 50], [32, 32], [1, 37], [333, 17]].map(([w, h], k) => {
    const file = path.join(dir, `${w}x${h}.png`);
    fs.writeFileSync(file, encodePng(w, h, texture(w, h, k + 1)));
    return file;
  });
  const d = await loadDetector({ wasm: WASM, weights: shippedWeights });
  const theirs = native([shippedWeights], files);
  const ours = files.map((f) => d.classify(fs.readFileSync(f)));
  ours.forEach((r, k) => sameVerdict(r, theirs[k], files[k]));
  assert.deepEqual(ours.map((r) => r.scope), ['out-of-scope', 'judged', 'too-small', 'too-small']);
  assert.equal(ours[0].label, 'UNSURE');
  // the reason in plain words (no engine terms), the engine's wording with its numbers in detail
  assert.equal(ours[0].reason, 'Larger than anything the model was tested on (32 by 32 pixels at most, this image is 40 by 50), so it gives no verdict');
  assert.match(ours[0].detail, /at most 32x32 pixels, this one is 40x50/);
  for (const r of ours) assert.doesNotMatch(r.reason || '', /scope|P\(fake\)|\dx\d|band/, r.reason);
  assert.match(ours[0].reliability, /at chance/);
  assert.match(ours[1].label, /^(REAL|FAKE|UNSURE)$/);
  assert.match(ours[1].reliability, /CIFAKE's 20,000 test images/);
  assert.equal(ours[2].reason, 'Too small to judge: the model needs at least 32 by 32 pixels, this image is 1 by 37');
  assert.match(ours[2].detail, /too small to judge: 1x37 pixels/);
  assert.equal(ours[1].detail, null);
  assert.deepEqual(ours[0].region, { x: 0, y: 5, width: 40, height: 40 });
  assert.deepEqual(ours[1].model, { index: 0, name: 'CIFAKE 32x32 model', view: 'thumbnail' });
  d.dispose();
});

test('the CLI prints no probability and writes no heatmap where the model gave no verdict', () => {
  const dir = tempDir(), cams = path.join(dir, 'cams');
  const files = [[40, 50], [32, 32], [1, 37]].map(([w, h], k) => {
    const file = path.join(dir, `${w}x${h}.png`);
    fs.writeFileSync(file, encodePng(w, h, texture(w, h, k + 7)));
    return file;
  });
  const tsv = run('cifake-detect', ['--cam', cams, ...files]);
  assert.equal(tsv.code, 0, tsv.stderr);
  const probs = tsv.stdout.trim().split('\n').map((l) => l.split('\t')[2]);
  assert.equal(probs[0], '-');
  assert.match(probs[1], /^[01]\.\d{4}$/);
  assert.equal(probs[2], '-');
  assert.deepEqual(fs.readdirSync(cams), ['32x32.png.cam.png']);
  assert.equal(tsv.stderr.match(/no heatmap/g)?.length, 1, tsv.stderr);
  const json = native([shippedWeights], files);
  assert.deepEqual(json.map((r) => r.p_fake === null), [true, false, true]);
});

test('the CIFAKE samples stay decided: at most a few fall in the UNSURE band', async () => {
  const d = await loadDetector({ wasm: WASM, weights: shippedWeights });
  const results = sampleImages().map((i) => ({ truth: i.label, r: d.classify(fs.readFileSync(i.path)) }));
  assert.ok(results.every(({ r }) => r.scope === 'judged' || r.scope === 'weak-evidence'));
  const unsure = results.filter(({ r }) => r.label === 'UNSURE');
  assert.ok(unsure.length <= 3, `${unsure.length} UNSURE`);
  for (const { r } of unsure) assert.ok(r.pFake >= 0.4966 && r.pFake < 0.6966, `UNSURE at ${r.pFake}`);
  d.dispose();
});

test('classifyPixels judges decoded RGBA exactly as classify judges the same pixels in a PNG', async () => {
  const d = await loadDetector({ wasm: WASM, weights: shippedWeights });
  for (const [w, h] of [[32, 32], [64, 48]]) {
    const px = texture(w, h, w + h);
    const a = d.classify(encodePng(w, h, px), { cam: 'gradcam' });
    const b = d.classifyPixels(px, w, h, { cam: 'gradcam' });
    assert.deepEqual(b, a, `${w}x${h}`);
  }
  assert.throws(() => d.classifyPixels(new Uint8Array(10), 2, 2), /not 2x2 RGB or RGBA/);
  assert.throws(() => d.classifyPixels(new Uint8Array(4), 0, 1), /bad image size/);
  assert.throws(() => d.classifyPixels(new Uint8Array(20000 * 20000 * 4 / 1000), 20000, 20), /over the limit/);
  d.dispose();
});

test('several weight files: the first model whose scope holds the image judges it, patches over the whole image',
  async () => {
    const dir = tempDir(), file = path.join(dir, '100x70.png');
    fs.writeFileSync(file, encodePng(100, 70, texture(100, 70, 7)));
    const sample = sampleImages()[0].path;
    const d = await loadDetector({ wasm: WASM, weights: [shippedWeights, patchWeights] });
    assert.equal(d.modelCount, 2);
    assert.equal(d.info(1).view, 'patches');
    const [small, large] = [d.classify(fs.readFileSync(sample)), d.classify(fs.readFileSync(file))];
    const theirs = native([shippedWeights, patchWeights], [sample, file]);
    sameVerdict(small, theirs[0], sample);
    sameVerdict(large, theirs[1], file);
    assert.equal(small.model.view, 'thumbnail');
    assert.deepEqual(large.model, { index: 1, name: 'patch test model', view: 'patches' });
    assert.equal(theirs[1].model, patchWeights);
    assert.deepEqual(large.region, { x: 0, y: 0, width: 100, height: 70 });
    const p = large.patches;
    assert.equal(p.side, 32);
    assert.deepEqual([p.cols, p.rows], [4, 3]);
    assert.deepEqual([...p.x.slice(0, 4)], [0, 22, 45, 68]);
    assert.deepEqual([...p.y.filter((_, i) => i % 4 === 0)], [0, 19, 38]);
    // the image's score is the mean of the patch logits (T is the file's temperature)
    const T = Number(d.info(1).temperature);
    const logit = (q) => T * Math.log(q / (1 - q));
    const mean = [...p.pFake].reduce((s, q) => s + logit(q), 0) / p.pFake.length;
    assert.ok(Math.abs(1 / (1 + Math.exp(-mean / T)) - large.pFake) < 1e-4);
    assert.equal(large.cam, null);
    d.dispose();
  });

test('real-world crops: UNSURE natively and in WebAssembly, with the same guess', { skip: !fs.existsSync(wildDir) && 'no ../shared/data/wild' },
  async () => {
    const crops = ['real/metadata_extractor_cameras', 'fake/kolors_repo'].map((g) => {
      const folder = path.join(wildDir, g);
      return path.join(folder, fs.readdirSync(folder).sort()[0]);
    });
    const d = await loadDetector({ wasm: WASM, weights: shippedWeights });
    const theirs = native([shippedWeights], crops);
    crops.forEach((f, k) => {
      const r = d.classify(fs.readFileSync(f));
      sameVerdict(r, theirs[k], f);
      assert.equal(r.label, 'UNSURE');
      assert.equal(r.scope, 'out-of-scope');
    });
    d.dispose();
  });

test('the hostile table gives results natively and in WebAssembly with the same scope', async () => {
  const files = ['tall-1x300.png', 'wide-300x1.png', 'pixel-1x1.png'].map((f) => path.join(hostileDir, 'cases', f));
  const d = await loadDetector({ wasm: WASM, weights: shippedWeights });
  const theirs = native([shippedWeights], files);
  files.forEach((f, k) => sameVerdict(d.classify(fs.readFileSync(f)), theirs[k], f));
  d.dispose();
});

test('cifake-export --set writes a copy with the keys set, and refuses what the detector would not open', () => {
  const dir = tempDir(), out = path.join(dir, 'out.bin');
  const ok = run('cifake-export', ['--weights', shippedWeights, '--set', 'scope_max_side=64', '--out', out]);
  assert.equal(ok.code, 0, ok.stderr);
  const r = native([out], [path.join(hostileDir, 'cases', 'tall-1x300.png')]);
  assert.equal(r[0].scope, 'too-small');
  const bad = run('cifake-export', ['--weights', shippedWeights, '--set', 'novalue', '--out', path.join(dir, 'a.bin')]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--set: expected KEY=VALUE, got "novalue"/);
  const band = run('cifake-export', ['--weights', shippedWeights, '--set', 'unsure_band=0.9,0.1', '--out', path.join(dir, 'b.bin')]);
  assert.equal(band.code, 1);
  assert.match(band.stderr, /the result would not open: weight file: unsure_band/);
  const tta = run('cifake-export', ['--weights', shippedWeights, '--set', 'tta=mirror', '--out', path.join(dir, 'c.bin')]);
  assert.equal(tta.code, 1);
  assert.match(tta.stderr, /the result would not open: weight file: unknown tta "mirror"/);
  // a key the detector does not read is still checked against its type in the key table
  const seed = run('cifake-export', ['--weights', shippedWeights, '--set', 'seed=1.5', '--out', path.join(dir, 'd.bin')]);
  assert.equal(seed.code, 1);
  assert.match(seed.stderr, /--set: seed "1\.5" is not a value of its type \(integer\)/);
  assert.ok(['a', 'b', 'c', 'd'].every((f) => !fs.existsSync(path.join(dir, `${f}.bin`))));
});
