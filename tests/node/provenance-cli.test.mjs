// cifake-detect and provenance: what a file declares about its origin, its Content Credentials
// checked, and the verdict rules (src/provenance.h) on the shared test files of ../shared/provenance.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { provenanceDir, provenanceExpected, run, sampleImages, stripJpegMetadata, tempDir, transplantC2pa }
  from './helpers.mjs';

const shared = fs.existsSync(provenanceDir);
const skip = shared ? false : `${provenanceDir} not found: the shared provenance files are needed`;

function detectJson(files, extra = []) {
  const r = run('cifake-detect', ['--json', ...extra, ...files]);
  return { ...r, out: JSON.parse(r.stdout) };
}

const c2paSignal = (prov) => prov.signals.find((s) => s.kind === 'c2pa');

// A PNG's chunks without those of the given types.
function withoutChunks(png, types) {
  const kept = [];
  for (let pos = 8; pos < png.length;) {
    const len = png.readUInt32BE(pos), type = png.toString('latin1', pos + 4, pos + 8);
    if (!types.includes(type)) kept.push(png.subarray(pos, pos + 12 + len));
    pos += 12 + len;
  }
  return Buffer.concat([png.subarray(0, 8), ...kept]);
}

test('every shared provenance file gives its expected declaration, check and label', { skip }, () => {
  const rows = provenanceExpected();
  assert.ok(rows.length >= 18, `${rows.length} rows in tests/provenance/expected.tsv`);
  const { out } = detectJson(rows.map((row) => path.join(provenanceDir, row.path)));
  rows.forEach((row, i) => {
    const got = out[i];
    const what = `${row.path}: ${JSON.stringify(got)}`;
    assert.ok(!got.error, what);
    assert.equal(got.provenance.declares, row.declares, what);
    assert.equal(got.label, row.label, what);
    if (row.c2pa && row.c2pa !== 'n/a') assert.equal(c2paSignal(got.provenance)?.verified, row.c2pa, what);
    else assert.equal(c2paSignal(got.provenance), undefined, what);
    if (row.generator) assert.ok(got.provenance.signals.some((s) => s.generator === row.generator), what);
    if (row.label === 'FAKE') assert.match(got.reason, /\w/, what);
  });
});

test('a FAKE from metadata names the signal and keeps the pixel model\'s probability', { skip }, () => {
  const file = path.join(provenanceDir, 'synthetic/synth_a1111_parameters.png');
  const { out: [got] } = detectJson([file]);
  assert.equal(got.label, 'FAKE');
  assert.match(got.reason, /AUTOMATIC1111|Stable Diffusion/);
  // The pixel model's view of a 64x64 image is unchanged by the metadata: the same as for a copy of
  // the same pixels without it (the PNG's text chunk removed).
  const dir = tempDir();
  const stripped = path.join(dir, 'stripped.png');
  fs.writeFileSync(stripped, withoutChunks(fs.readFileSync(file), ['tEXt', 'iTXt', 'zTXt']));
  const { out: [plain] } = detectJson([stripped]);
  assert.equal(plain.provenance.declares, 'none');
  assert.equal(got.p_fake, plain.p_fake);
  assert.notEqual(plain.label, 'FAKE', 'without its metadata the file is not called FAKE by it');
});

test('a stripped copy says no provenance was found, never that the image is real', { skip }, () => {
  const dir = tempDir();
  const cases = ['c2pa/adobe_firefly_photoshop_ocsp.jpg', 'synthetic/synth_xmp_trainedAlgorithmicMedia_google_style.jpg'];
  const files = cases.map((c) => {
    const f = path.join(dir, path.basename(c));
    fs.writeFileSync(f, stripJpegMetadata(fs.readFileSync(path.join(provenanceDir, c))));
    return f;
  });
  const { out } = detectJson(files);
  for (const got of out) {
    assert.equal(got.provenance.declares, 'none', JSON.stringify(got));
    assert.deepEqual(got.provenance.signals, []);
    assert.notEqual(got.label, 'REAL');
  }
});

