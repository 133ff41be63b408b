// Tests on the full CIFAKE dataset (CIFAKE_DIR; `make test` extracts it from ../shared). Skipped,
// with a message saying so, when the dataset is not there.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { metadata, run, shippedWeights } from './helpers.mjs';

const dataDir = process.env.CIFAKE_DIR;
const haveData = dataDir && fs.existsSync(path.join(dataDir, 'test/FAKE'));
const skip = haveData ? false : 'CIFAKE_DIR is not set or has no test/ split: full-dataset tests skipped';

// The trainer records one view's figures; the detector scores a file with tta=flip by the mean logit of
// the image and its mirror, and cifake-eval follows the file unless --tta says otherwise.
test('cifake-eval on the CIFAKE test split reproduces the metrics recorded in the shipped weight file', { skip }, () => {
  const r = run('cifake-eval', ['--weights', shippedWeights, '--data', dataDir, '--json', '--tta', 'none']);
  assert.equal(r.code, 0, r.stderr);
  const m = JSON.parse(r.stdout);
  const meta = metadata(shippedWeights);
  assert.equal(m.n, 20000);
  assert.equal(m.n, Number(meta.test_n));
  assert.equal(m.accuracy.toFixed(4), Number(meta.test_accuracy).toFixed(4));
  assert.equal(m.auroc.toFixed(5), Number(meta.test_auroc).toFixed(5));
  assert.equal(m.f1.toFixed(4), Number(meta.test_f1).toFixed(4));
});

test('the validation split cifake-eval rebuilds is the one the trainer calibrated on', { skip }, () => {
  const val = (...more) => {
    const r = run('cifake-eval', ['--weights', shippedWeights, '--data', dataDir, '--split', 'val', '--json', ...more]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const m = val('--tta', 'none');
  const meta = metadata(shippedWeights);
  assert.match(meta.data, new RegExp(`, ${m.n} validation images`));
  assert.equal(m.accuracy.toFixed(4), Number(meta.val_accuracy).toFixed(4));
  // by default, what the detector does: the file's own test-time augmentation
  const own = val();
  assert.deepEqual(own, meta.tta === 'flip' ? val('--tta', 'flip') : m);
  if (meta.tta === 'flip') assert.notDeepEqual(own, m);
});

test('--exclude-leaked drops the 378 test FAKE images whose bytes also occur in train', { skip }, () => {
  const r = run('cifake-eval', ['--weights', shippedWeights, '--data', dataDir, '--exclude-leaked', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /excluded 378 test images/);
  assert.equal(JSON.parse(r.stdout).n, 20000 - 378);
});
