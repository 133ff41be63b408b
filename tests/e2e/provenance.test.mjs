// The "Where it came from" panel in headless Chromium: a Content Credentials file, an AUTOMATIC1111
// PNG and a plain photo show their declaration and check; every C2PA file of ../shared/provenance
// gets the same status on the page as natively (cifake-detect --json where it prints provenance,
// else tests/provenance/expected.tsv, the native verifier's results); a hostile file leaves the page
// working. Saves tests/artifacts/provenance.png and provenance-phone.png. Skips, saying why, when
// ../shared/provenance is absent.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
import { crc32, root, run, sampleImages } from '../node/helpers.mjs';
import { ARTIFACTS, WEIGHTS, inputFiles, openPage, waitForCards } from './harness.mjs';

const SHARED = process.env.CIFAKE_PROVENANCE_DIR || path.resolve(root, '../shared/provenance');
const EXPECTED = path.join(root, 'tests/provenance/expected.tsv');
const skip = fs.existsSync(path.join(SHARED, 'MANIFEST.tsv')) ? false : `${SHARED} is absent (the shared provenance test files)`;
const { NONE_FOUND } = await import(new URL('../../web/provenance.js', import.meta.url).href);

let h;

before(async () => {
  if (!skip) h = await openPage();
});

after(async () => {
  if (h) await h.close();
});

// Each card's verdict and panel as the page shows them.
const readPanels = (page) => page.$$eval('.card', (cards) => cards.map((c) => {
  const panel = c.querySelector('.provenance');
  return {
    name: c.dataset.name, state: c.dataset.state, label: c.dataset.label || null, by: c.dataset.by || null,
    reason: c.querySelector('.reason').hidden ? null : c.querySelector('.reason').textContent,
    shown: !panel.hidden, declares: panel.dataset.declares, headline: panel.querySelector('.prov-headline').textContent,
    text: panel.innerText,
    signals: [...panel.querySelectorAll('.prov-signal')].map((s) => ({
      kind: s.dataset.kind, verified: s.dataset.verified,
      prompt: s.querySelector('.prov-prompt') ? { open: s.querySelector('.prov-prompt').open, text: s.querySelector('.prov-prompt pre').textContent } : null,
    })),
  };
}));

async function analyse(files) {
  await h.page.evaluate(() => document.querySelector('#clear:not([disabled])')?.click()); // disabled: nothing to clear
  assert.equal(await h.page.locator('.card').count(), 0, 'the cards of the test before were cleared');
  await h.page.setInputFiles('#file-input', inputFiles(files));
  await waitForCards(h.page, files.length);
  return new Map((await readPanels(h.page)).map((c) => [c.name, c]));
}

