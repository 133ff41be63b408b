// cifake-camstats --faithfulness: deletion and insertion curves of Grad-CAM, Grad-CAM++ and a random
// map start and end where they must, are reproducible for a seed, and come with their plot.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { decodePng, run, shippedWeights, tempDir, tinyDataset } from './helpers.mjs';

// The rows of the mean-curve table: k, then deletion and insertion for the three maps.
function curves(stdout) {
  return [...stdout.matchAll(/^\| +(\d+) \|((?: [\d.]+ \|){6})$/gm)].map((m) => [Number(m[1]), ...m[2].split('|').slice(0, 6).map(Number)]);
}

test('cifake-camstats --faithfulness measures the three maps on a seeded subset', () => {
  const data = tinyDataset(), out = tempDir(), plot = path.join(out, 'sub/faith.png');
  const args = ['--weights', shippedWeights, '--data', data, '--faithfulness', '--subset', '30', '--seed', '3'];
  const r = run('cifake-camstats', [...args, '--plot', plot]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /30 of 48 images \(seed 3\).*cells of 4x4 pixels \(64 per image\).*blurred \(Gaussian, sigma 2\.5 px\)/);
  const rows = curves(r.stdout);
  assert.deepEqual(rows.map((row) => row[0]), Array.from({ length: 21 }, (_, s) => 5 * s));
  const [first, last] = [rows[0], rows[20]];
  // nothing deleted and everything inserted are the image itself, for every map; everything deleted
  // and nothing inserted are the baseline
  for (const v of [first[2], first[3], last[4], last[5], last[6]]) assert.equal(v, first[1]);
  for (const v of [last[2], last[3], first[4], first[5], first[6]]) assert.equal(v, last[1]);
  // areas: the mean curve's trapezoid area equals the mean of the per-image areas in the table
  const trapezoid = (col) => rows.slice(1).reduce((a, row, s) => a + (rows[s][col] + row[col]) / 2 * 0.05, 0);
  const areas = [...r.stdout.matchAll(/^\| (Grad-CAM|Grad-CAM\+\+|random) \| ([\d.]+) ± [\d.]+ \| ([\d.]+) ± [\d.]+ \|$/gm)];
  assert.equal(areas.length, 3);
  areas.forEach((a, m) => {
    assert.ok(Math.abs(Number(a[2]) - trapezoid(1 + m)) < 2e-4, `${a[1]} deletion ${a[2]} vs ${trapezoid(1 + m)}`);
    assert.ok(Math.abs(Number(a[3]) - trapezoid(4 + m)) < 2e-4, `${a[1]} insertion ${a[3]} vs ${trapezoid(4 + m)}`);
  });
  const img = decodePng(fs.readFileSync(plot));
  assert.ok(img.width > 800 && img.height > 800, `${img.width}x${img.height}`);

  // the same seed gives the same figures; another seed draws another subset and random map
  assert.equal(run('cifake-camstats', args).stdout, r.stdout.replace(/\n\nPlot: .*\n$/, '\n'));
  assert.notEqual(run('cifake-camstats', [...args.slice(0, -1), '4']).stdout, r.stdout);
  // pixel cells and the mean baseline
  const px = run('cifake-camstats', [...args, '--cell', '1', '--baseline', 'mean']);
  assert.equal(px.code, 0, px.stderr);
  assert.match(px.stdout, /cells of 1x1 pixels \(1024 per image\).*baseline: the training split's mean colour/);
  for (const bad of [['--cell', '3'], ['--baseline', 'blur3'], ['--baseline', 'black'], ['--subset', '-1']])
    assert.equal(run('cifake-camstats', [...args, ...bad]).code, 2, bad.join(' '));
});
