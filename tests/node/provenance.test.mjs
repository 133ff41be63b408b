// Provenance in the WebAssembly detector (web/detector.js, web/c2pa.js) and in the page's words and
// exports (web/provenance.js, web/exports.js): every file of ../shared/provenance gives the
// declaration, C2PA status and verdict listed in tests/provenance/expected.tsv (or, before that file
// exists, the declaration of the shared MANIFEST.tsv's own words), and detector.js prints the same
// provenance object as `cifake-detect --json`. Skips, saying why, when ../shared/provenance is absent.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, test } from 'node:test';
import zlib from 'node:zlib';
import { build, crc32, root, run, shippedWeights } from './helpers.mjs';

const WASM = path.join(root, 'web/cifake.wasm');
const WEIGHTS = process.env.CIFAKE_WEIGHTS || shippedWeights;
const SHARED = process.env.CIFAKE_PROVENANCE_DIR || path.resolve(root, '../shared/provenance');
const EXPECTED = path.join(root, 'tests/provenance/expected.tsv');
const CLI = path.join(build, 'cifake-detect');
const haveShared = fs.existsSync(path.join(SHARED, 'MANIFEST.tsv'));
const skipShared = haveShared ? false : `${SHARED} is absent (the shared provenance test files)`;

const web = (f) => import(pathToFileURL(path.join(root, 'web', f)).href);
let detector, c2pa, words, exportsMod;

before(async () => {
  if (!fs.existsSync(WASM)) throw new Error('web/cifake.wasm is missing: run `make wasm` first');
  const { loadDetector } = await web('detector.js');
  detector = await loadDetector({ wasm: WASM, weights: WEIGHTS });
  [c2pa, words, exportsMod] = await Promise.all([web('c2pa.js'), web('provenance.js'), web('exports.js')]);
});

// Rows of a TSV with a header line, as objects.
function readTsv(file) {
  const [head, ...rows] = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  const cols = head.split('\t');
  return rows.map((l) => Object.fromEntries(l.split('\t').map((v, i) => [cols[i], v.trim()])));
}

function sharedFiles() {
  return readTsv(path.join(SHARED, 'MANIFEST.tsv')).map((r) => r.path).filter((p) => p && !p.startsWith('trust/'));
}

// The provenance and verdict of one file, C2PA verified; a file the core cannot decode still has
// the provenance its error carries (label null).
async function analyse(file) {
  const bytes = fs.readFileSync(file);
  try {
    const r = await detector.classifyAsync(bytes);
    return { label: r.label, pixelLabel: r.pixelLabel, reason: r.reason, provenance: r.provenance };
  } catch (e) {
    assert.ok(e.provenance, `${file}: an error without the provenance read (${e.message})`);
    return { label: null, error: e.message, provenance: e.provenance };
  }
}

