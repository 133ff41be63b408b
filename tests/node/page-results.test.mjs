// The page's table order (web/order.js), exports (web/exports.js), verdict texts (web/format.js,
// web/result.js), live-region grouping (web/announce.js) and intake rules (web/intake.js), without a
// browser.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Announcer } from '../../web/announce.js';
import { CSV_COLUMNS, csvCell, exportDocument, toCsv, toJson } from '../../web/exports.js';
import { formatPFake, groupNumbers } from '../../web/format.js';
import { ACCEPT, describeNonFiles, isImageFile } from '../../web/intake.js';
import { META } from '../../web/meta-keys.js';
import { compareItems, sortItems } from '../../web/order.js';
import { analysedShare, normaliseResult, plainReason, verdictFigure, verdictPhrase } from '../../web/result.js';
import { root } from './helpers.mjs';

// RFC 4180 rows (quoted cells with "" inside).
function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', quoted = false;
  for (let k = 0; k < text.length; k++) {
    const ch = text[k];
    if (quoted) {
      if (ch === '"' && text[k + 1] === '"') { cell += '"'; k++; } else if (ch === '"') quoted = false; else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(cell); cell = ''; } else if (ch === '\r' && text[k + 1] === '\n') {
      row.push(cell); rows.push(row); row = []; cell = ''; k++;
    } else cell += ch;
  }
  return rows;
}

const INFO = { input: '3x32x32', threshold: '0.596550524', spec: 'c32,relu,gap,d1', test_accuracy: '0.9762',
  verdict_accuracy: '0.9831', verdict_coverage: '0.9903', scope_max_side: '32', unsure_band: '0.4966,0.6966',
  trainer_version: 'abc1234', date: '2026-11-29T10:35:18Z', temperature: '1.11075354' };

function done(index, name, raw) {
  return { index, name, path: name, size: 100 * index, status: 'done', result: normaliseResult(raw, INFO), error: null,
    sha256: 'ab'.repeat(32), decoder: 'core', format: 'JPEG', camMethod: 'gradcam', analysedAt: '2026-01-01T00:00:00.000Z' };
}
const failed = (index, name, error = 'truncated JPEG data') => ({ index, name, path: name, size: 5, status: 'error', result: null, error });
// A result as detector.js gives it for the shipped 32x32 model: judged at 32x32, UNSURE otherwise;
// region: the part the core analysed (the whole of a square image; its centre square otherwise).
const judged = (label, pFake, w = 32, h = 32, region = { x: 0, y: 0, width: w, height: h }) => {
  const scope = Math.min(w, h) < 32 ? 'too-small' : Math.max(w, h) > 32 ? 'out-of-scope' : 'judged';
  return { label: scope === 'judged' ? label : 'UNSURE', pFake, scope, width: w, height: h, region, cam: null,
    reliability: scope === 'judged' ? "On CIFAKE's 20,000 test images: right on 97.6%." : null };
};

function items() {
  return [
    failed(1, 'broken.jpg'),
    done(2, 'b.jpg', judged('FAKE', 0.97)),
    // a model whose scope holds 640x400
    done(3, 'a10.jpg', { ...judged('REAL', 0.02), width: 640, height: 400, region: { x: 120, y: 0, width: 400, height: 400 } }),
    done(4, 'tiny.png', judged('REAL', 0.4, 16, 16)), // too small: UNSURE without P(fake)
    done(5, 'a9.jpg', judged('FAKE', 0.7)),
    { index: 6, name: 'queued.jpg', path: '', size: 1, status: 'queued', result: null, error: null },
  ];
}

