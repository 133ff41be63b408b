// The model card (weights/README.md) describes the shipped weight file: its SHA-256, training
// command and the figures the trainer stored must be the file's, and the relative links of the
// card, the experiments page and the pages that point at them must resolve.
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { metadata, root, shippedWeights } from './helpers.mjs';

const cardPath = path.join(root, 'weights/README.md');
const card = fs.readFileSync(cardPath, 'utf8');
const grouped = (n) => Number(n).toLocaleString('en-US');  // 287137 -> "287,137", as the card writes it

test('the card names the shipped file by its SHA-256 and quotes its training command', () => {
  const sha = crypto.createHash('sha256').update(fs.readFileSync(shippedWeights)).digest('hex');
  assert.ok(card.includes('`' + sha + '`'), `the card gives the file's SHA-256 ${sha}`);
  assert.ok(card.includes('`' + sha.slice(0, 12) + '`'), 'and its version, the first 12 hex digits');
  const meta = metadata(shippedWeights);
  const training = card.slice(card.indexOf('\n## Training\n'));
  assert.ok(training.includes('\n    ' + meta.command + '\n'), `the Training section quotes: ${meta.command}`);
});

test('the card gives the figures the trainer stored in the file', () => {
  const meta = metadata(shippedWeights);
  assert.ok(card.includes(grouped(meta.params) + ' '), `parameters ${meta.params}`);
  assert.ok(card.includes(grouped(meta.train_seconds) + ' s'), `training time ${meta.train_seconds} s`);
  assert.ok(card.includes('`' + meta.trainer_version + '`'), `trainer version ${meta.trainer_version}`);
  const oneView = new RegExp(`\\| test \\| ${grouped(meta.test_n)} \\| ${meta.test_accuracy} \\| [0-9.]+ \\| [0-9.]+ \\| ${meta.test_f1} \\| ${meta.test_auroc} \\|`);
  assert.match(card, oneView, 'the one-view test row is the trainer\'s test_accuracy, test_f1 and test_auroc');
  const percent = (v) => (Number(v) * 100).toFixed(2) + '%';
  assert.ok(card.replace(/\s+/g, ' ').includes(`a verdict on ${percent(meta.verdict_coverage)} of the images, ${percent(meta.verdict_accuracy)} of those right`),
    'the one figure users see is the file\'s verdict_coverage and verdict_accuracy');
  assert.ok(card.includes('`' + meta.unsure_band + '`'), `UNSURE band ${meta.unsure_band}`);
});

test('relative links of the card, the experiments page and the pages that link them resolve', () => {
  const pages = ['README.md', 'weights/README.md', 'docs/experiments.md', 'docs/results.md', 'docs/cli.md',
    'docs/robustness.md', 'tools/results/REPRODUCTION.md'];
  for (const page of pages) {
    const text = fs.readFileSync(path.join(root, page), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target) || target.startsWith('#')) continue;
      const file = path.resolve(path.dirname(path.join(root, page)), target.split('#')[0]);
      assert.ok(fs.existsSync(file), `${page} links ${target}, which does not exist`);
    }
  }
});
