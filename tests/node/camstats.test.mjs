// cifake-camstats --grid: one PNG of example overlays, four rows (REAL right, REAL wrong, FAKE right,
// FAKE wrong), each example drawn as the model saw it and with its heatmap, pixel for pixel what
// cifake-detect --cam draws for the same file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { decodePng, run, shippedWeights, tempDir, tinyDataset } from './helpers.mjs';

const TILE = 32, COLS = 4, GAP = 2, STRIP = 6;

function pixel(png, x, y) {
  const i = (y * png.width + x) * 4;
  return [...png.data.subarray(i, i + 3)];
}

function sameTile(grid, x0, y0, tile) {
  for (let y = 0; y < TILE; y++)
    for (let x = 0; x < TILE; x++) assert.deepEqual(pixel(grid, x0 + x, y0 + y), pixel(tile, x, y), `pixel ${x},${y}`);
}

test('cifake-camstats --grid draws the chosen examples per row with the CLI heatmap rendering', () => {
  const data = tinyDataset(), out = tempDir(), file = path.join(out, 'sub/grid.png');
  const r = run('cifake-camstats', ['--weights', shippedWeights, '--data', data, '--grid', file,
    '--grid-tile', String(TILE), '--grid-cols', String(COLS)]);
  assert.equal(r.code, 0, r.stderr);
  // rows of the grid from the table's groups (the table groups by predicted class)
  const count = (name) => Number(new RegExp(`\\| ${name} +\\| +(\\d+) \\|`).exec(r.stdout)[1]);
  const perRow = [count('REAL, correct'), count('FAKE, wrong'), count('FAKE, correct'), count('REAL, wrong')];
  assert.equal(perRow.reduce((a, b) => a + b), 48);
  const listed = [...r.stderr.matchAll(/^grid row (\d) col (\d+): (.+) \((REAL|FAKE), p_fake [\d.]+\)$/gm)];
  for (let row = 0; row < 4; row++)
    assert.equal(listed.filter((m) => Number(m[1]) === row + 1).length, Math.min(perRow[row], COLS), `row ${row + 1}`);
  for (const m of listed) {
    const truth = path.basename(path.dirname(m[3])), right = Number(m[1]) % 2 === 1;
    assert.equal(truth, Number(m[1]) <= 2 ? 'REAL' : 'FAKE', m[0]);
    assert.equal(m[4] === truth, right, m[0]);
  }

  const grid = decodePng(fs.readFileSync(file));
  assert.equal(grid.width, STRIP + COLS * (2 * TILE + GAP) + GAP);
  assert.equal(grid.height, 4 * (TILE + GAP) + GAP);
  assert.deepEqual(pixel(grid, 1, GAP), [40, 170, 70]); // right verdicts: green strip
  assert.deepEqual(pixel(grid, 1, GAP + TILE + GAP), [210, 50, 50]); // wrong verdicts: red strip

  // every listed example equals cifake-detect's own drawings of that file: alpha 0 and alpha 0.5
  for (const m of listed.slice(0, 3).concat(listed.slice(-2))) {
    const [row, col, img] = [Number(m[1]) - 1, Number(m[2]) - 1, m[3]];
    const x0 = STRIP + col * (2 * TILE + GAP), y0 = GAP + row * (TILE + GAP);
    for (const [alpha, dx] of [['0', 0], ['0.5', TILE]]) {
      const dir = path.join(out, `a${alpha}`);
      const d = run('cifake-detect', ['--weights', shippedWeights, '--cam', dir, '--cam-size', String(TILE), '--alpha', alpha, img]);
      assert.equal(d.code, 0, d.stderr);
      sameTile(grid, x0 + dx, y0, decodePng(fs.readFileSync(path.join(dir, `${path.basename(img)}.cam.png`))));
    }
  }
  // a row with fewer examples than columns leaves the rest as background
  const short = perRow.findIndex((n) => n < COLS);
  if (short >= 0) assert.deepEqual(pixel(grid, STRIP + (COLS - 1) * (2 * TILE + GAP) + 5, GAP + short * (TILE + GAP) + 5), [40, 40, 40]);

  assert.equal(run('cifake-camstats', ['--data', data, '--grid-tile', '2']).code, 2);
});