test('sorting by verdict, P(fake) or size puts images without one last in both directions', () => {
  const names = (key, dir) => sortItems(items(), { key, dir }).map((i) => i.name);
  assert.deepEqual(names('label', 1), ['a10.jpg', 'tiny.png', 'a9.jpg', 'b.jpg', 'queued.jpg', 'broken.jpg']);
  assert.deepEqual(names('label', -1), ['a9.jpg', 'b.jpg', 'tiny.png', 'a10.jpg', 'queued.jpg', 'broken.jpg']);
  assert.deepEqual(names('pFake', -1).slice(0, 3), ['b.jpg', 'a9.jpg', 'a10.jpg']);
  assert.deepEqual(names('pFake', 1).slice(0, 3), ['a10.jpg', 'a9.jpg', 'b.jpg']);
  for (const dir of [1, -1]) {
    const p = sortItems(items(), { key: 'pFake', dir });
    assert.deepEqual(p.slice(3).map((i) => i.name).sort(), ['broken.jpg', 'queued.jpg', 'tiny.png']);
    const s = sortItems(items(), { key: 'pixels', dir });
    assert.deepEqual(s.slice(4).map((i) => i.name).sort(), ['broken.jpg', 'queued.jpg']);
  }
  assert.deepEqual(names('name', 1), ['a9.jpg', 'a10.jpg', 'b.jpg', 'broken.jpg', 'queued.jpg', 'tiny.png'], 'numbers in names sort as numbers');
  assert.deepEqual(names('index', -1), ['queued.jpg', 'a9.jpg', 'tiny.png', 'a10.jpg', 'b.jpg', 'broken.jpg'], 'newest first');
  assert.deepEqual(names('status', 1).slice(-1), ['broken.jpg']);
  assert.ok(compareItems(items()[1], items()[4], { key: 'label', dir: 1 }) > 0, 'ties: newest first');
});

