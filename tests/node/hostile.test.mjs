// The hostile-input table (tests/hostile/cases.tsv) fed to the command-line tool and to the
// WebAssembly module through web/detector.js: the same message from both, exit codes as documented,
// and the same detector keeps working after every failure. The module has no WebP decoder: it refuses
// every WebP case as unsupported (the page decodes WebP with the browser). The native side under
// AddressSanitizer is tests/c/test_hostile.c.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { OVER_LIMIT_BYTES, OVER_LIMIT_MESSAGE, WEBP_UNSUPPORTED, crc32, hostileDir, hostileTable, root, run, shippedWeights,
  tempDir } from './helpers.mjs';

const WASM = path.join(root, 'web/cifake.wasm');
const WEIGHTS = process.env.CIFAKE_WEIGHTS || shippedWeights;
const table = hostileTable({ webp: true }); // the CLI decodes WebP
const moduleTable = hostileTable(); // the module refuses it
const errors = table.filter((c) => c.kind === 'error');
const reference = table.find((c) => c.file === 'colour.jpg');

test('the table covers every hostile kind the issue lists', () => {
  const files = new Set(table.map((c) => c.file));
  for (const f of ['empty.bin', 'text.txt', 'random.bin', 'truncated.jpg', 'truncated.png', 'truncated.gif',
    'truncated.bmp', 'huge-100000x100000.png', 'tall-1x300.png', 'wide-300x1.png', 'animated.gif', 'rgb16.png',
    'palette.png', 'grey-alpha.png', 'grey.jpg', 'progressive.jpg', 'cmyk.jpg', 'rgb-lossless.webp', 'lossy.webp',
    'truncated.webp', 'huge-100000x100000.webp', 'garbage-chunk.webp'])
    assert.ok(files.has(f), `${f} is missing from cases.tsv`);
  for (const c of table) assert.match(c.kind, /^(error|ok|same|differs)$/, c.file);
  for (const c of table) assert.ok(c.bytes.length <= 8192, `${c.file}: keep the checked-in cases small`);
});

test('generate.mjs reproduces the checked-in cases byte for byte', async () => {
  const { hostileCases } = await import(pathToFileURL(path.join(hostileDir, 'generate.mjs')).href);
  const cases = hostileCases();
  assert.ok(Object.keys(cases).length >= 20);
  for (const [name, bytes] of Object.entries(cases))
    assert.ok(Buffer.compare(bytes, fs.readFileSync(path.join(hostileDir, 'cases', name))) === 0,
      `${name} differs from generate.mjs's output: run node tests/hostile/generate.mjs and commit`);
});

test('cifake-detect: every case gives its result or its message naming the file, with exit status 0 or 1', () => {
  for (const c of table) {
    const r = run('cifake-detect', ['--weights', WEIGHTS, c.path]);
    if (c.kind === 'error') {
      assert.equal(r.code, 1, `${c.file}: exit status`);
      assert.equal(r.stdout, '', `${c.file}: nothing on stdout`);
      assert.ok(r.stderr.includes(`cifake-detect: ${c.path}: `), `${c.file}: the message names the file: ${r.stderr}`);
      assert.ok(r.stderr.includes(c.arg), `${c.file}: expected "${c.arg}" in ${r.stderr}`);
      continue;
    }
    assert.equal(r.code, 0, `${c.file}: ${r.stderr}`);
    const [p, label, prob] = r.stdout.trim().split('\t');
    assert.equal(p, c.path);
    assert.match(label, /^(REAL|FAKE|UNSURE)$/);
    assert.match(prob, /^([01]\.\d{4}|-)$/);
  }
  // Whether two files decode to the same pixels ('same' and 'differs' rows) shows in the model's
  // probability, which the CLI prints only for images the model judges; these cases are mostly too
  // small for that. The C runner (test_hostile.c) and the WebAssembly test below compare them.
});

test('cifake-detect: all cases in one run keep going past failures; over-size and unreadable inputs', () => {
  const r = run('cifake-detect', ['--weights', WEIGHTS, ...table.map((c) => c.path)]);
  assert.equal(r.code, 1);
  const ok = table.filter((c) => c.kind !== 'error');
  assert.equal(r.stdout.trim().split('\n').length, ok.length);
  assert.equal(r.stderr.trim().split('\n').length, errors.length);

  const dir = tempDir();
  const big = path.join(dir, 'big.jpg');
  fs.writeFileSync(big, reference.bytes);
  fs.truncateSync(big, OVER_LIMIT_BYTES); // sparse: takes no disk space
  const over = run('cifake-detect', ['--weights', WEIGHTS, big]);
  assert.equal(over.code, 1);
  assert.ok(over.stderr.includes(`cifake-detect: ${big}: `) && over.stderr.includes(OVER_LIMIT_MESSAGE), over.stderr);
  const folder = run('cifake-detect', ['--weights', WEIGHTS, dir]);
  assert.equal(folder.code, 1);
  assert.match(folder.stderr, /not a regular file/);
  assert.equal(run('cifake-detect', ['--weights', WEIGHTS]).code, 2, 'no images: usage error');
});

test('cifake-detect --help says a verdict is a probability from a CIFAKE model, not proof', () => {
  const r = run('cifake-detect', ['--help']);
  assert.equal(r.code, 0);
  for (const words of ['probability', 'CIFAKE', 'Stable Diffusion 1.4', '32x32', 'not proof', 'Exit status'])
    assert.ok(r.stdout.includes(words), `--help does not say "${words}"`);
});

