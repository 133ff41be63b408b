// End-to-end test of the web page in headless Chromium (Debian's /usr/bin/chromium via playwright-core):
// serves web/ on a free local port, adds sample images and a broken file through the file input, a
// real drop event and a paste, and checks the verdicts against the native CLI, the heatmap canvas, the
// error card, the table and the CSV export. Saves tests/artifacts/page.png (plus dark and phone views).
// Weights: $CIFAKE_WEIGHTS, else weights/cifake.bin (served as /cifake.bin).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TRAP_MAGIC, sampleImages, tempDir, trappingDetectorSource } from '../node/helpers.mjs';
import { ARTIFACTS, WEB, WEIGHTS, checkAgainstNative, makeBmp, nativeVerdicts, openPage, readCards as read,
  waitForCards as wait } from './harness.mjs';

const { CSV_COLUMNS } = await import(new URL('../../web/exports.js', import.meta.url).href);

let h, origin, page, requests, problems;

before(async () => {
  h = await openPage();
  ({ origin, page, requests, problems } = h);
});

after(async () => {
  if (h) await h.close();
});

const waitForCards = (n) => wait(page, n);
const readCards = () => read(page);

test('the page classifies a batch like the native CLI, isolates a broken file and draws heatmaps', async () => {
  // every sample, REAL and FAKE interleaved, with a broken file early on: the ones after it must
  // still be analysed
  const samples = sampleImages();
  const real = samples.filter((s) => s.label === 'REAL');
  const fake = samples.filter((s) => s.label === 'FAKE');
  const picked = [];
  for (let k = 0; k < Math.max(real.length, fake.length); k++) picked.push(...[real[k], fake[k]].filter(Boolean));
  const native = nativeVerdicts(picked.map((s) => s.path));
  const jpeg = fs.readFileSync(picked[0].path);
  const files = picked.map((s) => ({ name: path.basename(s.path), mimeType: 'image/jpeg', buffer: fs.readFileSync(s.path) }));
  files.splice(2, 0, { name: 'broken.jpg', mimeType: 'image/jpeg', buffer: jpeg.subarray(0, Math.floor(jpeg.length / 2)) });
  // watch the progress indicator appear for the batch
  await page.evaluate(() => {
    window.sawProgress = false;
    new MutationObserver(() => { if (!document.querySelector('#progress').hidden) window.sawProgress = true; })
      .observe(document.querySelector('#progress'), { attributes: true });
  });
  await page.setInputFiles('#file-input', files);
  await waitForCards(files.length);
  assert.equal(await page.evaluate(() => window.sawProgress), true, 'no progress indicator for a batch');
  assert.equal(await page.isHidden('#progress'), true, 'the progress indicator stays after the batch');

  const cards = await readCards();
  assert.equal(cards.length, files.length);
  const byName = new Map(cards.map((c) => [c.name, c]));
  const broken = byName.get('broken.jpg');
  assert.equal(broken.state, 'error');
  assert.match(broken.error, /truncated|corrupt/i);
  assert.ok(await page.isVisible('.card[data-name="broken.jpg"] .error'), 'the error is shown on the card');
  for (const s of picked) checkAgainstNative(byName.get(path.basename(s.path)), native.get(s.path));

  // the heatmap canvas has real content, and the opacity, before/after and colour controls change it
  const sel = `.card[data-name="${path.basename(picked[1].path)}"]`;
  const pixels = () => page.$eval(`${sel} canvas.overlay`, (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const colours = new Set();
    let sum = 0;
    for (let k = 0; k < d.length; k += 4) {
      colours.add((d[k] << 16) | (d[k + 1] << 8) | d[k + 2]);
      sum += d[k] + 3 * d[k + 1] + 7 * d[k + 2];
    }
    return { w: c.width, colours: colours.size, sum };
  });
  const withHeat = await pixels();
  assert.ok(withHeat.w >= 256, `canvas is ${withHeat.w} px`);
  assert.ok(withHeat.colours > 100, `only ${withHeat.colours} colours in the overlay`);
  // a card far down a big batch may have to fetch its layers again from the worker: wait for the change
  const changed = (old) => page.waitForFunction(([s, o]) => {
    const c = document.querySelector(`${s} canvas.overlay`);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    for (let k = 0; k < d.length; k += 4) sum += d[k] + 3 * d[k + 1] + 7 * d[k + 2];
    return sum !== o && !document.querySelector(s).classList.contains('busy');
  }, [sel, old], { timeout: 20000 }).then(pixels);
  await page.click(`${sel} .toggle`);
  assert.equal(await page.getAttribute(`${sel} .toggle`, 'aria-pressed'), 'false');
  const plain = await changed(withHeat.sum); // before/after toggle
  assert.equal(await page.textContent(`${sel} .viz-tag`), 'Before');
  await page.click(`${sel} .toggle`);
  assert.equal((await changed(plain.sum)).sum, withHeat.sum, 'toggling back restores the overlay');
  await page.$eval(`${sel} .alpha`, (r) => { r.value = '90'; r.dispatchEvent(new Event('input', { bubbles: true })); });
  const strong = await changed(withHeat.sum); // opacity slider
  await page.selectOption(`${sel} .colormap`, 'viridis');
  await changed(strong.sum); // colour map
  await page.selectOption(`${sel} .method`, 'gradcampp');
  await page.waitForFunction((s) => document.querySelector(`${s} .viz-tag`).textContent.startsWith('Grad-CAM++'), sel);
  const after = await readCards();
  assert.equal(after.find((c) => c.name === path.basename(picked[1].path)).label, native.get(picked[1].path).label);
});

