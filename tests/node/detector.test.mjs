// Tests of the WebAssembly detector (web/cifake.wasm through web/detector.js) against the native CLI.
// Weights: $CIFAKE_WEIGHTS, else weights/cifake.bin.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, test } from 'node:test';
import { TRAP_MAGIC, build, crc32, encodePng, hostileTable, metadata, root, run, sampleImages, shippedWeights, tempDir,
  trappingDetectorSource } from './helpers.mjs';

const WASM = path.join(root, 'web/cifake.wasm');
const WEIGHTS = process.env.CIFAKE_WEIGHTS || shippedWeights;

let loadDetector;
let images; // [{ path, label, bytes, native: { label, p_fake, width, height } }]

function need(file, hint) {
  if (!fs.existsSync(file)) throw new Error(`${path.relative(root, file)} is missing: ${hint}`);
}

before(async () => {
  need(WASM, 'run `make wasm` first');
  need(path.join(build, 'cifake-detect'), 'run `make` first (the native CLI is the reference)');
  need(WEIGHTS, 'set CIFAKE_WEIGHTS to a weight file, or train weights/cifake.bin');
  ({ loadDetector } = await import(pathToFileURL(path.join(root, 'web/detector.js')).href));
  images = sampleImages().map((i) => ({ ...i, bytes: fs.readFileSync(i.path) }));
  const r = run('cifake-detect', ['--json', '--weights', WEIGHTS, ...images.map((i) => i.path)]);
  assert.equal(r.code, 0, `cifake-detect failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout);
  assert.equal(out.length, images.length);
  out.forEach((o, k) => { images[k].native = o; });
});

const detector = () => loadDetector({ wasm: WASM, weights: WEIGHTS });

// A PNG signature and a valid IHDR claiming w x h RGB pixels, then nothing.
function pngHeader(w, h) {
  const ihdr = Buffer.alloc(17);
  ihdr.write('IHDR', 0, 'latin1');
  ihdr.writeUInt32BE(w, 4);
  ihdr.writeUInt32BE(h, 8);
  ihdr[12] = 8; // bit depth
  ihdr[13] = 2; // RGB
  const len = Buffer.alloc(4);
  len.writeUInt32BE(13);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(ihdr));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), len, ihdr, crc]);
}

function badInputs() {
  const jpeg = images[0].bytes;
  return [
    { name: 'empty', bytes: new Uint8Array(0), message: /empty file \(0 bytes\)/ },
    { name: 'text', bytes: Buffer.from('this is text, not a JPEG\n'), message: /not a supported image.*text/ },
    { name: 'truncated JPEG', bytes: jpeg.subarray(0, Math.floor(jpeg.length / 2)), message: /truncated|corrupt/i },
    { name: 'JPEG header only', bytes: jpeg.subarray(0, 20), message: /truncated JPEG/ },
    { name: '20000x20000 PNG header', bytes: pngHeader(20000, 20000), message: /20000x20000 pixels, over the limit/ },
    { name: 'random bytes', bytes: Uint8Array.from({ length: 300 }, (_, k) => (k * 7919 + 13) % 251), message: /not a supported image/ },
  ];
}

test('wasm labels and probabilities equal the native cifake-detect output on the sample images', async () => {
  const d = await detector();
  assert.equal(d.simd, 'wasm-simd128');
  for (const img of images) {
    const r = d.classify(img.bytes);
    const n = img.native;
    assert.equal(r.label, n.label, `${img.path}: wasm ${r.label} ${r.pFake}, native ${n.label} ${n.p_fake}`);
    // the CLI prints 4 decimals: agree to its rounding (plus float noise from a different SIMD width)
    assert.ok(Math.abs(r.pFake - n.p_fake) <= 5e-5 + 2e-6, `${img.path}: wasm p ${r.pFake}, native ${n.p_fake}`);
    assert.equal(r.width, n.width);
    assert.equal(r.height, n.height);
    assert.equal(r.cam, null);
  }
  d.dispose();
});

test('loadDetector takes paths, file: URLs and bytes, and refuses bad weight files clearly', async () => {
  const a = await loadDetector({ wasm: pathToFileURL(WASM), weights: pathToFileURL(WEIGHTS).href });
  const b = await loadDetector({ wasm: fs.readFileSync(WASM).buffer.slice(0), weights: new Uint8Array(fs.readFileSync(WEIGHTS)) });
  assert.deepEqual(a.classify(images[0].bytes), b.classify(images[0].bytes));
  a.dispose();
  b.dispose();

  const dir = tempDir();
  const w = fs.readFileSync(WEIGHTS);
  await assert.rejects(loadDetector({ wasm: WASM, weights: w.subarray(0, w.length - 100) }), /weights: .*(checksum|truncated)/);
  await assert.rejects(loadDetector({ wasm: WASM, weights: new Uint8Array(0) }), /weights: empty/);
  await assert.rejects(loadDetector({ wasm: WASM, weights: path.join(dir, 'missing.bin') }), /cannot read .*missing\.bin/);
  await assert.rejects(loadDetector({ wasm: Buffer.from('not wasm'), weights: w }), /cifake\.wasm is not a valid module/);
});

test('bad inputs throw the core message and the same detector keeps working after them', async () => {
  const d = await detector();
  const ref = d.classify(images[0].bytes, { cam: 'gradcam' });
  for (const bad of badInputs()) {
    assert.throws(() => d.classify(bad.bytes), (e) => e instanceof Error && bad.message.test(e.message),
      `${bad.name}: wrong or missing error`);
    assert.deepEqual(d.classify(images[0].bytes, { cam: 'gradcam' }), ref, `after ${bad.name}`);
  }
  // over the 64 MiB limit on encoded bytes: refused before any decoding
  assert.throws(() => d.classify(new Uint8Array((64 << 20) + 1)), /64|limit|too large/i);
  assert.throws(() => d.classify('a string'), TypeError);
  assert.throws(() => d.classify(images[0].bytes, { cam: 'lime' }), /unknown CAM method/);
  assert.throws(() => d.render(new Float32Array(1024), { colormap: 'rainbow' }), /unknown colour map/);
  assert.throws(() => d.render(new Float32Array(1024), { side: 0 }), /outside 1\.\.2048/);
  assert.throws(() => d.render(new Float32Array(10)), /1024 values/);
  assert.deepEqual(d.classify(images[0].bytes, { cam: 'gradcam' }), ref);
  d.dispose();
  assert.throws(() => d.classify(images[0].bytes), /disposed/);
  d.dispose(); // twice is harmless
});

test('after a failed classify there is nothing to explain or draw', async () => {
  const d = await detector();
  d.classify(images[0].bytes);
  assert.ok(d.explain('gradcam') instanceof Float32Array);
  assert.throws(() => d.classify(Buffer.from('nope')), /not a supported image/);
  assert.throws(() => d.render(new Float32Array(1024)), /classify one first/);
  assert.equal(d.explain('gradcam'), null);
  d.dispose();
});

test('explain() after a classification gives the map classify({ cam }) gives, bit for bit', async () => {
  const d = await detector();
  for (const method of ['gradcam', 'gradcampp']) {
    for (const img of images.slice(0, 8)) {
      const withMap = d.classify(img.bytes, { cam: method });
      const plain = d.classify(img.bytes, { input: true });
      assert.equal(plain.cam, null);
      assert.equal(plain.pFake, withMap.pFake);
      assert.deepEqual(d.explain(method), withMap.cam, `${method} ${img.path}`);
    }
  }
  // an image too small for a verdict: the same map as classify's option (the page shows none)
  const tiny = d.classify(encodePng(1, 37, new Uint8Array(37 * 4).fill(200)), { cam: 'gradcam' });
  assert.equal(tiny.scope, 'too-small');
  assert.deepEqual(d.explain('gradcam'), tiny.cam);
  assert.throws(() => d.explain('rainbow'), /unknown CAM method/);
  assert.throws(() => d.explain(false), /expected a CAM method/);
  d.dispose();
});

test('module memory stays flat over 10,000 bad and 2000 good calls after warm-up', async () => {
  const d = await detector();
  // the hostile table's refused files and the inputs above, each with the message it must give
  const bad = [
    ...badInputs().map((b) => ({ name: b.name, bytes: b.bytes, ok: (e) => b.message.test(e.message) })),
    ...hostileTable().filter((c) => c.kind === 'error').map((c) => ({ name: c.file, bytes: c.bytes, ok: (e) => e.message.includes(c.arg) })),
  ];
  const cam = 'gradcam';
  const once = (k) => {
    const img = images[k % images.length];
    const r = d.classify(img.bytes, { cam: k % 3 === 0 && cam });
    if (r.cam && k % 10 === 0) d.render(r.cam, { side: 96 + (k % 5) * 16 });
    try { d.classify(bad[k % bad.length].bytes); } catch { /* expected */ }
  };
  for (let k = 0; k < 300; k++) once(k); // warm-up: every size of every allocation has been seen
  const start = d.memoryBytes;
  for (let k = 0; k < 10000; k++) {
    const b = bad[k % bad.length];
    assert.throws(() => d.classify(b.bytes, { cam }), (e) => e instanceof Error && b.ok(e), b.name);
  }
  assert.equal(d.memoryBytes, start, 'memory grew over 10,000 failing calls');
  for (let k = 0; k < 2000; k++) {
    const img = images[k % images.length];
    const r = d.classify(img.bytes, { cam: k % 4 === 0 && cam });
    if (r.cam && k % 20 === 0) d.render(r.cam, { side: 128 });
  }
  assert.equal(d.memoryBytes, start, 'memory grew over 2000 good calls');
  d.dispose();
});

test('info() returns the weight file metadata', async () => {
  const d = await detector();
  const info = d.info();
  assert.deepEqual(info, metadata(WEIGHTS));
  for (const k of ['spec', 'classes', 'threshold', 'temperature', 'mean', 'std']) assert.ok(k in info, k);
  assert.equal(info.classes, 'REAL,FAKE');
  assert.ok(Number(info.threshold) > 0 && Number(info.threshold) < 1);
  d.dispose();
});

test('Grad-CAM and Grad-CAM++ maps are 32x32 in [0, 1] and informative; render draws side x side RGBA',
  async () => {
    const d = await detector();
    for (const method of ['gradcam', 'gradcampp']) {
      let varied = 0;
      for (const img of images) {
        const r = d.classify(img.bytes, { cam: method });
        assert.ok(r.cam instanceof Float32Array, 'cam is a Float32Array');
        assert.equal(r.cam.length, 1024);
        for (const v of r.cam) assert.ok(v >= 0 && v <= 1 && Number.isFinite(v), `${method} ${img.path}: value ${v}`);
        if (Math.min(...r.cam) !== Math.max(...r.cam)) varied++;
        assert.deepEqual(d.classify(img.bytes, { cam: method }).cam, r.cam, 'maps are deterministic');
      }
      assert.ok(varied >= 0.8 * images.length, `${method}: only ${varied}/${images.length} maps are not flat`);
    }

    const r = d.classify(images[0].bytes, { cam: 'gradcam' });
    for (const side of [1, 32, 100, 256]) {
      const out = d.render(r.cam, { side, colormap: 'viridis', alpha: 0.6 });
      assert.equal(out.width, side);
      assert.equal(out.height, side);
      assert.ok(out.data instanceof Uint8ClampedArray);
      assert.equal(out.data.length, side * side * 4);
      for (let k = 3; k < out.data.length; k += 4) assert.equal(out.data[k], 255);
    }
    const plain = d.render(null, { side: 32 });
    const blended = d.render(r.cam, { side: 32, colormap: 'turbo', alpha: 0.5 });
    const full = d.render(r.cam, { side: 32, colormap: 'jet', alpha: 1 });
    assert.notDeepEqual(plain.data, blended.data);
    assert.notDeepEqual(blended.data, full.data);
    // alpha 0 (or no map) shows the image alone
    const rgb = [];
    for (let k = 0; k < plain.data.length; k += 4) rgb.push(plain.data[k], plain.data[k + 1], plain.data[k + 2]);
    assert.ok(rgb.some((v) => v !== rgb[0]), 'the image is not blank');
    d.dispose();
  });

test('a trap in the core fails that call only: a fresh instance judges the next images as before', async () => {
  const file = path.join(tempDir(), 'trapping-detector.mjs');
  fs.writeFileSync(file, trappingDetectorSource());
  const { loadDetector: loadTrapping } = await import(pathToFileURL(file).href);
  const d = await loadTrapping({ wasm: WASM, weights: WEIGHTS });
  const refs = images.slice(0, 4).map((i) => d.classify(i.bytes, { cam: 'gradcampp', input: true }));
  const info = d.info();
  const trap = Buffer.concat([TRAP_MAGIC, images[0].bytes]);
  for (let round = 1; round <= 3; round++) {
    assert.throws(() => d.classify(trap, { cam: 'gradcam' }),
      /^Error: the detector core failed on this input \(.*out of bounds.*\); it was restarted/);
    assert.equal(d.restarts, round);
    assert.equal(d.broken, false);
    // the same answers, bit for bit, from the fresh instance; the weights and their metadata are back
    images.slice(0, 4).forEach((img, k) =>
      assert.deepEqual(d.classify(img.bytes, { cam: 'gradcampp', input: true }), refs[k], `${img.path}, round ${round}`));
    assert.deepEqual(d.info(), info);
    const r = d.classify(images[1].bytes, { cam: 'gradcam' });
    assert.equal(d.render(r.cam, { side: 64 }).data.length, 64 * 64 * 4);
  }
  // bad input after a restart is still refused with the core's message, not taken for a trap
  assert.throws(() => d.classify(Buffer.from('not an image')), /not a supported image/);
  assert.equal(d.restarts, 3);
  d.dispose();
  assert.throws(() => d.classify(images[0].bytes), /disposed/);
});
