// Each card state read as a person reads it (issue 29, items 1, 7, 11-14), in headless Chromium on a
// desktop and on a phone (390 x 844, touch): a card says nothing about a region or a heatmap that does
// not exist, the bar's UNSURE band matches the word, the heatmap says which class it explains and has
// a colour key, a damaged file says so, and the phone keeps the new card, the table's P(fake) column,
// a long file name and a batch of 14 images within the screen.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadDetector } from '../../web/detector.js';
import { inputToRgba, rgbaToBmp } from '../../web/pixels.js';
import { unsureBand } from '../../web/result.js';
import { provenanceDir, sampleImages } from '../node/helpers.mjs';
import { WEB, WEIGHTS, inputFiles, makeBmp, openPage, waitForCards } from './harness.mjs';

const card = (name) => `.card[data-name="${name}"]`;
const real = () => sampleImages().filter((s) => s.label === 'REAL');
const fake = () => sampleImages().filter((s) => s.label === 'FAKE');

// A 32x32 image the model finds weak evidence for: a REAL and a FAKE sample blended, the blend
// bisected until P(fake) falls in the weight file's UNSURE band (found with the same detector in Node).
async function weakEvidenceBmp() {
  const d = await loadDetector({ wasm: path.join(WEB, 'cifake.wasm'), weights: WEIGHTS });
  const info = d.info();
  const band = unsureBand(info);
  assert.ok(band, 'the weight file states an UNSURE band');
  const px = (p) => inputToRgba(d.classify(fs.readFileSync(p), { input: true }).input, info).data;
  const a = px(real()[0].path), b = px(fake()[0].path);
  const mix = (t) => Buffer.from(rgbaToBmp(Uint8ClampedArray.from(a, (v, k) => Math.round(v * (1 - t) + b[k] * t)), 32, 32));
  const threshold = Number(info.threshold);
  let lo = 0, hi = 1;
  for (let k = 0; k < 40; k++) {
    const t = (lo + hi) / 2, r = d.classify(mix(t));
    if (r.scope === 'weak-evidence') return { bytes: mix(t), pFake: r.pFake, band, threshold };
    if (r.pFake < threshold) lo = t; else hi = t;
  }
  throw new Error('no blend of the two samples is weak evidence');
}

const a1111 = path.join(provenanceDir, 'synthetic/synth_a1111_parameters.png');