// A 40x40 grey PNG with n tiny tEXt chunks before its pixels.
function pngWithTextChunks(n) {
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.from([0, 0, 0, 40, 0, 0, 0, 40, 8, 0, 0, 0, 0]);
  const text = chunk('tEXt', Buffer.from('k\0v', 'latin1'));
  const rows = Buffer.alloc(41 * 40, 0x80);
  for (let y = 0; y < 40; y++) rows[41 * y] = 0; // filter: none
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    ...Array(n).fill(text), chunk('IDAT', zlib.deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

function readTsv(file) {
  const [head, ...rows] = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim());
  const cols = head.split('\t');
  return rows.map((l) => Object.fromEntries(l.split('\t').map((v, i) => [cols[i], v.trim()])));
}

test('a C2PA file, an A1111 PNG and a plain photo: the panel says what each declares and how it was checked', { skip }, async () => {
  const firefly = path.join(SHARED, 'c2pa/adobe_firefly_photoshop_ocsp.jpg');
  const a1111 = path.join(SHARED, 'synthetic/synth_a1111_parameters.png');
  const plain = sampleImages().find((s) => s.label === 'REAL').path;
  const cards = await analyse([firefly, a1111, plain]);

  const f = cards.get(path.basename(firefly));
  assert.equal(f.state, 'done');
  assert.equal(f.declares, 'ai-edited');
  assert.match(f.headline, /edited with generative AI/);
  assert.deepEqual(f.signals.find((s) => s.kind === 'c2pa').verified, 'untrusted');
  assert.match(f.text, /Adobe/);
  assert.match(f.text, /not on the C2PA trust list/);
  assert.equal(f.label, 'FAKE');
  assert.equal(f.by, 'provenance');
  assert.match(f.reason, /Firefly/);

  const a = cards.get(path.basename(a1111));
  assert.equal(a.declares, 'ai-generated');
  assert.equal(a.label, 'FAKE');
  assert.match(a.text, /AUTOMATIC1111/);
  const prompt = a.signals.find((s) => s.prompt).prompt;
  assert.equal(prompt.open, false, 'the prompt is collapsed');
  assert.ok(prompt.text.length > 0);

  const p = cards.get(path.basename(plain));
  assert.equal(p.declares, 'none');
  assert.equal(p.headline, NONE_FOUND);
  assert.deepEqual(p.signals, []);
  assert.notEqual(p.by, 'provenance', 'no metadata is no evidence either way');

  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await h.page.locator('#cards').screenshot({ path: path.join(ARTIFACTS, 'provenance.png') });
  await h.page.setViewportSize({ width: 390, height: 844 });
  await h.page.locator(`.card[data-name="${path.basename(firefly)}"]`).screenshot({ path: path.join(ARTIFACTS, 'provenance-phone.png') });
  await h.page.setViewportSize({ width: 1280, height: 900 });
  assert.deepEqual(h.problems, []);
});

test('every C2PA file gets the same status and declaration on the page as natively', { skip }, async () => {
  const c2paFiles = readTsv(path.join(SHARED, 'MANIFEST.tsv')).map((r) => r.path).filter((p) => /^(c2pa|camera)\//.test(p));
  assert.ok(c2paFiles.length >= 4);
  const files = c2paFiles.map((p) => path.join(SHARED, p));
  // the reference: the CLI's provenance where it prints one, else the native verifier's expected.tsv
  const cli = run('cifake-detect', ['--json', '--weights', WEIGHTS, ...files]);
  const native = new Map();
  try {
    for (const o of JSON.parse(cli.stdout)) if (o.provenance) native.set(o.path, o.provenance);
  } catch { /* the CLI's JSON is checked by the Node tests */ }
  const expected = fs.existsSync(EXPECTED) ? new Map(readTsv(EXPECTED).map((r) => [path.join(SHARED, r.path), r])) : new Map();
  const cards = await analyse(files);
  let compared = 0;
  for (const file of files) {
    const card = cards.get(path.basename(file));
    assert.equal(card.state, 'done', `${file}: ${card.reason}`);
    const status = card.signals.find((s) => s.kind === 'c2pa')?.verified;
    const ref = native.get(file);
    const want = ref ? { declares: ref.declares, status: ref.signals.find((s) => s.kind === 'c2pa')?.verified }
      : expected.has(file) ? { declares: expected.get(file).declares, status: expected.get(file).c2pa } : null;
    if (!want) continue;
    assert.deepEqual({ declares: card.declares, status }, want, `${path.relative(SHARED, file)}: page vs native`);
    compared++;
  }
  assert.ok(compared === files.length, `only ${compared} of ${files.length} C2PA files had a native reference`);
});

test('hostile metadata (a lying APP11 segment, a PNG of 10,000 text chunks) and a cut A1111 PNG leave the page working', { skip }, async () => {
  const jpeg = fs.readFileSync(sampleImages()[0].path);
  // an APP11 segment claiming a JUMBF box far longer than the segment, right after SOI
  const app11 = Buffer.concat([Buffer.from([0xff, 0xeb, 0x00, 0x20]), Buffer.from('JP'), Buffer.from([0, 1, 0, 0, 0, 1]),
    Buffer.from([0x7f, 0xff, 0xff, 0xff]), Buffer.from('jumb'), Buffer.alloc(12, 0x41)]);
  const lying = Buffer.concat([jpeg.subarray(0, 2), app11, jpeg.subarray(2)]);
  const good = sampleImages()[1].path;
  const chunky = pngWithTextChunks(10000);
  // an A1111 PNG cut inside its pixel data: the pixels cannot be judged, the parameters are still read
  const a1111 = fs.readFileSync(path.join(SHARED, 'synthetic/synth_a1111_parameters.png'));
  const cut = a1111.subarray(0, a1111.indexOf('IDAT') + 200);
  const cards = await analyse([{ name: 'lying-app11.jpg', mimeType: 'image/jpeg', buffer: lying },
    { name: 'chunks.png', mimeType: 'image/png', buffer: chunky }, { name: 'cut-a1111.png', mimeType: 'image/png', buffer: cut }, good]);
  const c = cards.get('cut-a1111.png');
  assert.equal(c.state, 'error');
  assert.ok(c.shown, 'a file that cannot be analysed still shows where it came from');
  assert.equal(c.declares, 'ai-generated');
  assert.equal(cards.get('chunks.png').state, 'done', 'the pixels of a PNG with 10,000 text chunks are judged');
  const bad = cards.get('lying-app11.jpg');
  assert.ok(['done', 'error'].includes(bad.state));
  assert.ok(bad.shown, 'the panel shows what could be read');
  assert.equal(cards.get(path.basename(good)).state, 'done', 'the next file is analysed');
  assert.deepEqual(h.problems, []);
});
