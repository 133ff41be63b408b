// cifake-sweep (tools/cifake-sweep.mjs): trains a tiny grid, is interrupted mid-network, resumes
// without duplicating rows, and the resumed network equals one trained without interruption.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { root, run, sampleImages, tempDir, tensorBytes } from './helpers.mjs';
import { bestExtractor, multiplyAdds, parseArgs, topology, TRAINER_RANGES } from '../../tools/cifake-sweep.mjs';

// The shared samples as train; as test the same images with one trailing byte added (JPEG decoders
// stop at the end-of-image marker), except one FAKE image kept byte-identical: exactly 1 leaked.
function sweepDataset() {
  const dir = tempDir('cifake-sweep-data-');
  let kept = false;
  for (const { path: p, label } of sampleImages()) {
    for (const split of ['train', 'test']) fs.mkdirSync(path.join(dir, split, label), { recursive: true });
    const bytes = fs.readFileSync(p), name = path.basename(p);
    fs.writeFileSync(path.join(dir, 'train', label, name), bytes);
    const leak = label === 'FAKE' && !kept;
    kept ||= leak;
    fs.writeFileSync(path.join(dir, 'test', label, name), leak ? bytes : Buffer.concat([bytes, Buffer.from([0])]));
  }
  return dir;
}

function sweep(args) {
  const r = spawnSync(process.execPath, [path.join(root, 'tools/cifake-sweep.mjs'), ...args], { encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

const readResults = (out) => JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));

test('topology specs are the paper family: valid 3x3 convs, ReLU, max-pool, flatten, dense heads, one sigmoid unit', () => {
  assert.deepEqual(topology(2, 128, 1, 64), { id: 'conv2x128-dense1x64', spec: 'c128v,relu,mp,c128v,relu,mp,flat,d64,relu,d1',
    layers: 2, filters: 128, dense_layers: 1, dense_width: 64 });
  assert.equal(topology(1, 16).spec, 'c16v,relu,mp,flat,d1');
  const rows = [{ id: 'a', phase: 'extractor', val_accuracy: 0.8, params: 10 }, { id: 'b', phase: 'extractor', val_accuracy: 0.9, params: 99 },
    { id: 'c', phase: 'extractor', val_accuracy: 0.9, params: 50 }, { id: 'd', phase: 'dense', val_accuracy: 0.99, params: 1 }];
  assert.equal(bestExtractor(rows).id, 'c'); // best validation accuracy, ties to the smaller net, dense rows ignored
});

test('cifake-sweep trains, is interrupted mid-network, resumes from the checkpoint without duplicating rows', () => {
  const data = sweepDataset(), out = tempDir('cifake-sweep-out-');
  const common = ['--data', data, '--out', out, '--phase', 'extractors', '--layers', '1', '--filters', '4,8',
    '--epochs', '2', '--subset', '0', '--batch', '8'];

  let r = sweep([...common, '--interrupt-after', '1']);
  assert.equal(r.code, 3, r.stderr);
  assert.deepEqual(readResults(out).rows.map((x) => x.id), ['conv1x4']);
  assert.ok(fs.existsSync(path.join(out, 'conv1x8.bin.ckpt')), 'the interrupted network keeps its checkpoint');
  assert.ok(!fs.existsSync(path.join(out, 'conv1x8.bin')));

  r = sweep(common);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /conv1x4: training/, 'a finished row is not trained again');
  assert.match(r.stderr, /conv1x8: training \(resumed from its checkpoint\)/);
  assert.match(fs.readFileSync(path.join(out, 'logs/conv1x8.log'), 'utf8'), /resumed from .* after epoch 1/);
  const doc = readResults(out);
  assert.deepEqual(doc.rows.map((x) => x.id), ['conv1x4', 'conv1x8']);
  assert.ok(!fs.existsSync(path.join(out, 'conv1x8.bin.ckpt')), 'the checkpoint is removed once the row is written');
  assert.deepEqual({ epochs: doc.budget.epochs, subset: doc.budget.subset, batch: doc.budget.batch }, { epochs: 2, subset: 0, batch: 8 });
  for (const row of doc.rows) {
    assert.equal(row.test.n, 48);
    assert.equal(row.test_without_leaked.n, 47);
    const c = row.test.confusion;
    assert.ok(Math.abs(row.test.accuracy - (c.tp + c.tn) / 48) < 1e-6);
    assert.equal(row.epochs, 2);
  }
  const md = fs.readFileSync(path.join(out, 'results.md'), 'utf8');
  assert.match(md, /\| conv1x8 \| `c8v,relu,mp,flat,d1` \|/);
  assert.match(md, /2 epochs of all training images, batch 8/);
  assert.match(md, /paper: 91\.79%/);

  // the resumed network is the one an uninterrupted sweep trains, bit for bit
  const fresh = tempDir('cifake-sweep-fresh-');
  r = sweep(['--data', data, '--out', fresh, '--phase', 'extractors', '--layers', '1', '--filters', '8', '--epochs', '2',
    '--subset', '0', '--batch', '8']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(tensorBytes(path.join(fresh, 'conv1x8.bin')).equals(tensorBytes(path.join(out, 'conv1x8.bin'))));

  // nothing left to do: no training, the same rows; another budget is refused, not mixed in
  r = sweep(common);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /training/);
  assert.equal(readResults(out).rows.length, 2);
  r = sweep([...common.slice(0, -4), '--epochs', '3', '--batch', '8']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /made with another budget/);
  assert.deepEqual(fs.readdirSync(out).filter((f) => f.endsWith('.tmp')), []);
});

