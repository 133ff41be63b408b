// ONNX export (build/cifake-export --onnx) checked with another engine: onnxruntime-web (WebAssembly
// backend, one thread, under Node) must give the probabilities of our WebAssembly detector within 1e-4
// on the 48 shared sample images, fed the exact tensors our detector saw (classify(..., { input: true })).
// Models: the shipped weights ($CIFAKE_WEIGHTS, else weights/cifake.bin), the paper's best topology,
// and a net with every layer kind (unfolded batch norm in 4-D and 2-D, dropout, a 5x5 and a 1x1
// convolution after a dense layer, a softmax head); the last two are trained for one epoch on the
// samples (their weights need not be good, only real). The benchmark's tfjs-wasm net is checked too.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, test } from 'node:test';
import { build, root, run, sampleImages, shippedWeights, tempDir, tinyDataset } from './helpers.mjs';

const WASM = path.join(root, 'web/cifake.wasm');
const WEIGHTS = process.env.CIFAKE_WEIGHTS || shippedWeights;
const PAPER_SPEC = 'c128v,relu,mp,c128v,relu,mp,flat,d64,relu,d1';
const EVERY_LAYER_SPEC = 'c8k5,bn,relu,bn,mp,c12v,relu,drop0.25,gap,d16,relu,bn,c8k1,relu,flat,d2';
const TOLERANCE = 1e-4;

let ort, loadDetector, images, dir;
const models = {}; // name -> weight file

function need(file, hint) {
  if (!fs.existsSync(file)) throw new Error(`${path.relative(root, file)} is missing: ${hint}`);
}

function trainOneEpoch(data, spec, out) {
  const r = run('cifake-train', ['--data', data, '--model', spec, '--epochs', '1', '--batch', '16', '--val-permille',
    '100', '--no-test', '--threads', '2', '--out', out]);
  assert.equal(r.code, 0, `cifake-train ${spec}: ${r.stderr}`);
  return out;
}

before(async () => {
  need(WASM, 'run `make wasm` first');
  need(path.join(build, 'cifake-export'), 'run `make` first');
  need(WEIGHTS, 'set CIFAKE_WEIGHTS to a weight file, or train weights/cifake.bin');
  try {
    ort = await import('onnxruntime-web');
  } catch {
    throw new Error('onnxruntime-web is missing: run `npm install`');
  }
  ort.env.wasm.numThreads = 1;
  ({ loadDetector } = await import(pathToFileURL(path.join(root, 'web/detector.js')).href));
  images = sampleImages().map((i) => ({ ...i, bytes: fs.readFileSync(i.path) }));
  dir = tempDir('cifake-onnx-');
  const data = tinyDataset();
  // the engines compare networks, one view each: a copy of the shipped file without its flip averaging
  models.shipped = path.join(dir, 'shipped-one-view.bin');
  const r = run('cifake-export', ['--weights', WEIGHTS, '--set', 'tta=none', '--out', models.shipped]);
  assert.equal(r.code, 0, r.stderr);
  models.paper = trainOneEpoch(data, PAPER_SPEC, path.join(dir, 'paper.bin'));
  models.everyLayer = trainOneEpoch(data, EVERY_LAYER_SPEC, path.join(dir, 'every-layer.bin'));
});

function exportOnnx(weights, name) {
  const out = path.join(dir, `${name}.onnx`);
  const r = run('cifake-export', ['--onnx', out, '--weights', weights]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /ONNX opset 13/);
  return out;
}

// Our detector's verdicts on every sample, with the normalised input it fed the model.
async function ours(weights) {
  const d = await loadDetector({ wasm: WASM, weights });
  const results = images.map((img) => d.classify(img.bytes, { input: true }));
  const meta = d.info();
  const inputs = new Float32Array(results.length * 3072);
  results.forEach((r, k) => inputs.set(r.input, k * 3072));
  const batch = d.predict(inputs, results.length);
  d.dispose();
  return { results, inputs, batch, meta };
}

async function theirs(onnxFile, inputs, n) {
  const session = await ort.InferenceSession.create(fs.readFileSync(onnxFile), { executionProviders: ['wasm'] });
  assert.deepEqual(session.inputNames, ['input']);
  assert.deepEqual([...session.outputNames].sort(), ['logit', 'p_fake']);
  const out = await session.run({ input: new ort.Tensor('float32', inputs, [n, 3, 32, 32]) });
  assert.deepEqual(out.p_fake.dims, [n, 1]);
  await session.release();
  return { pFake: out.p_fake.data, logit: out.logit.data };
}

for (const name of ['shipped', 'paper', 'everyLayer']) {
  test(`onnxruntime-web gives our probabilities within ${TOLERANCE} (${name} model)`, async () => {
    const onnxFile = exportOnnx(models[name], name);
    const { results, inputs, batch, meta } = await ours(models[name]);
    const n = results.length;
    assert.equal(n, 48);
    const { pFake, logit } = await theirs(onnxFile, inputs, n);
    let worst = 0;
    for (let k = 0; k < n; k++) {
      const ourP = results[k].pFake;
      worst = Math.max(worst, Math.abs(pFake[k] - ourP));
      assert.ok(Math.abs(pFake[k] - ourP) <= TOLERANCE, `${images[k].path}: onnxruntime ${pFake[k]}, ours ${ourP}`);
      // the logit output is the score before temperature: sigmoid(logit / T) must be p_fake
      const p = 1 / (1 + Math.exp(-logit[k] / Number(meta.temperature)));
      assert.ok(Math.abs(p - pFake[k]) <= 1e-6, `logit ${logit[k]} does not give p_fake ${pFake[k]}`);
      // our batched forward pass agrees with one image at a time
      assert.ok(Math.abs(batch.pFake[k] - ourP) <= 1e-6, `batched ${batch.pFake[k]}, single ${ourP}`);
    }
    // a constant output would make the comparison meaningless
    const spread = Math.max(...results.map((r) => r.pFake)) - Math.min(...results.map((r) => r.pFake));
    assert.ok(spread > 1e-3, `probabilities barely vary across the samples (${spread})`);
    console.log(`${name}: largest |p_onnxruntime - p_ours| = ${worst.toExponential(2)} over ${n} images`);
  });
}