describe('desktop 1280 x 900', () => {
  let h, page, weak;
  const files = [];

  before(async () => {
    weak = await weakEvidenceBmp();
    files.push({ ...inputFiles([real()[0].path])[0], name: 'real.jpg' }, { ...inputFiles([fake()[1].path])[0], name: 'fake.jpg' },
      { name: 'tiny_1x37.bmp', mimeType: 'image/bmp', buffer: makeBmp(1, 37) },
      { name: 'photo.bmp', mimeType: 'image/bmp', buffer: makeBmp(640, 400) },
      { name: 'weak.bmp', mimeType: 'image/bmp', buffer: weak.bytes },
      { name: 'damaged.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('this is not a JPEG at all, only some text') });
    if (fs.existsSync(a1111)) files.push(inputFiles([a1111])[0]);
    h = await openPage();
    page = h.page;
    await page.setInputFiles('#file-input', files);
    await waitForCards(page, files.length);
  });
  after(async () => { if (h) await h.close(); });

  test('a too-small image has no analysed region, no "what the model saw" and no heatmap controls (item 1, 12)', async () => {
    const sel = card('tiny_1x37.bmp');
    assert.equal(await page.getAttribute(sel, 'data-scope'), 'too-small');
    assert.match(await page.textContent(`${sel} .viz-caption`), /too small for the model, so no verdict and no heatmap/);
    assert.ok(await page.isHidden(`${sel} .seen`), 'no "what the model saw" for an image no model looked at');
    assert.ok(await page.isHidden(`${sel} .card-controls`));
    assert.ok(await page.isHidden(`${sel} .viz-tag`), 'no "Before" tag where there is no "after"');
    assert.ok(await page.isHidden(`${sel} .legend`));
    // the picture is the image itself, unshaded: no outline of a 1x1 "region"
    const dark = await page.$eval(`${sel} canvas.overlay`, (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let k = 0; k < d.length; k += 4) if (d[k] + d[k + 1] + d[k + 2] < 30) n++;
      return n / (d.length / 4);
    });
    assert.ok(dark < 0.05, `${Math.round(dark * 100)} % of the picture is shaded or outlined`);
  });

  test('heatmap controls, tag and colour key only where a heatmap exists; the key says which class it explains (items 11, 12)', async () => {
    for (const name of ['photo.bmp', 'damaged.jpg', ...(fs.existsSync(a1111) ? [path.basename(a1111)] : [])]) {
      assert.ok(await page.isHidden(`${card(name)} .card-controls`), `${name}: no heatmap controls`);
      assert.ok(await page.isHidden(`${card(name)} .viz-tag`), `${name}: no "Before" tag`);
      assert.ok(await page.isHidden(`${card(name)} .legend`), `${name}: no colour key`);
    }
    for (const [name, target] of [['real.jpg', 'REAL'], ['fake.jpg', 'FAKE']]) {
      const sel = card(name);
      assert.ok(await page.isVisible(`${sel} .card-controls`), `${name}: heatmap controls`);
      assert.ok(await page.isVisible(`${sel} .legend`), `${name}: a colour key next to the heatmap`);
      assert.equal(await page.getAttribute(`${sel} .legend`, 'data-colormap'), 'turbo');
      assert.match(await page.textContent(`${sel} .legend-label`), new RegExp(`towards ${target}$`));
      assert.match(await page.textContent(`${sel} .viz-tag`), new RegExp(`^Grad-CAM · ${target} · 50 %$`));
      assert.match(await page.getAttribute(`${sel} canvas.overlay`, 'aria-label'), new RegExp(`pushed the model towards ${target}`));
    }
    // the key follows the card's colours, and goes with the heatmap when it is switched off
    const sel = card('fake.jpg');
    await page.selectOption(`${sel} .colormap`, 'viridis');
    await page.waitForFunction((s) => document.querySelector(`${s} .legend`).dataset.colormap === 'viridis', sel, { timeout: 20000 });
    await page.click(`${sel} .toggle`);
    await page.waitForFunction((s) => document.querySelector(`${s} .legend`).hidden, sel);
    assert.equal(await page.textContent(`${sel} .viz-tag`), 'Before');
  });

  test('a weak-evidence card draws the UNSURE band on its bar, around its P(fake) (item 11)', async () => {
    const sel = card('weak.bmp');
    assert.equal(await page.getAttribute(sel, 'data-label'), 'UNSURE');
    assert.equal(await page.getAttribute(sel, 'data-scope'), 'weak-evidence');
    assert.ok(await page.isVisible(`${sel} .pbar-band`));
    assert.ok(await page.isVisible(`${sel} .pbar-scale-unsure`));
    const g = await page.evaluate((s) => {
      const box = (q) => document.querySelector(`${s} ${q}`).getBoundingClientRect();
      const bar = box('.pbar'), band = box('.pbar-band'), fill = box('.pbar-fill');
      return { bar: [bar.left, bar.width], band: [band.left - bar.left, band.right - bar.left], fill: fill.right - bar.left };
    }, sel);
    const at = (p) => p * g.bar[1];
    assert.ok(Math.abs(g.band[0] - at(weak.band.low)) <= 1.5 && Math.abs(g.band[1] - at(weak.band.high)) <= 1.5,
      `band ${g.band} px, expected ${at(weak.band.low)}..${at(weak.band.high)}`);
    assert.ok(g.fill > g.band[0] && g.fill < g.band[1], `P(fake) ${weak.pFake} ends at ${g.fill} px, outside the band ${g.band}`);
    // the map of a weak-evidence image explains the class on its side of the threshold
    const target = weak.pFake >= weak.threshold ? 'FAKE' : 'REAL';
    assert.match(await page.textContent(`${sel} .legend-label`), new RegExp(`towards ${target}, too weakly for a verdict$`));
    assert.ok(await page.isVisible(`${sel} .card-controls`));
  });

  test('a damaged file says so in plain words, without a broken thumbnail or a tall empty box (item 13)', async () => {
    const sel = card('damaged.jpg');
    const text = await page.textContent(`${sel} .error`);
    assert.match(text, /damaged or not an image/);
    assert.match(text, /WebP, AVIF or HEIC/, 'the formats the page advertises');
    assert.doesNotMatch(text, /\(JPEG, PNG, BMP, GIF\)/, 'not the core\'s shorter list beside it');
    assert.ok(await page.isHidden(`${sel} .thumb`), 'no broken thumbnail');
    const row = await page.$eval('#table tbody tr[data-id="6"] .status-cell', (c) => c.textContent);
    assert.match(row, /^damaged or not an image: /, 'the table says it too');
    assert.doesNotMatch(row, /JPEG, PNG, BMP, GIF/);
    assert.equal(await page.textContent('#table tbody tr[data-id="6"] .verdict-cell'), 'ERROR', 'also where the status column is hidden');
    const [own, content] = await page.$eval(sel, (c) => [c.getBoundingClientRect().height,
      [...c.children].filter((e) => !e.hidden && getComputedStyle(e).display !== 'none')
        .reduce((s, e) => s + e.getBoundingClientRect().height, 0)]);
    assert.ok(own < content + 120, `the card is ${own} px tall for ${content} px of content`);
  });

  test('the export: model version from the weight file\'s content, no heatmap method without a heatmap, failed files hashed (items 1, 7)', async () => {
    const [json] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
    const doc = JSON.parse(fs.readFileSync(await json.path(), 'utf8'));
    const sha = crypto.createHash('sha256').update(fs.readFileSync(WEIGHTS)).digest('hex');
    assert.equal(doc.model.version, sha.slice(0, 12));
    assert.doesNotMatch(doc.model.version, /dirty/);
    const row = (name) => doc.results.find((r) => r.name === name);
    const damaged = files.find((f) => f.name === 'damaged.jpg');
    assert.equal(row('damaged.jpg').status, 'error');
    assert.equal(row('damaged.jpg').sha256, crypto.createHash('sha256').update(damaged.buffer).digest('hex'));
    assert.equal(row('tiny_1x37.bmp').region, null, 'no analysed region for an image no model looked at');
    assert.equal(row('tiny_1x37.bmp').cam_method, null);
    assert.equal(row('photo.bmp').cam_method, null, 'no heatmap for an image out of scope');
    assert.equal(row('real.jpg').cam_method, 'gradcam');
    assert.equal(row('weak.bmp').cam_method, 'gradcam');
  });
});

describe('phone 390 x 844 with touch', () => {
  let h, page;
  before(async () => {
    h = await openPage({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    page = h.page;
  });
  after(async () => { if (h) await h.close(); });

  test('no keyboard paste hint on a touch screen', async () => {
    const text = await page.innerText('.dropzone-text');
    assert.match(text, /Drop images/);
    assert.doesNotMatch(text, /Ctrl|⌘/);
  });

  test('after a pick the new card stays on the screen once its result is in (item 14)', async () => {
    await page.setInputFiles('#file-input', [{ ...inputFiles([real()[3].path])[0], name: 'first.jpg' }]);
    await waitForCards(page, 1);
    await page.waitForTimeout(1200); // the smooth scroll and the page's own changes settle
    const top = await page.$eval(card('first.jpg'), (c) => c.getBoundingClientRect().top);
    assert.ok(top >= 0 && top < 844 - 160, `the new card's top is at ${top} px`);
  });

  test('a long file name stays within the status line; the table shows P(fake) within its box (item 14)', async () => {
    const long = `${'IMG_20261205_174512_HDR_portrait_edited_final_'.repeat(3)}v2.jpg`;
    await page.setInputFiles('#file-input', [{ ...inputFiles([fake()[2].path])[0], name: long }]);
    await waitForCards(page, 2);
    await page.waitForFunction((n) => document.querySelector('#status').textContent.includes(n), long);
    const status = await page.$eval('#status', (s) => [s.scrollWidth, s.clientWidth]);
    assert.ok(status[0] <= status[1], `the status line is ${status[0]} px wide in ${status[1]} px`);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'nothing wider than the screen');
    // images with long reasons in the table's status column
    await page.setInputFiles('#file-input', [{ ...inputFiles([real()[4].path])[0], name: 'b.jpg' },
      { name: 'tiny.bmp', mimeType: 'image/bmp', buffer: makeBmp(20, 12) }, { name: 'photo.bmp', mimeType: 'image/bmp', buffer: makeBmp(400, 300) }]);
    await waitForCards(page, 5);
    const t = await page.evaluate(() => {
      const wrap = document.querySelector('#table-wrap').getBoundingClientRect();
      const th = document.querySelector('#table th[data-key="pFake"]').getBoundingClientRect();
      return { wrap: [wrap.left, wrap.right], th: [th.left, th.right] };
    });
    assert.ok(t.th[0] >= t.wrap[0] && t.th[1] <= t.wrap[1] + 0.5, `P(fake) column at ${t.th} in a box at ${t.wrap}`);
  });

  test('14 images: the compact list keeps the page short (item 14)', async () => {
    const more = sampleImages().slice(10, 19).map((s, k) => ({ ...inputFiles([s.path])[0], name: `batch-${k}.jpg` }));
    await page.setInputFiles('#file-input', more);
    await waitForCards(page, 14);
    const height = () => page.$eval('#cards', (c) => c.getBoundingClientRect().height);
    const full = await height();
    await page.click('#compact');
    assert.equal(await page.getAttribute('#compact', 'aria-pressed'), 'true');
    const compact = await height();
    assert.ok(compact < 14 * 170, `14 compact cards take ${compact} px`);
    assert.ok(compact < full / 3, `compact ${compact} px against ${full} px of full cards`);
    // a card opens in place, and the table's link opens its card
    await page.click(`${card('b.jpg')} .card-head`);
    assert.ok(await page.isVisible(`${card('b.jpg')} .viz`));
    await page.click('#compact');
    assert.ok(await page.isVisible(`${card('batch-0.jpg')} .viz`), 'full cards again');
  });
});