test('cifake-sweep --patience trains each network until its validation loss stops improving; --order cost goes cheapest first', () => {
  assert.equal(multiplyAdds(topology(1, 16)), 30 * 30 * 16 * 27 + 15 * 15 * 16);
  assert.ok(multiplyAdds(topology(3, 16)) < multiplyAdds(topology(1, 64)), 'depth costs less than width here');
  const data = sweepDataset(), out = tempDir('cifake-sweep-patience-');
  const common = ['--data', data, '--out', out, '--phase', 'extractors', '--layers', '2,1', '--filters', '8',
    '--epochs', '40', '--subset', '0', '--batch', '8', '--patience', '1', '--order', 'cost'];
  let r = sweep(common);
  assert.equal(r.code, 0, r.stderr);
  const doc = readResults(out);
  assert.deepEqual(doc.rows.map((x) => x.id), ['conv1x8', 'conv2x8'], 'cheapest first, whatever the grid order');
  assert.equal(doc.budget.patience, 1);
  for (const row of doc.rows) {
    assert.equal(row.epochs, 40);
    assert.ok(row.epochs_run < 40, `${row.id} ran ${row.epochs_run} epochs`);
    assert.equal(row.epochs_run - row.best_epoch, 1);
    assert.match(fs.readFileSync(path.join(out, `logs/${row.id}.log`), 'utf8'), /early stopping after epoch/);
  }
  const md = fs.readFileSync(path.join(out, 'results.md'), 'utf8');
  assert.match(md, /at most 40 epochs, stopped early after 1 epochs without a better validation loss/);
  assert.match(md, /\| 1 \| 16 \| 90\.06% \| not yet run \|/, "the paper's figure stands beside a network not run");
  r = sweep([...common.slice(0, -4), '--order', 'cost']); // the same networks without early stopping: another budget
  assert.equal(r.code, 1);
  assert.match(r.stderr, /made with another budget/);
  assert.equal(sweep([...common.slice(0, -4), '--patience', '-1']).code, 2);
  assert.equal(sweep([...common.slice(0, -2), '--order', 'random']).code, 2);
});

test('the options the sweep passes to cifake-train have the trainer\'s ranges (its --help, from the options table)', () => {
  const help = run('cifake-train', ['--help']);
  assert.equal(help.code, 0, help.stderr);
  for (const [key, [flag, lo, hi]] of Object.entries(TRAINER_RANGES)) {
    const para = new RegExp(`\\n  ${flag} \\S+ [^]*?\\[(an integer [^;\\]]+)`).exec(help.stdout);
    assert.ok(para, `${flag} not in cifake-train --help`);
    const range = /in (\d+)\.\.(\d+)/.exec(para[1]) ?? /(?:>= )(\d+)/.exec(para[1]);
    assert.equal(Number(range[1]), lo, `${flag}: ${para[1]}`);
    if (key !== 'seed') assert.equal(range[2] === undefined ? Infinity : Number(range[2]), hi, `${flag}: ${para[1]}`);
    // the sweep takes the ends and refuses one past them, as the trainer does
    const args = (v) => ['--data', '/nonexistent', `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, String(v)];
    assert.doesNotThrow(() => parseArgs(args(lo)), flag);
    assert.throws(() => parseArgs(args(lo - 1)), /out of range/, flag);
    if (hi !== Infinity && key !== 'seed') assert.throws(() => parseArgs(args(hi + 1)), /out of range/, flag);
  }
  assert.throws(() => parseArgs(['--data', '/x', '--batch', '8x']), /out of range/);
});