test('CSV cells that would run as a formula are neutralised; quotes and commas are escaped; numbers stay numbers', () => {
  for (const bad of ['=HYPERLINK("http://x")', '+1+1', '-2+3', '@SUM(A1)', '\tx', '\rx'])
    assert.ok(csvCell(bad).replace(/^"/, '').startsWith("'"), `${JSON.stringify(bad)} -> ${csvCell(bad)}`);
  assert.equal(csvCell('=1,2'), `"'=1,2"`);
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('plain.jpg'), 'plain.jpg');
  assert.equal(csvCell(-0.5), '-0.5', 'a number is not text');
  assert.equal(csvCell(null), '');
  const list = [done(1, '=cmd|calc.jpg', judged('FAKE', 0.9)), failed(2, '@evil.jpg', '-1 bytes')];
  const csv = toCsv(exportDocument({ items: list, model: { info: INFO, weights: { file: 'cifake.bin', sha256: 'cd'.repeat(32), bytes: 9 } } }));
  const lines = csv.trimEnd().split('\r\n');
  assert.equal(lines[0], CSV_COLUMNS.join(','));
  for (const line of lines.slice(1)) for (const cell of line.split(',')) assert.doesNotMatch(cell, /^[=+\-@]/, line);
  assert.ok(lines[1].includes("'=cmd|calc.jpg"));
  assert.ok(lines[2].includes("'@evil.jpg") && lines[2].includes("'-1 bytes"));
});

test('exports carry the model, threshold, date, byte sizes, hashes and heatmap method, with numbers as numbers', () => {
  const list = items();
  const date = new Date('2026-02-03T04:05:06Z');
  const model = { info: INFO, weights: { file: 'cifake.bin', bytes: 1149886, sha256: 'cd'.repeat(32) } };
  const doc = JSON.parse(toJson(exportDocument({ items: list, model, date })));
  assert.equal(doc.date, '2026-02-03T04:05:06.000Z');
  assert.equal(doc.threshold, 0.596550524);
  assert.deepEqual(doc.model, {
    file: 'cifake.bin', bytes: 1149886, sha256: 'cd'.repeat(32), spec: 'c32,relu,gap,d1', version: 'cd'.repeat(6),
    trainer_version: 'abc1234', trained: '2026-11-29T10:35:18Z', threshold: 0.596550524, temperature: 1.11075354,
    verdict_accuracy: 0.9831, verdict_coverage: 0.9903,
  });
  const fake = doc.results.find((r) => r.name === 'b.jpg');
  assert.equal(typeof fake.p_fake, 'number');
  assert.equal(fake.p_fake, 0.97);
  assert.equal(fake.bytes, 200);
  assert.equal(fake.sha256, 'ab'.repeat(32));
  assert.equal(fake.cam_method, 'gradcam');
  assert.equal(fake.decoder, 'core');
  const photo = doc.results.find((r) => r.name === 'a10.jpg');
  assert.deepEqual(photo.region, { x: 120, y: 0, width: 400, height: 400 });
  assert.equal(photo.analysed_share, 0.625);
  const tiny = doc.results.find((r) => r.name === 'tiny.png');
  assert.equal(tiny.label, 'UNSURE');
  assert.equal(tiny.p_fake, null);
  assert.equal(tiny.scope, 'too-small');
  // no model looked at it: no analysed region, no share of it, and no heatmap (issue 29, items 1 and 7)
  assert.equal(tiny.region, null);
  assert.equal(tiny.analysed_share, null);
  assert.equal(tiny.cam_method, null);
  assert.equal(doc.results.find((r) => r.name === 'broken.jpg').error, 'truncated JPEG data');
  const csv = parseCsv(toCsv(exportDocument({ items: list, model, date })));
  assert.deepEqual(csv[0], CSV_COLUMNS);
  const row = Object.fromEntries(CSV_COLUMNS.map((c, k) => [c, csv[2][k]]));
  assert.equal(row.name, 'b.jpg');
  assert.equal(row.model_spec, 'c32,relu,gap,d1');
  assert.equal(row.model_sha256, 'cd'.repeat(32));
  assert.equal(row.threshold, '0.596550524');
  assert.equal(row.export_date, '2026-02-03T04:05:06.000Z');
  assert.equal(row.bytes, '200');
});

test("the export's model version is the weight file's content, not the trainer's working tree (issue 29, item 7)", () => {
  const info = { ...INFO, trainer_version: '27fbda4-dirty' };
  const sha = '0123456789abcdef'.repeat(4);
  const doc = exportDocument({ items: [], model: { info, weights: { file: 'cifake.bin', bytes: 9, sha256: sha } } });
  assert.equal(doc.model.version, '0123456789ab', 'the same on every clone: the first 12 hex digits of the SHA-256');
  assert.equal(doc.model.trainer_version, '27fbda4-dirty', 'how the file was made stays, under its own name');
  const csv = parseCsv(toCsv(exportDocument({ items: items().slice(1, 2), model: { info, weights: { sha256: sha } } })));
  const row = Object.fromEntries(CSV_COLUMNS.map((c, k) => [c, csv[1][k]]));
  assert.equal(row.model_version, '0123456789ab');
  assert.equal(row.model_trainer_version, '27fbda4-dirty');
  // a failed file keeps the hash of its bytes; an image out of scope records no heatmap method
  const broken = { ...failed(1, 'broken.jpg'), sha256: 'ef'.repeat(32) };
  const photo = done(2, 'photo.jpg', judged('REAL', 0.1, 640, 400, { x: 120, y: 0, width: 400, height: 400 }));
  const rows = exportDocument({ items: [broken, photo], model: { info } }).results;
  assert.equal(rows[0].sha256, 'ef'.repeat(32));
  assert.equal(rows[1].scope, 'out-of-scope');
  assert.equal(rows[1].cam_method, null);
  assert.equal(rows[1].analysed_share, 0.625, 'the model looked at its centre square');
});

test('probabilities are shown with the precision the calibration supports, never 100.0 %', () => {
  assert.equal(formatPFake(1), '> 99 %');
  assert.equal(formatPFake(0.99999), '> 99 %');
  assert.equal(formatPFake(0.999), '> 99 %');
  assert.equal(formatPFake(0), '< 1 %');
  assert.equal(formatPFake(0.004), '< 1 %');
  assert.equal(formatPFake(0.5964), '60 %');
  assert.equal(formatPFake(null), '—');
  for (let p = 0; p <= 1; p += 0.001) assert.doesNotMatch(formatPFake(p), /100|\.\d/, `${p}`);
});

test('numbers in messages get separators; decimals, hex and sizes glued to x are kept readable', () => {
  assert.equal(groupNumbers('image is 100000x100000 pixels, over the limit of 40000000 pixels'),
    'image is 100,000x100,000 pixels, over the limit of 40,000,000 pixels');
  assert.equal(groupNumbers('file is 67108865 bytes'), 'file is 67,108,865 bytes');
  assert.equal(groupNumbers('marker 0x12345, ratio 1.234567, 9999 px'), 'marker 0x12345, ratio 1.234567, 9999 px');
});

test('UNSURE and the contract fields: too small images are not judged, missing fields stay absent', () => {
  const tiny = normaliseResult(judged('FAKE', 0.9, 20, 40), INFO);
  assert.equal(tiny.label, 'UNSURE');
  assert.equal(tiny.scope, 'too-small');
  assert.equal(tiny.pFake, null, "a model's guess on an image it did not judge is not shown");
  assert.match(tiny.reason, /20 × 40 pixels.*too small to judge/);
  assert.equal(tiny.region, null, 'an image no model looked at has no analysed region');
  assert.equal(analysedShare(tiny), 0);
  const photo = normaliseResult(judged('REAL', 0.1, 6028, 3391, { x: 1318, y: 0, width: 3391, height: 3391 }), INFO);
  assert.equal(photo.label, 'UNSURE');
  assert.equal(photo.pFake, null);
  assert.deepEqual(photo.region, { x: 1318, y: 0, width: 3391, height: 3391 });
  assert.equal(photo.reliability, null);
  assert.ok(Math.abs(analysedShare(photo) - 3391 / 6028) < 1e-9);
  const small = normaliseResult(judged('REAL', 0.1), INFO);
  assert.equal(small.label, 'REAL');
  assert.match(small.reliability, /97\.6%/);
  // a result without a scope says nothing about why it would be a verdict: none
  assert.equal(normaliseResult({ label: 'FAKE', pFake: 0.9, width: 32, height: 32 }, INFO).label, 'UNSURE');
  // the fields detector.js gives are kept
  const given = normaliseResult({ label: 'UNSURE', pFake: 0.55, reason: 'weak', scope: 'weak-evidence', reliability: null,
    model: { name: 'wild.bin', view: 'patches' }, region: { x: 0, y: 0, width: 256, height: 128 },
    patches: { side: 128, cols: 2, rows: 1, x: Int32Array.of(0, 128), y: Int32Array.of(0, 0), pFake: Float32Array.of(0.2, 0.9) },
    width: 256, height: 128 }, INFO);
  assert.equal(given.label, 'UNSURE');
  assert.equal(given.pFake, 0.55);
  assert.equal(given.reason, 'weak');
  assert.equal(given.reliability, null);
  assert.equal(given.patches.count, 2);
  assert.equal(analysedShare(given), 1);
  // the region is the core's: one outside the image is not trusted, and none is made up in its place
  assert.equal(normaliseResult({ ...judged('REAL', 0.1, 100, 50), region: { x: 90, y: 0, width: 50, height: 50 } }, INFO).region, null);
  assert.equal(normaliseResult({ ...judged('REAL', 0.1, 100, 50), region: undefined }, INFO).region, null);
  assert.equal(analysedShare(normaliseResult({ ...judged('REAL', 0.1, 100, 50), region: undefined }, INFO)), 0);
});

test('per-file results reach the live region for batches of any size, grouped', () => {
  const spoken = [];
  let pending = null;
  const timers = { setTimeout: (fn) => { pending = fn; return 1; }, clearTimeout: () => { pending = null; } };
  const a = new Announcer({ speak: (t) => spoken.push(t), maxListed: 3, timers });
  for (let k = 1; k <= 5; k++) a.result(`f${k}.jpg: FAKE.`);
  assert.deepEqual(spoken, []);
  pending();
  assert.deepEqual(spoken, ['f1.jpg: FAKE. f2.jpg: FAKE. f3.jpg: FAKE. And 2 more results: see the table.']);
  a.result('f6.jpg: REAL.');
  a.say('All 6 images done.');
  assert.deepEqual(spoken.slice(1), ['f6.jpg: REAL. All 6 images done.'], 'one message: a second one at once would hide the first');
});

test('intake: the picker offers WebP, AVIF and HEIC; links and text are refused with a reason', () => {
  for (const ext of ['.webp', '.avif', '.heic', '.jpg', '.png']) assert.ok(ACCEPT.includes(ext), ext);
  assert.ok(isImageFile({ name: 'mj.webp', type: '' }));
  assert.ok(isImageFile({ name: 'x', type: 'image/avif' }));
  assert.ok(!isImageFile({ name: 'notes.txt', type: 'text/plain' }));
  assert.match(describeNonFiles(['text/uri-list', 'text/plain'], 'https://example.org/cat.jpg'),
    /Only image files.*https:\/\/example\.org\/cat\.jpg was not fetched/);
  assert.match(describeNonFiles(['text/plain'], 'hello'), /text is ignored/);
  assert.equal(describeNonFiles([], ''), null);
});

test('the words under a verdict are for people: why no verdict, or one accuracy figure from the weight file', () => {
  const words = (raw) => plainReason(normaliseResult(raw, INFO), INFO);
  const ENGINE = /AUROC|native|scope|SIMD|P\(fake\)|\d+x\d+|band|logit|crops/;
  const tiny = words({ ...judged('FAKE', 0.9, 1, 37), reason: 'Too small to judge', detail: 'too small to judge: 1x37 pixels' });
  assert.equal(tiny, 'This image is 1 × 37 pixels, smaller than the 32 × 32 pixels the model looks at, so it gives no verdict.');
  const photo = words({ ...judged('REAL', 0.1, 384, 384), reason: 'Larger than anything', detail: 'out of scope: at most 32x32' });
  assert.match(photo, /larger than anything the model was tested on, so it gives no verdict\. On images like this its guesses were no better than chance\./);
  const weak = words({ label: 'UNSURE', pFake: 0.6, scope: 'weak-evidence', width: 32, height: 32, reason: 'weak',
    detail: 'weak evidence: P(fake) 0.60 lies in the band' });
  assert.match(weak, /too close to the line between real and AI-generated/);
  // a verdict: the one figure (the detector as it scores, UNSURE band included), never test_accuracy's
  const verdict = words(judged('FAKE', 0.97));
  assert.match(verdict, /98\.3 % of its verdicts were right/);
  assert.doesNotMatch(verdict, /97\.6/);
  for (const w of [tiny, photo, weak, verdict]) assert.doesNotMatch(w, ENGINE, w);
  // the headline's phrase is not said again
  for (const [r, w] of [[judged('FAKE', 0.9, 1, 37), tiny], [judged('REAL', 0.1, 384, 384), photo]])
    assert.ok(!w.toLowerCase().includes(verdictPhrase(normaliseResult(r, INFO))), w);
  assert.deepEqual(verdictFigure(INFO), { accuracy: '98.3 %', coverage: '99.0 %', accuracyValue: 0.9831, coverageValue: 0.9903 });
  assert.equal(verdictFigure({ test_accuracy: '0.9762' }), null, 'no figure is made up from another key');
  // the engine's words stay in the result (the card's details, the exports)
  assert.equal(normaliseResult({ ...judged('FAKE', 0.9, 1, 37), detail: 'too small to judge: 1x37 pixels' }, INFO).detail,
    'too small to judge: 1x37 pixels');
});

test('one accuracy figure for users: the shipped file\'s verdict_accuracy and verdict_coverage, in the README as on the page', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const { metadata, root, shippedWeights } = await import('./helpers.mjs');
  const figure = verdictFigure(metadata(shippedWeights));
  assert.ok(figure, 'weights/cifake.bin records verdict_accuracy and verdict_coverage');
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const plain = (s) => s.replace(' %', '%');
  assert.match(readme, new RegExp(`gives a verdict on ${plain(figure.coverage)} of them and ${plain(figure.accuracy)} of its\\s+verdicts are right`));
  // the network's own figures (one view, or every image decided) are the model card's, not the user's
  assert.doesNotMatch(readme.slice(0, readme.indexOf('## Results')), /97\.9%|97\.62|97\.6%/);
  for (const f of ['index.html', 'app.js', 'cards.js', 'result.js', 'exports.js'])
    assert.doesNotMatch(fs.readFileSync(path.join(root, 'web', f), 'utf8'), /test_accuracy|test_auroc|9[78]\.\d+ ?%/, f);
});

test("the page's metadata keys are the C side's (src/meta_keys.h, the table cifake-export --keys prints)", () => {
  const header = fs.readFileSync(path.join(root, 'src/meta_keys.h'), 'utf8');
  const cKeys = new Set([...header.matchAll(/^#define CF_META_\w+ "([^"]+)"/gm)].map((m) => m[1]));
  assert.ok(cKeys.size >= 20, `${cKeys.size} keys read from src/meta_keys.h`);
  assert.ok(Object.isFrozen(META));
  for (const [name, key] of Object.entries(META)) assert.ok(cKeys.has(key), `META.${name} = '${key}' is not in src/meta_keys.h`);
  // and the fixtures' metadata uses only such keys
  for (const key of Object.keys(INFO)) assert.ok(cKeys.has(key), key);
});