test('a real drop event and a paste add images too; a photo-sized image is UNSURE, its centre square outlined', async () => {
  const samples = sampleImages();
  const a = samples.filter((s) => s.label === 'FAKE')[5];
  const b = samples.filter((s) => s.label === 'REAL')[5];
  const dir = tempDir('cifake-e2e-');
  const bmp = path.join(dir, 'photo.bmp');
  fs.writeFileSync(bmp, makeBmp(640, 400));
  const native = nativeVerdicts([a.path, b.path, bmp]);
  const before = (await readCards()).length;
  await page.evaluate(async (list) => {
    const dt = new DataTransfer();
    for (const [name, type, b64] of list)
      dt.items.add(new File([Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0))], name, { type }));
    const zone = document.querySelector('#dropzone');
    for (const type of ['dragenter', 'dragover', 'drop'])
      zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, [['dropped.jpg', 'image/jpeg', fs.readFileSync(a.path).toString('base64')],
    ['photo.bmp', 'image/bmp', fs.readFileSync(bmp).toString('base64')]]);
  await page.evaluate(async ([b64]) => {
    const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'image.jpg', { type: 'image/jpeg' }));
    document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, [fs.readFileSync(b.path).toString('base64')]);
  await waitForCards(before + 3);
  const cards = await readCards();
  checkAgainstNative(cards.find((c) => c.name === 'dropped.jpg'), native.get(a.path));
  checkAgainstNative(cards.find((c) => c.name === 'pasted-1.jpg'), native.get(b.path));
  checkAgainstNative(cards.find((c) => c.name === 'photo.bmp'), native.get(bmp));
  assert.match(await page.textContent('.card[data-name="photo.bmp"] .dims'), /640 × 400 px/);
  assert.match(await page.textContent('.card[data-name="photo.bmp"] .viz-caption'), /the 400 × 400 square the model looked at/);
  assert.deepEqual(await page.$eval('.card[data-name="photo.bmp"] canvas.overlay', (c) => [c.width, c.height]), [640, 400]);
  assert.equal(await page.evaluate(() => document.querySelector('#dropzone').classList.contains('dragging')), false);
});

test('the table sorts, exports CSV and JSON, and the model note reads the weight file', async () => {
  const n = (await readCards()).length;
  assert.equal(await page.locator('#table tbody tr').count(), n);
  await page.click('#table th[data-key="pFake"] button');
  assert.equal(await page.getAttribute('#table th[data-key="pFake"]', 'aria-sort'), 'descending');
  await page.waitForTimeout(300);
  const ps = await page.$$eval('#table tbody tr', (rows) => rows.map((r) => r.cells[3].dataset.value).filter(Boolean).map(Number));
  assert.deepEqual(ps, [...ps].sort((x, y) => y - x));

  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  assert.equal(csv.suggestedFilename(), 'cifake-results.csv');
  const lines = fs.readFileSync(await csv.path(), 'utf8').trim().split(/\r?\n/);
  assert.equal(lines[0], CSV_COLUMNS.join(','));
  assert.equal(lines.length, n + 1);
  assert.ok(lines.some((l) => l.includes('broken.jpg') && /truncated|corrupt/i.test(l)));
  const [json] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  const doc = JSON.parse(fs.readFileSync(await json.path(), 'utf8'));
  assert.equal(doc.results.length, n);
  assert.ok(doc.model.spec);

  const { metadata } = await import('../node/helpers.mjs');
  const meta = metadata(WEIGHTS);
  // one accuracy figure, the weight file's verdict_accuracy and verdict_coverage (never test_accuracy)
  const acc = await page.textContent('#m-accuracy');
  const coverage = await page.textContent('#m-coverage');
  if ('verdict_accuracy' in meta) assert.equal(acc, `${(Number(meta.verdict_accuracy) * 100).toFixed(1)} %`);
  else assert.equal(acc, 'not recorded');
  if ('verdict_coverage' in meta) assert.equal(coverage, `${(Number(meta.verdict_coverage) * 100).toFixed(1)} %`);
  else assert.equal(coverage, 'not recorded');
  assert.equal(await page.textContent('#n-accuracy'), acc);
  assert.equal(await page.textContent('#n-coverage'), coverage);
  assert.equal(doc.model.verdict_accuracy, 'verdict_accuracy' in meta ? Number(meta.verdict_accuracy) : null);
  assert.doesNotMatch(await page.innerText('main'), /AUROC|SIMD/);
  assert.match(await page.textContent('.about'), /CIFAKE[\s\S]*32 × 32[\s\S]*not proof/);
});