test('Content Credentials moved onto other pixels fail their hash and give no FAKE', { skip }, () => {
  const dir = tempDir();
  const firefly = fs.readFileSync(path.join(provenanceDir, 'c2pa/adobe_firefly_photoshop_ocsp.jpg'));
  const photo = sampleImages().find((s) => s.label === 'REAL').path;
  const moved = path.join(dir, 'moved.jpg');
  fs.writeFileSync(moved, transplantC2pa(firefly, fs.readFileSync(photo)));
  const { out: [got] } = detectJson([moved]);
  const c2pa = c2paSignal(got.provenance);
  assert.equal(c2pa.verified, 'invalid', JSON.stringify(got));
  assert.match(c2pa.problem, /changed|hash|match/i);
  assert.notEqual(got.label, 'FAKE', 'a manifest transplanted onto a photo must not make it FAKE');
  assert.match(got.reason, /do not match|does not match/i);
  // The pixel verdict is the photo's own.
  const { out: [own] } = detectJson([photo]);
  assert.equal(got.p_fake, own.p_fake);
});

test('forged camera EXIF is shown as evidence and never makes an image REAL', { skip }, () => {
  const { out: [got] } = detectJson([path.join(provenanceDir, 'synthetic/synth_forged_camera_exif_digitalCapture.jpg')]);
  assert.equal(got.provenance.declares, 'capture');
  assert.notEqual(got.label, 'REAL');
  assert.ok(got.provenance.signals.some((s) => s.kind === 'exif' && /Canon/.test(s.says)), JSON.stringify(got));
});

test('the TSV keeps three columns with provenance verdicts', { skip }, () => {
  const file = path.join(provenanceDir, 'synthetic/synth_comfyui_prompt_workflow.png');
  const r = run('cifake-detect', [file]);
  assert.equal(r.code, 0, r.stderr);
  const cols = r.stdout.trim().split('\t');
  assert.equal(cols.length, 3);
  assert.equal(cols[1], 'FAKE');
});

test('an undecodable file whose metadata declares AI gets FAKE, with the pixel error said', { skip }, () => {
  const dir = tempDir();
  const file = path.join(dir, 'parameters-only.png');
  const png = fs.readFileSync(path.join(provenanceDir, 'synthetic/synth_a1111_parameters.png'));
  fs.writeFileSync(file, withoutChunks(png, ['IDAT'])); // the parameters, no image data
  const r = run('cifake-detect', ['--json', file]);
  assert.equal(r.code, 0, r.stderr);
  const [got] = JSON.parse(r.stdout);
  assert.equal(got.label, 'FAKE');
  assert.equal(got.p_fake, null);
  assert.match(got.pixel_error, /\w/);
  assert.match(r.stderr, /verdict comes from its metadata/);
  // Without the parameters either, it is an error as before.
  const bare = path.join(dir, 'bare.png');
  fs.writeFileSync(bare, withoutChunks(png, ['IDAT', 'tEXt']));
  const e = run('cifake-detect', ['--json', bare]);
  assert.equal(e.code, 1);
  assert.match(JSON.parse(e.stdout)[0].error, /bare\.png/);
});

test('cifake-detect --provenance lists what was read, as text and JSON', { skip }, () => {
  const nikon = path.join(provenanceDir, 'camera/nikon_z9_c2pa_building.jpeg');
  const text = run('cifake-detect', ['--provenance', nikon]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /EXIF:Make\s+NIKON/);
  assert.match(text.stdout, /EXIF:Model\s+NIKON Z 9/);
  assert.match(text.stdout, /c2pa\s+.*\[check: \w+/);
  const json = run('cifake-detect', ['--provenance', '--json', nikon]);
  const [got] = JSON.parse(json.stdout);
  assert.equal(got.provenance.declares, 'capture');
  assert.ok(got.fields.some((f) => f.name === 'EXIF:Make' && /NIKON/.test(f.value)));
  assert.equal(got.label, undefined, '--provenance gives no pixel verdict');
});

test('without a trust list, signers are never called trusted and the run goes on', { skip }, () => {
  const file = path.join(provenanceDir, 'c2pa/adobe_firefly_photoshop_ocsp.jpg');
  const r = run('cifake-detect', ['--json', '--trust', '/nonexistent/trust.pem', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /trust/);
  const [got] = JSON.parse(r.stdout);
  assert.notEqual(c2paSignal(got.provenance).verified, 'valid');
  assert.equal(got.label, 'FAKE', 'a valid, untrusted manifest still declares what it declares');
});