// A w x h RGB PNG with no metadata at all (no text chunks, EXIF or XMP).
function plainPng(w, h) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'latin1'), data])) >>> 0);
    return Buffer.concat([len, Buffer.from(type, 'latin1'), data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const raw = Buffer.alloc((w * 3 + 1) * h, 0x80);
  for (let y = 0; y < h; y++) raw[y * (w * 3 + 1)] = 0;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const c2paSignal = (p) => p.signals.find((s) => s.kind === 'c2pa') || null;

test('every shared file gives its expected declaration, C2PA status and verdict', { skip: skipShared }, async (t) => {
  if (!fs.existsSync(EXPECTED)) {
    t.skip('tests/provenance/expected.tsv is not there yet (written with the C2PA verifier)');
    return;
  }
  const rows = readTsv(EXPECTED);
  assert.ok(rows.length >= 10, `only ${rows.length} rows in expected.tsv`);
  for (const row of rows) {
    const file = path.join(SHARED, row.path);
    assert.ok(fs.existsSync(file), `${row.path} is listed but missing`);
    const got = await analyse(file);
    assert.equal(got.provenance.declares, row.declares, `${row.path}: declares`);
    if (row.generator && row.generator !== '-')
      assert.ok(got.provenance.signals.some((s) => s.generator === row.generator),
        `${row.path}: no signal names the generator ${row.generator}: ${JSON.stringify(got.provenance.signals.map((s) => s.generator))}`);
    const sig = c2paSignal(got.provenance);
    const status = row.c2pa ?? row.status; // the C2PA signal's status, n/a: no manifest store
    if (status === 'n/a') assert.equal(sig, null, `${row.path}: a C2PA signal in a file without a manifest store`);
    else if (status && status !== '-') {
      assert.ok(sig, `${row.path}: no C2PA signal (expected status ${status})`);
      assert.equal(sig.verified, status, `${row.path}: C2PA status (${sig.problem})`);
    }
    if (row.label && row.label !== '-' && got.label !== null) assert.equal(got.label, row.label, `${row.path}: label (${got.reason})`);
  }
});

test('every shared file declares something: none of them is stripped', { skip: skipShared }, async () => {
  for (const f of sharedFiles()) {
    const got = await analyse(path.join(SHARED, f));
    assert.notEqual(got.provenance.declares, 'none', `${f}: nothing found in a file whose metadata declares its origin`);
    assert.ok(got.provenance.signals.length > 0, f);
  }
});

test('C2PA files are verified in Node with the C2PA library: tampered pixels and a bad signature are invalid',
  { skip: skipShared }, async () => {
    const v = async (f) => c2pa.verifyC2pa(new Uint8Array(fs.readFileSync(path.join(SHARED, f))));
    const tampered = await v('c2pa/testcert_tampered_datahash_XCA.jpg');
    assert.deepEqual([tampered.verified, tampered.problem], ['invalid', c2pa.PROBLEMS.pixels]);
    const badSig = await v('c2pa/testcert_bad_signature_E-sig-CA.jpg');
    assert.deepEqual([badSig.verified, badSig.problem], ['invalid', c2pa.PROBLEMS.signature]);
    const capture = await v('c2pa/testcert_digitalCapture_cawg.jpg');
    assert.ok(['valid', 'untrusted', 'expired'].includes(capture.verified), JSON.stringify(capture));
    assert.ok(capture.signer, 'a valid signature names its signer');
    // a manifest moved onto a real photo must not make it FAKE
    const moved = await analyse(path.join(SHARED, 'c2pa/testcert_tampered_datahash_XCA.jpg'));
    if (moved.label === 'FAKE') assert.equal(moved.pixelLabel, 'FAKE', `FAKE from credentials that do not match: ${moved.reason}`);
  });

test('a trap inside the C2PA library costs that file\'s check only: the next file gets a fresh instance', { skip: skipShared }, async () => {
  const file = new Uint8Array(fs.readFileSync(path.join(SHARED, 'c2pa/testcert_digitalCapture_cawg.jpg')));
  assert.equal((await c2pa.verifyC2pa(file)).verified, 'untrusted');
  // the instance c2pa.js loaded first is the package's own module: make it trap from now on
  const lib = await import('@contentauth/c2pa-wasm');
  lib.WasmReader.fromBlob = async () => { throw new WebAssembly.RuntimeError('unreachable'); };
  const trapped = await c2pa.verifyC2pa(file);
  assert.equal(trapped.verified, 'not-checked');
  assert.match(trapped.problem, /failed on this file/);
  assert.equal((await c2pa.verifyC2pa(file)).verified, 'untrusted', 'the next check runs on a fresh instance');
});

test('classify() cannot verify and says so; classifyAsync() does; a given status is applied as given', { skip: skipShared }, async () => {
  const bytes = fs.readFileSync(path.join(SHARED, 'c2pa/testcert_tampered_datahash_XCA.jpg'));
  const sync = c2paSignal(detector.provenance(bytes));
  assert.equal(sync.verified, 'not-checked');
  assert.match(sync.problem, /classifyAsync/);
  const given = c2paSignal(detector.provenance(bytes, { c2pa: { verified: 'untrusted', signer: 'Test Signer', problem: '' } }));
  assert.deepEqual([given.verified, given.signer], ['untrusted', 'Test Signer']);
  assert.throws(() => detector.provenance(bytes, { c2pa: { verified: 'trusted-ish' } }), /unknown C2PA status/);
});

// A provenance object with each problem cut to its category: the native verifier (OpenSSL) and the
// C2PA library word the detail after the first ':', ';' or '(' differently ("pixels changed after
// signing", "signature invalid", "not checked", ...); everything else must be equal.
function comparable(p) {
  return { ...p, signals: p.signals.map((s) => (s.problem ? { ...s, problem: s.problem.split(/[:;(]/)[0].trim() } : s)) };
}

test('detector.js prints the same provenance object as cifake-detect --json on every shared file', { skip: skipShared }, async (t) => {
  if (!fs.existsSync(CLI)) {
    t.skip('build/cifake-detect is missing: run `make`');
    return;
  }
  const files = sharedFiles().map((f) => path.join(SHARED, f));
  const r = run('cifake-detect', ['--json', '--weights', WEIGHTS, ...files]);
  let native;
  try {
    native = JSON.parse(r.stdout);
  } catch {
    assert.fail(`cifake-detect --json gave no JSON (${r.code}): ${r.stderr.slice(0, 400)}`);
  }
  const byPath = new Map(native.map((o) => [o.path, o]));
  let compared = 0;
  for (const file of files) {
    const n = byPath.get(file);
    if (!n || !n.provenance) continue; // the CLI reports no provenance for this file (e.g. it cannot decode it)
    const got = await analyse(file);
    assert.deepEqual(comparable(got.provenance), comparable(n.provenance), `${path.relative(SHARED, file)}: page and native provenance differ`);
    if (got.label !== null && n.label) assert.equal(got.label, n.label, `${path.relative(SHARED, file)}: label`);
    compared++;
  }
  if (!compared) t.skip('cifake-detect --json prints no provenance yet');
});

test('a file with no metadata says so, and that is no evidence of REAL', async () => {
  const png = plainPng(40, 40);
  const p = detector.provenance(png);
  assert.equal(p.declares, 'none');
  assert.deepEqual(p.signals, []);
  assert.equal(words.headline(words.normaliseProvenance(p)), words.NONE_FOUND);
  assert.match(words.NONE_FOUND, /says nothing about whether the image is real/);
});

test('bad files: the provenance reader never breaks the detector', async () => {
  const junk = [Buffer.alloc(0), Buffer.from('not an image'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xeb, 0xff, 0xff]), Buffer.alloc(100, 0x4a)])];
  for (const b of junk) {
    const p = detector.provenance(b);
    assert.ok(['none', 'other'].includes(p.declares));
    assert.throws(() => detector.classify(b));
  }
  // the detector still works afterwards, and a plain image's verdict is the pixel model's own
  const r = detector.classify(plainPng(40, 40));
  assert.equal(r.provenance.declares, 'none');
  assert.equal(r.label, r.pixelLabel);
});