// A file with tta=flip: our detector's p_fake is sigmoid of the mean of the logits of the image and of
// its mirror image over the temperature; onnxruntime-web, given both views, must agree.
test('flip averaging (tta=flip) matches onnxruntime-web on the image and its mirror image', async () => {
  const flipped = path.join(dir, 'shipped-flip.bin');
  const r = run('cifake-export', ['--weights', WEIGHTS, '--set', 'tta=flip', '--out', flipped]);
  assert.equal(r.code, 0, r.stderr);
  const { results, inputs, meta } = await ours(flipped);
  const n = results.length;
  const mirrored = new Float32Array(inputs.length);
  for (let k = 0; k < n * 3; k++) // each 32x32 plane of each image, columns reversed
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) mirrored[k * 1024 + y * 32 + x] = inputs[k * 1024 + y * 32 + 31 - x];
  const onnxFile = exportOnnx(flipped, 'shipped-flip');
  const [a, b] = [await theirs(onnxFile, inputs, n), await theirs(onnxFile, mirrored, n)];
  let moved = 0;
  for (let k = 0; k < n; k++) {
    const p = 1 / (1 + Math.exp(-(a.logit[k] + b.logit[k]) / 2 / Number(meta.temperature)));
    assert.ok(Math.abs(p - results[k].pFake) <= TOLERANCE, `${images[k].path}: ${p} against ours ${results[k].pFake}`);
    moved = Math.max(moved, Math.abs(a.pFake[k] - results[k].pFake));
  }
  assert.ok(moved > 1e-3, 'flip averaging changed no probability: the two views were not both scored');
});

// The benchmark's TensorFlow.js net (tests/bench/tfjs_net.mjs) must be the same net, or its timings
// would compare different work.
test('the tfjs-wasm net built for the benchmark gives our probabilities within 1e-4', async () => {
  let tf;
  try {
    tf = (await import('@tensorflow/tfjs-core')).default;
    const tfwasm = (await import('@tensorflow/tfjs-backend-wasm')).default;
    tfwasm.setWasmPaths(`${path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist')}/`);
  } catch {
    throw new Error('@tensorflow/tfjs-core or @tensorflow/tfjs-backend-wasm is missing: run `npm install`');
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  assert.ok(await tf.setBackend('wasm'));
  const { buildTfjsNet, toNHWC } = await import(pathToFileURL(path.join(root, 'tests/bench/tfjs_net.mjs')).href);
  for (const name of ['shipped', 'paper', 'everyLayer']) {
    const { results, inputs } = await ours(models[name]);
    const net = buildTfjsNet(tf, models[name]);
    const x = tf.tensor4d(toNHWC(inputs, results.length), [results.length, 32, 32, 3]);
    const p = net(x).dataSync();
    results.forEach((r, k) => assert.ok(Math.abs(p[k] - r.pFake) <= TOLERANCE, `${name}, ${images[k].path}: tfjs ${p[k]}, ours ${r.pFake}`));
  }
});

test('the exported shipped model recognises the samples like our detector (labels at the file threshold)', async () => {
  const onnxFile = exportOnnx(models.shipped, 'shipped-labels');
  const { results, inputs, meta } = await ours(models.shipped);
  const { pFake } = await theirs(onnxFile, inputs, results.length);
  const threshold = Number(meta.threshold);
  results.forEach((r, k) => {
    if (Math.abs(r.pFake - threshold) > TOLERANCE)
      assert.equal(pFake[k] >= threshold ? 'FAKE' : 'REAL', r.pFake >= threshold ? 'FAKE' : 'REAL');
  });
});

test('detector.predict refuses inputs of the wrong type or length, and batches over 1024', async () => {
  const d = await loadDetector({ wasm: WASM, weights: models.shipped });
  assert.throws(() => d.predict([0, 1, 2]), /Float32Array/);
  assert.throws(() => d.predict(new Float32Array(3072 + 5)), /n \* 3072 floats/);
  assert.throws(() => d.predict(new Float32Array(3072), 2), /n \* 3072 floats/);
  assert.throws(() => d.predict(new Float32Array(0)), /n \* 3072 floats/);
  assert.throws(() => d.predict(new Float32Array(3072 * 1025)), /outside 1\.\.1024/);
  const { pFake, score } = d.predict(new Float32Array(3072 * 2));
  assert.equal(pFake.length, 2);
  assert.equal(pFake[0], pFake[1]); // the same (all-zero) image twice
  assert.ok(Number.isFinite(score[0]));
  d.dispose();
});

test('cifake-export refuses bad usage and bad weight files without leaving a file behind', () => {
  let r = run('cifake-export', []);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--onnx OUT\.onnx/);
  r = run('cifake-export', ['--onnx']);
  assert.equal(r.code, 2);
  const out = path.join(dir, 'never.onnx');
  r = run('cifake-export', ['--onnx', out, '--weights', path.join(dir, 'missing.bin')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /missing\.bin: cannot open/);
  const broken = path.join(dir, 'broken.bin');
  const bytes = fs.readFileSync(models.paper);
  fs.writeFileSync(broken, bytes.subarray(0, bytes.length - 100));
  r = run('cifake-export', ['--onnx', out, '--weights', broken]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /broken\.bin/);
  assert.ok(!fs.existsSync(out), 'a failed export left a file');
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});