test('an image that makes the detector core trap gets an error; the images after it are still judged', async () => {
  // a second page whose workers load detector.js with a trap (tests/node/helpers.mjs): the image that
  // starts with TRAP_MAGIC makes the core read far outside its memory, a real WebAssembly trap
  const samples = sampleImages().slice(0, 5);
  const native = nativeVerdicts(samples.map((s) => s.path));
  h.server.rewrite('/detector.js', () => Buffer.from(trappingDetectorSource()));
  const p = await h.context.newPage();
  try {
    const errors = [];
    p.on('pageerror', (e) => errors.push(e.message));
    await p.goto(`${origin}/`);
    await p.waitForFunction(() => document.documentElement.dataset.model === 'ready', null, { timeout: 60000 });
    const files = samples.map((s) => ({ name: path.basename(s.path), mimeType: 'image/jpeg', buffer: fs.readFileSync(s.path) }));
    const trap = { name: 'trap.jpg', mimeType: 'image/jpeg', buffer: Buffer.concat([TRAP_MAGIC, files[0].buffer]) };
    files.splice(1, 0, trap, { ...trap, name: 'trap-again.jpg' });
    await p.setInputFiles('#file-input', files);
    await p.waitForFunction((count) => {
      const cards = [...document.querySelectorAll('.card')];
      return cards.length === count && cards.every((c) => c.dataset.state === 'done' || c.dataset.state === 'error');
    }, files.length, { timeout: 120000 });
    const cards = await p.$$eval('.card', (all) => all.map((c) => ({
      name: c.dataset.name, state: c.dataset.state, label: c.dataset.label || null,
      pFake: c.dataset.pFake ? Number(c.dataset.pFake) : null,
      error: c.querySelector('.error').hidden ? null : c.querySelector('.error').textContent,
    })));
    const byName = new Map(cards.map((c) => [c.name, c]));
    for (const name of ['trap.jpg', 'trap-again.jpg']) {
      assert.equal(byName.get(name).state, 'error', name);
      assert.match(byName.get(name).error, /the detector core failed on this input \(.*\); it was restarted/, name);
    }
    for (const s of samples) checkAgainstNative(byName.get(path.basename(s.path)), native.get(s.path));
    assert.equal(await p.evaluate(() => document.documentElement.dataset.model), 'ready');
    assert.deepEqual(errors, []);
  } finally {
    h.server.rewrite('/detector.js', null);
    await p.close();
  }
});

test('keyboard reaches the controls, nothing left the machine, no errors; screenshots saved', async () => {
  await page.click('#table th[data-key="index"] button'); // back to insertion order for the picture
  await page.keyboard.press('Tab'); // from the header button onwards, focus moves through real controls
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.tagName);
  assert.ok(['BUTTON', 'SELECT', 'INPUT', 'A', 'SUMMARY'].includes(focused), `focus went to ${focused}`);
  await page.evaluate(() => document.activeElement.blur());

  const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:'));
  assert.deepEqual(foreign, [], 'the page contacted another host');
  // every request is for a file of web/ (or the weights), nothing else
  const unexpected = requests.filter((u) => u.startsWith(origin)).map((u) => new URL(u).pathname)
    .filter((p) => p !== '/' && p !== '/cifake.bin' && !fs.existsSync(path.join(WEB, p)));
  assert.deepEqual(unexpected, [], 'unexpected requests');
  assert.deepEqual(problems.filter((p) => !/404|favicon/.test(p)), []);

  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.setViewportSize({ width: 1280, height: 1800 });
  await page.screenshot({ path: path.join(ARTIFACTS, 'page.png') });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(400); // let colour transitions finish
  await page.screenshot({ path: path.join(ARTIFACTS, 'page-dark.png'), fullPage: false });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(ARTIFACTS, 'page-phone.png'), fullPage: false });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page scrolls sideways on a phone by ${overflow} px`);
  assert.ok(fs.statSync(path.join(ARTIFACTS, 'page.png')).size > 10000);
});