test('the C2PA library\'s validation codes map to the documented statuses', () => {
  const store = (failure, success = ['claimSignature.validated'], sig = { issuer: 'Example Org', common_name: 'Example' }) => ({
    active_manifest: 'm', manifests: { m: { signature_info: sig } },
    validation_results: { activeManifest: { failure: failure.map((code) => ({ code })), success: success.map((code) => ({ code })) } },
  });
  assert.deepEqual(c2pa.statusOf(store([])), { verified: 'valid', signer: 'Example Org', problem: '' });
  assert.equal(c2pa.statusOf(store(['signingCredential.untrusted'])).verified, 'untrusted');
  // as the native verifier: a signer off the trust list is named first, an expired certificate noted
  const both = c2pa.statusOf(store(['signingCredential.expired', 'signingCredential.untrusted']));
  assert.equal(both.verified, 'untrusted');
  assert.match(both.problem, /; its certificate has expired/);
  assert.equal(c2pa.statusOf(store(['signingCredential.expired'])).verified, 'expired');
  assert.equal(c2pa.statusOf(store(['signingCredential.revoked'])).verified, 'invalid');
  assert.deepEqual(c2pa.statusOf(store(['assertion.dataHash.mismatch', 'signingCredential.untrusted'])).problem, c2pa.PROBLEMS.pixels);
  assert.deepEqual(c2pa.statusOf(store(['claimSignature.mismatch', 'assertion.dataHash.mismatch'])).problem, c2pa.PROBLEMS.signature);
  assert.equal(c2pa.statusOf(store([], [])).verified, 'not-checked');
  assert.equal(c2pa.statusOf({}).verified, 'not-checked');
  assert.equal(c2pa.statusOf(store([], undefined, { common_name: 'Only CN' })).signer, 'Only CN');
});

