// cifake-eval's calibration report: the ECE in its JSON equals the ECE of the probabilities
// cifake-detect gives the same images (recomputed here, the top-label definition of metrics.h), and
// --calibration draws the reliability diagram and lists the bins.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { decodePng, run, sampleImages, shippedWeights, tempDir, tinyDataset } from './helpers.mjs';

function ece(probs, labels, bins) {
  const count = new Array(bins).fill(0), conf = new Array(bins).fill(0), right = new Array(bins).fill(0);
  probs.forEach((p, i) => {
    const predicted = p >= 0.5 ? 1 : 0, c = predicted ? p : 1 - p;
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(c * bins) - 1));
    count[b]++;
    conf[b] += c;
    right[b] += predicted === labels[i];
  });
  return count.reduce((sum, n, b) => (n ? sum + Math.abs(right[b] / n - conf[b] / n) * n / probs.length : sum), 0);
}

test('cifake-eval reports the ECE of the probabilities the detector gives, and draws the reliability diagram', () => {
  const data = tinyDataset(), out = tempDir(), png = path.join(out, 'sub/reliability.png');
  const r = run('cifake-eval', ['--weights', shippedWeights, '--data', data, '--json', '--calibration', png]);
  assert.equal(r.code, 0, r.stderr);
  const m = JSON.parse(r.stdout);
  assert.equal(m.ece_bins, 15);
  assert.ok(m.ece_t1 >= 0 && m.ece_t1 <= 1, `ece_t1 ${m.ece_t1}`);

  const images = sampleImages();
  const detected = JSON.parse(run('cifake-detect', ['--json', ...images.map((i) => i.path)]).stdout);
  const probs = detected.map((d) => d.p_fake), labels = images.map((i) => (i.label === 'FAKE' ? 1 : 0));
  assert.ok(Math.abs(ece(probs, labels, 15) - m.ece) < 1e-3, `detector ${ece(probs, labels, 15)} vs eval ${m.ece}`);

  // the per-bin table: counts add up to n at both temperatures, and it ends with both ECEs
  const rows = [...r.stderr.matchAll(/^\((\d\.\d{4}), (\d\.\d{4})\] \| +(\d+) .* \| +(\d+) /gm)];
  assert.ok(rows.length >= 1);
  for (const k of [3, 4]) assert.equal(rows.reduce((s, row) => s + Number(row[k]), 0), m.n);
  assert.match(r.stderr, new RegExp(`ECE ${m.ece_t1.toFixed(4)} at T = 1, ${m.ece.toFixed(4)} at T = `));
  const img = decodePng(fs.readFileSync(png));
  assert.ok(img.width > 600 && img.height > 400, `${img.width}x${img.height}`);

  assert.equal(run('cifake-eval', ['--weights', shippedWeights, '--data', data, '--perturb', '--calibration', png]).code, 2);
});