test('WebAssembly: every case throws the same message as the CLI (WebP: not supported), and the detector keeps working', async () => {
  const { loadDetector } = await import(pathToFileURL(path.join(root, 'web/detector.js')).href);
  const d = await loadDetector({ wasm: WASM, weights: WEIGHTS });
  const ref = d.classify(reference.bytes, { cam: 'gradcam' });
  const pOf = {};
  const webpCases = moduleTable.filter((c) => c.file.endsWith('.webp'));
  assert.ok(webpCases.length >= 5 && webpCases.every((c) => c.kind === 'error' && c.arg === WEBP_UNSUPPORTED));
  for (const c of moduleTable) {
    if (c.kind === 'error') {
      assert.throws(() => d.classify(c.bytes, { cam: 'gradcam' }),
        (e) => e instanceof Error && e.message.includes(c.arg), `${c.file}: expected an Error with "${c.arg}"`);
      assert.throws(() => d.render(ref.cam), /classify one first/, `${c.file}: nothing to draw after a failure`);
    } else {
      const r = d.classify(c.bytes, { cam: 'gradcampp' });
      assert.ok(r.pFake >= 0 && r.pFake <= 1 && r.cam.length === 1024, c.file);
      pOf[c.file] = r.pFake;
    }
    assert.deepEqual(d.classify(reference.bytes, { cam: 'gradcam' }), ref, `the detector changed after ${c.file}`);
  }
  for (const c of moduleTable.filter((x) => x.kind === 'same')) assert.equal(pOf[c.file], d.classify(fs.readFileSync(path.join(hostileDir, 'cases', c.arg))).pFake);
  for (const c of moduleTable.filter((x) => x.kind === 'differs')) assert.notEqual(pOf[c.file], d.classify(fs.readFileSync(path.join(hostileDir, 'cases', c.arg))).pFake);
  const before = d.memoryBytes;
  assert.throws(() => d.classify(new Uint8Array(OVER_LIMIT_BYTES)), (e) => e.message.includes(OVER_LIMIT_MESSAGE));
  assert.equal(d.memoryBytes, before, 'an over-size input was refused before it was copied into the module');
  assert.deepEqual(d.classify(reference.bytes, { cam: 'gradcam' }), ref);
  d.dispose();
});

test('WebAssembly: the fuzzing regression weight files are refused or fail cleanly, with the core message', async () => {
  const { loadDetector } = await import(pathToFileURL(path.join(root, 'web/detector.js')).href);
  const dir = path.join(root, 'tests/regress/weights');
  const load = (f) => loadDetector({ wasm: WASM, weights: fs.readFileSync(path.join(dir, f)) });
  await assert.rejects(load('nan-tensor-value.bin'), /^Error: weights: weight file damaged: tensor .* not a finite number/);
  // finite weights near FLT_MAX: natively the sums overflow to NaN and classify refuses; the SIMD128
  // kernels add in another order and may reach infinity instead, a valid p of 0 or 1
  const d = await load('forward-pass-overflows-to-nan.bin');
  try { assert.ok(d.classify(reference.bytes).pFake >= 0); } catch (e) { assert.match(e.message, /not a number/); }
  d.dispose();
  for (const f of fs.readdirSync(dir)) { // whatever else is added there: a result or a clean Error
    let det;
    try { det = await load(f); } catch (e) { assert.match(e.message, /^weights: ./, f); continue; }
    try { assert.ok(det.classify(reference.bytes).pFake >= 0, f); } catch (e) { assert.ok(e instanceof Error && e.message, f); }
    det.dispose();
  }
  await assert.rejects(loadDetector({ wasm: WASM, weights: Buffer.from('CIFAKEWT') }), /weights: not a cifake weight file/);
});

// A "zlib bomb": a 64x64 PNG whose 260 KB of compressed data inflate to 256 MiB of zeros. The decoder
// may not grow one buffer past 306 MiB, so it stops at about 200 MB instead of taking whatever the
// data asks for (before the cap, a 1 MB file of this kind took 1 GB).
function zlibBomb() {
  const u32be = (v) => { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return b; };
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    return Buffer.concat([u32be(data.length), body, u32be(crc32(body))]);
  };
  const idat = zlib.deflateSync(Buffer.alloc(256 << 20), { level: 9 });
  const ihdr = Buffer.concat([u32be(64), u32be(64), Buffer.from([8, 2, 0, 0, 0])]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

test('a PNG whose data inflates far past its header size is refused (CLI and WebAssembly)', async () => {
  const bomb = zlibBomb();
  assert.ok(bomb.length < 400000, `${bomb.length} bytes`);
  const file = path.join(tempDir(), 'bomb.png');
  fs.writeFileSync(file, bomb);
  const r = run('cifake-detect', ['--weights', WEIGHTS, file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bomb\.png: out of memory decoding a 64x64 PNG image \(a decoder buffer may not exceed 306 MiB/);
  const { loadDetector } = await import(pathToFileURL(path.join(root, 'web/detector.js')).href);
  const d = await loadDetector({ wasm: WASM, weights: WEIGHTS });
  assert.throws(() => d.classify(bomb), /may not exceed 306 MiB/);
  // bounded by the 306 MiB decoder cap plus the module's own ~20 MB and stb's smaller buffers (the
  // bomb took 1.06 GB before the cap)
  assert.ok(d.memoryBytes < 450 << 20, `module memory ${d.memoryBytes} bytes`);
  assert.equal(d.classify(reference.bytes).label, run('cifake-detect', ['--weights', WEIGHTS, reference.path]).stdout.split('\t')[1]);
  d.dispose();
});