test('the panel\'s words: declaration, check and signer in plain sentences', () => {
  const p = words.normaliseProvenance({
    declares: 'ai-generated', unreadable: '',
    signals: [{ kind: 'c2pa', declares: 'ai-generated', says: 'generated by Adobe Firefly', generator: 'Adobe Firefly',
      signer: 'Adobe Inc.', verified: 'untrusted', problem: '', prompt: null }, { kind: 'bogus' }],
  });
  assert.equal(p.signals.length, 1, 'a malformed signal is dropped');
  assert.match(words.headline(p), /made with generative AI/);
  assert.match(words.checkSentence(p.signals[0]), /Adobe Inc\..*not on the C2PA trust list/);
  assert.match(words.checkSentence({ ...p.signals[0], verified: 'invalid', problem: c2pa.PROBLEMS.pixels }), /do not match this image: pixels changed/);
  assert.match(words.checkSentence({ kind: 'exif', verified: 'n/a' }), /Unsigned/);
  assert.deepEqual(words.normaliseProvenance({ declares: 'capture', signals: [{ kind: 'exif', says: 'x', signer: 7, verified: 'n/a' }] }),
    { declares: 'capture', signals: [{ kind: 'exif', says: 'x', verified: 'n/a' }] }, 'the shape of cifake-detect --json, nothing invented');
  assert.equal(words.normaliseProvenance(null), null);
});

test('exports carry the provenance object (JSON) and its summary (CSV)', () => {
  const provenance = {
    declares: 'ai-generated', unreadable: '',
    signals: [{ kind: 'png-text', declares: 'ai-generated', says: 'AUTOMATIC1111 parameters', generator: 'Stable Diffusion',
      signer: '', verified: 'n/a', problem: '', prompt: '=cmd|calc' }],
  };
  const item = {
    index: 0, name: 'a.png', path: 'a.png', size: 10, sha256: 'x', status: 'done', decoder: 'core', format: 'PNG',
    analysedAt: '2026-01-01T00:00:00Z',
    result: { label: 'FAKE', pFake: 0.5, scope: 'judged', reason: 'r', reliability: null, width: 64, height: 64,
      region: { x: 0, y: 0, width: 64, height: 64 }, patches: null, model: { view: 'thumbnail' }, provenance },
  };
  const failed = { index: 1, name: 'b.jpg', status: 'error', error: 'truncated', provenance: { ...provenance, signals: [] } };
  const doc = exportsMod.exportDocument({ items: [item, failed], model: { info: {}, weights: {} } });
  assert.deepEqual(JSON.parse(exportsMod.toJson(doc)).results[0].provenance, provenance);
  assert.equal(doc.results[1].provenance.declares, 'ai-generated');
  const csv = exportsMod.toCsv(doc).split('\r\n');
  const cols = csv[0].split(',');
  for (const c of ['declares', 'generator', 'c2pa_status', 'provenance']) assert.ok(cols.includes(c), c);
  assert.match(csv[1], /ai-generated/);
  assert.match(csv[1], /Stable Diffusion/);
});
