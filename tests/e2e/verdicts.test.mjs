// Verdict display in headless Chromium: UNSURE as its own state with its reason (too small, out of
// the model's scope), the model's measured reliability on the card, probabilities never shown as
// "100.0 %", and per-file results in the live region for a batch of more than three. The weights are
// the shipped file with the metadata a model uses to state its scope and reliability.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sampleImages, tempDir } from '../node/helpers.mjs';
import { WEIGHTS, inputFiles, makeBmp, openPage, readCards, waitForCards, weightsWithMeta } from './harness.mjs';

const RELIABILITY = "On CIFAKE's 32x32 test images this model is right 97.6% of the time.";
const OUT_OF_SCOPE = 'Not measured on images larger than 64x64 pixels.';
let h, page, dir;

before(async () => {
  dir = tempDir('cifake-verdicts-');
  const weights = path.join(dir, 'scoped.bin');
  fs.writeFileSync(weights, weightsWithMeta(WEIGHTS, {
    reliability: RELIABILITY, scope_max_side: '64', reliability_out_of_scope: OUT_OF_SCOPE,
  }));
  h = await openPage({ weights });
  page = h.page;
});

after(async () => {
  if (h) await h.close();
});

test('UNSURE is its own state with its reason; a judged image shows the reliability; no 100.0 %', async () => {
  const fake = sampleImages().filter((s) => s.label === 'FAKE');
  await page.evaluate(() => {
    window.spoken = [];
    new MutationObserver(() => window.spoken.push(document.querySelector('#message').textContent))
      .observe(document.querySelector('#message'), { childList: true, characterData: true, subtree: true });
  });
  const files = inputFiles(fake.slice(0, 4).map((s) => s.path));
  files.push({ name: 'tiny.bmp', mimeType: 'image/bmp', buffer: makeBmp(16, 12) });
  files.push({ name: 'photo.bmp', mimeType: 'image/bmp', buffer: makeBmp(640, 400) });
  await page.setInputFiles('#file-input', files);
  await waitForCards(page, files.length);
  const cards = new Map((await readCards(page)).map((c) => [c.name, c]));

  const tiny = cards.get('tiny.bmp');
  assert.equal(tiny.state, 'done', 'UNSURE is a result, not an error');
  assert.equal(tiny.label, 'UNSURE');
  assert.equal(tiny.scope, 'too-small');
  assert.match(tiny.verdict, /UNSURE\s+too small to judge/);
  assert.doesNotMatch(tiny.verdict, /%/, 'no probability for an image the model does not judge');
  // plain words under the verdict, the engine's one click away (in the card's closed details)
  assert.equal(await page.textContent('.card[data-name="tiny.bmp"] .reason'),
    'This image is 16 × 12 pixels, smaller than the 32 × 32 pixels the model looks at, so it gives no verdict.');
  assert.match(await page.textContent('.card[data-name="tiny.bmp"] .detail'), /too small to judge: 16x12 pixels/);
  assert.ok(await page.isHidden('.card[data-name="tiny.bmp"] .detail'));
  await page.click('.card[data-name="tiny.bmp"] .more summary');
  assert.ok(await page.isVisible('.card[data-name="tiny.bmp"] .detail'));
  await page.click('.card[data-name="tiny.bmp"] .more summary'); // closed again
  assert.ok(await page.isVisible('.card[data-name="tiny.bmp"] .reason'));
  assert.ok(await page.isHidden('.card[data-name="tiny.bmp"] .pbar'));

  const photo = cards.get('photo.bmp');
  assert.equal(photo.label, 'UNSURE');
  assert.equal(photo.scope, 'out-of-scope');
  assert.equal(await page.textContent('.card[data-name="photo.bmp"] .reason'), 'This image is larger than anything the ' +
    'model was tested on, so it gives no verdict. On images like this its guesses were no better than chance.');
  assert.match(await page.textContent('.card[data-name="photo.bmp"] .detail'), /at most 64x64 pixels/);
  assert.equal(await page.textContent('.card[data-name="photo.bmp"] .reliability'), OUT_OF_SCOPE);

  // the UNSURE tag has its own colours, neither REAL's nor FAKE's
  const colours = await page.evaluate(() => Object.fromEntries(['real', 'fake', 'unsure'].map((k) => {
    const t = document.createElement('span');
    t.className = `tag ${k}`;
    document.body.append(t);
    const cs = getComputedStyle(t);
    const v = `${cs.color}|${cs.backgroundColor}`;
    t.remove();
    return [k, v];
  })));
  assert.notEqual(colours.unsure, colours.real);
  assert.notEqual(colours.unsure, colours.fake);
  assert.equal(await page.$eval('.card[data-name="tiny.bmp"] .verdict-label', (e) => e.className), 'verdict-label tag unsure');

  for (const s of fake.slice(0, 4)) {
    const c = cards.get(path.basename(s.path));
    assert.equal(c.scope, 'judged');
    assert.match(c.verdict, /P\(fake\) (> 99|\d{1,2}) %/);
    assert.equal(await page.textContent(`.card[data-name="${c.name}"] .reliability`), RELIABILITY);
    assert.match(await page.textContent(`.card[data-name="${c.name}"] .reason`), /^On the 32 × 32 test images it was made for, 98\.3 % of its verdicts were right\./);
  }
  // what a person reads without opening anything has no engineering terms
  const shown = await page.innerText('main');
  assert.doesNotMatch(shown, /AUROC|SIMD|native 128x128|out of scope:|too small to judge:|uncertain band/);
  const text = await page.textContent('body');
  assert.doesNotMatch(text, /100\.0 ?%|100 %/);
  const tableP = await page.$$eval('#table tbody tr', (rows) => rows.map((r) => r.cells[3].textContent));
  assert.ok(tableP.every((t) => t === '' || /^(> 99|< 1|\d{1,2}) %$/.test(t)), tableP.join(' | '));

  // six files: the live region named every one of them
  await page.waitForFunction(() => window.spoken.some((t) => /All 6 images done/.test(t)));
  const spoken = (await page.evaluate(() => window.spoken)).join(' ');
  for (const f of files) assert.ok(spoken.includes(f.name), `${f.name} was never announced: ${spoken}`);
  assert.match(spoken, /tiny\.bmp: UNSURE/);
});
