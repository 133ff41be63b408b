// Robustness tools on the 48 shared sample images: cifake-eval --perturb and cifake-train --perturb-prob.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { run, shippedWeights, tempDir, tensorBytes, tinyDataset, metadata } from './helpers.mjs';

const FAMILY = ['jpeg90', 'jpeg75', 'jpeg50', 'jpeg30', 'blur0.5', 'blur1', 'noise2', 'noise5', 'noise10',
  'rescale24', 'rescale16'];
const NOISE = new Set(['noise2', 'noise5', 'noise10']);

function evalJson(data, extra = []) {
  const r = run('cifake-eval', ['--weights', shippedWeights, '--data', data, '--json', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('cifake-eval --perturb: a clean row equal to the plain evaluation, then one row per perturbation', () => {
  const data = tinyDataset();
  const plain = evalJson(data);
  const robust = evalJson(data, ['--perturb']);
  assert.equal(robust.n, 48);
  assert.equal(robust.seed, 1);
  assert.deepEqual(robust.perturbations.map((r) => r.perturbation), ['clean', ...FAMILY]);

  const clean = robust.perturbations[0];
  for (const k of ['n', 'accuracy', 'auroc', 'f1', 'loss']) assert.equal(clean[k], plain[k], k);
  assert.deepEqual(clean.confusion, plain.confusion);

  for (const row of robust.perturbations) {
    const { tp, fp, tn, fn } = row.confusion;
    assert.equal(tp + fp + tn + fn, 48, row.perturbation);
    assert.ok(Math.abs(row.fake_called_real - fn / (fn + tp)) < 1e-6, row.perturbation);
    assert.ok(Math.abs(row.real_called_fake - fp / (fp + tn)) < 1e-6, row.perturbation);
    assert.ok(Math.abs(row.accuracy - (tp + tn) / 48) < 1e-6, row.perturbation);
  }
  // Each perturbation reached the model: its loss moved away from the clean images' loss.
  for (const row of robust.perturbations.slice(1)) assert.notEqual(row.loss, clean.loss, row.perturbation);
  // Strong smoothing hurts this detector: it looks for fine detail (docs/results.md, Robustness).
  const blur1 = robust.perturbations.find((r) => r.perturbation === 'blur1');
  assert.ok(blur1.loss > clean.loss, `blur1 loss ${blur1.loss} <= clean ${clean.loss}`);
});

test('cifake-eval --perturb is deterministic for a seed; the seed moves only the noise rows', () => {
  const data = tinyDataset();
  const a = evalJson(data, ['--perturb', '--seed', '5']);
  const b = evalJson(data, ['--perturb', '--seed', '5']);
  const c = evalJson(data, ['--perturb', '--seed', '6']);
  assert.deepEqual(a, b);
  for (let i = 0; i < a.perturbations.length; i++) {
    const name = a.perturbations[i].perturbation;
    if (NOISE.has(name)) assert.notEqual(a.perturbations[i].loss, c.perturbations[i].loss, name);
    else assert.equal(a.perturbations[i].loss, c.perturbations[i].loss, name);
  }
  // The table form: a title, a header and 12 rows.
  const r = run('cifake-eval', ['--weights', shippedWeights, '--data', data, '--perturb']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 14);
  assert.match(lines[1], /perturbation +accuracy +AUROC +FAKE called REAL +REAL called FAKE/);
  assert.match(lines[2], /^clean +[01]\.\d{4} /);
});

test('cifake-train --perturb-prob: reproducible for a seed, resumable, different from training without it', () => {
  const data = tinyDataset();
  const out = tempDir();
  const common = ['--data', data, '--model', 'c4,bn,relu,mp,c8,bn,relu,gap,d1', '--batch', '8', '--val-permille',
    '250', '--seed', '7', '--threads', '2', '--epochs', '2', '--no-test'];
  const train = (name, extra) => {
    const r = run('cifake-train', [...common, ...extra, '--out', path.join(out, name)]);
    assert.equal(r.code, 0, r.stderr);
    return path.join(out, name);
  };
  const plain = train('plain.bin', []);
  const p1 = train('p1.bin', ['--perturb-prob', '0.5']);
  const p2 = train('p2.bin', ['--perturb-prob', '0.5']);
  assert.ok(tensorBytes(p1).equals(tensorBytes(p2)), 'same seed, different weights');
  assert.ok(!tensorBytes(p1).equals(tensorBytes(plain)), '--perturb-prob 0.5 changed nothing');
  assert.equal(metadata(p1).perturb_prob, '0.5');

  train('part.bin', ['--perturb-prob', '0.5', '--stop-after', '1']);
  const resumed = train('resumed.bin', ['--perturb-prob', '0.5', '--resume', path.join(out, 'part.bin.ckpt')]);
  assert.ok(tensorBytes(p1).equals(tensorBytes(resumed)), 'resumed run differs from the uninterrupted one');

  for (const bad of ['-0.1', '1.5', 'x']) {
    const r = run('cifake-train', [...common, '--perturb-prob', bad, '--out', path.join(out, 'bad.bin')]);
    assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
    assert.match(r.stderr, /perturb-prob/);
  }
});
