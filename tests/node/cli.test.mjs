// Tests of the native command-line tools: cifake-train, cifake-eval and cifake-detect.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { encodePng, run, sampleImages, shippedWeights, tempDir, tensorBytes, tinyDataset, metadata } from './helpers.mjs';

const TINY = 'c4,bn,relu,mp,c8,bn,relu,gap,d1';

test('cifake-detect classifies the sample images with the shipped weights', () => {
  const images = sampleImages();
  const r = run('cifake-detect', images.map((i) => i.path));
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, images.length);
  let correct = 0, unsure = 0;
  lines.forEach((line, i) => {
    const [p, label, prob] = line.split('\t');
    assert.equal(p, images[i].path);
    assert.match(label, /^(REAL|FAKE|UNSURE)$/);
    assert.match(prob, /^[01]\.\d{4}$/);
    correct += label === images[i].label;
    unsure += label === 'UNSURE';
  });
  // The shipped model is far better than chance: on 48 images of its own 32x32 kind, at >= 98%
  // accuracy and about 1% left UNSURE (its band), few are missed and few undecided.
  assert.ok(unsure <= 3, `${unsure} of ${images.length} UNSURE`);
  assert.ok(correct >= images.length - 5, `only ${correct}/${images.length} correct`);
});

test('cifake-detect --json gives one object per image, errors included, and exit code 1', () => {
  const dir = tempDir();
  const bad = path.join(dir, 'not-an-image.jpg');
  fs.writeFileSync(bad, 'this is text, not a JPEG');
  const good = sampleImages()[0].path;
  const r = run('cifake-detect', ['--json', good, bad, path.join(dir, 'missing.png'), good]);
  assert.equal(r.code, 1);
  const out = JSON.parse(r.stdout);
  assert.equal(out.length, 4);
  assert.equal(out[0].path, good);
  assert.ok(out[0].p_fake >= 0 && out[0].p_fake <= 1);
  assert.equal(out[0].width, 32);
  assert.match(out[1].error, /not-an-image\.jpg/);
  assert.match(out[2].error, /missing\.png: cannot open/);
  assert.deepEqual(out[3], out[0]); // the bad files did not disturb the next one
  assert.match(r.stderr, /not-an-image\.jpg/);
});

test('cifake-detect usage errors exit with 2, bad weight files with 1', () => {
  assert.equal(run('cifake-detect', []).code, 2);
  assert.equal(run('cifake-detect', ['--bogus', 'x.jpg']).code, 2);
  const dir = tempDir();
  const damaged = path.join(dir, 'damaged.bin');
  const bytes = fs.readFileSync(shippedWeights);
  fs.writeFileSync(damaged, bytes.subarray(0, bytes.length - 100));
  const r = run('cifake-detect', ['--weights', damaged, sampleImages()[0].path]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /damaged\.bin: .*(checksum|truncated)/);
});

test('cifake-train trains, checkpoints, resumes to identical weights, and cifake-eval reports them', () => {
  const data = tinyDataset();
  const out = tempDir();
  const common = ['--data', data, '--model', TINY, '--batch', '8', '--val-permille', '250', '--seed', '7',
    '--threads', '2'];
  const full = path.join(out, 'full.bin');
  let r = run('cifake-train', [...common, '--epochs', '2', '--out', full]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /epoch 2: train loss/);
  assert.match(r.stderr, /test \(n = 48/);

  // interrupted after one epoch, then resumed from its checkpoint
  const part = path.join(out, 'part.bin');
  r = run('cifake-train', [...common, '--epochs', '2', '--stop-after', '1', '--out', part]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /stopping after epoch 1/);
  assert.ok(!fs.existsSync(part), 'an interrupted run must not write the final weight file');
  const resumed = path.join(out, 'resumed.bin');
  r = run('cifake-train', [...common, '--epochs', '2', '--out', resumed, '--resume', `${part}.ckpt`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /resumed from .* after epoch 1/);
  assert.ok(tensorBytes(full).equals(tensorBytes(resumed)), 'resumed run differs from the uninterrupted one');
  assert.equal(metadata(full).spec, 'c4,relu,mp,c8,relu,gap,d1'); // batch norm folded on export
  assert.equal(metadata(full).seed, '7');

  r = run('cifake-eval', ['--weights', full, '--data', data, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const m = JSON.parse(r.stdout);
  for (const k of ['accuracy', 'precision', 'recall', 'f1', 'auroc', 'n', 'confusion']) assert.ok(k in m, k);
  assert.equal(m.n, 48);
  assert.equal(m.confusion.tp + m.confusion.fp + m.confusion.tn + m.confusion.fn, 48);
  assert.ok(Math.abs(m.accuracy - (m.confusion.tp + m.confusion.tn) / 48) < 1e-6);

  // an ensemble of a file with itself is that file; an ensemble's validation split must be common
  r = run('cifake-eval', ['--weights', full, '--weights', full, '--data', data, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), m);
  r = run('cifake-eval', ['--weights', full, '--weights', shippedWeights, '--data', data, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /ensemble of 2 files/);
  assert.equal(JSON.parse(r.stdout).n, 48);
  r = run('cifake-eval', ['--weights', full, '--weights', shippedWeights, '--data', data, '--split', 'val']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /held out another validation split \(split seed 1, val_permille 50; expected 7 and 250\)/);
  assert.equal(run('cifake-eval', ['--weights', full, '--weights', full, '--data', data, '--perturb']).code, 2);
  assert.equal(run('cifake-eval', [...Array(9).fill(['--weights', full]).flat(), '--data', data]).code, 2);
  // --tta: a file without the key is scored on one view unless told; flip averaging changes the scores
  assert.deepEqual(JSON.parse(run('cifake-eval', ['--weights', full, '--data', data, '--json', '--tta', 'none']).stdout), m);
  const flipped = JSON.parse(run('cifake-eval', ['--weights', full, '--data', data, '--json', '--tta', 'flip']).stdout);
  assert.equal(flipped.n, 48);
  assert.notEqual(flipped.loss, m.loss);
  assert.equal(run('cifake-eval', ['--weights', full, '--data', data, '--tta', 'sideways']).code, 2);

  // another training seed on the same validation split (--split-seed), so the two can be compared
  // and ensembled there; a checkpoint does not continue on another split
  const other = path.join(out, 'other.bin');
  r = run('cifake-train', [...common, '--epochs', '2', '--seed', '8', '--split-seed', '7', '--no-test', '--out', other]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(metadata(other).seed, '8');
  assert.equal(metadata(other).split_seed, '7');
  assert.ok(!tensorBytes(full).equals(tensorBytes(other)), 'another seed gave the same weights');
  const single = JSON.parse(run('cifake-eval', ['--weights', full, '--data', data, '--split', 'val', '--json']).stdout);
  r = run('cifake-eval', ['--weights', full, '--weights', other, '--data', data, '--split', 'val', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).n, single.n);
  r = run('cifake-train', [...common, '--epochs', '2', '--split-seed', '9', '--out', path.join(out, 'z.bin'),
    '--resume', `${part}.ckpt`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /another model spec or seed .*split seed 7/);

  // no half-written files are left behind
  assert.deepEqual(fs.readdirSync(out).filter((f) => f.endsWith('.tmp')), []);
});

// --ema and --cutmix: each changes the weights, is recorded, survives an interruption bit for bit,
// and refuses values out of range.
for (const [option, value] of [['--ema', '0.9'], ['--cutmix', '1']]) {
  test(`cifake-train ${option} changes the weights, is recorded, and resumes to identical weights`, () => {
    const data = tinyDataset();
    const out = tempDir();
    const common = ['--data', data, '--model', TINY, '--batch', '8', '--val-permille', '250', '--seed', '7',
      '--threads', '2', '--epochs', '2', '--no-test'];
    const plain = path.join(out, 'plain.bin');
    let r = run('cifake-train', [...common, '--out', plain]);
    assert.equal(r.code, 0, r.stderr);
    const full = path.join(out, 'full.bin');
    r = run('cifake-train', [...common, option, value, '--out', full]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(metadata(full)[option.slice(2)], value);
    assert.ok(!tensorBytes(full).equals(tensorBytes(plain)), `${option} left the weights as they were`);

    const part = path.join(out, 'part.bin');
    r = run('cifake-train', [...common, option, value, '--stop-after', '1', '--out', part]);
    assert.equal(r.code, 0, r.stderr);
    const resumed = path.join(out, 'resumed.bin');
    r = run('cifake-train', [...common, option, value, '--out', resumed, '--resume', `${part}.ckpt`]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(tensorBytes(full).equals(tensorBytes(resumed)), 'resumed run differs from the uninterrupted one');

    if (option === '--ema') { // a checkpoint without an average cannot continue one
      r = run('cifake-train', [...common, option, value, '--out', path.join(out, 'x.bin'), '--resume', `${plain}.ckpt`]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no tensor ema\.params/);
    }
    for (const bad of ['1.5', '-0.5', 'abc', ...(option === '--ema' ? ['1'] : [])]) {
      r = run('cifake-train', [...common, option, bad, '--out', path.join(out, 'y.bin')]);
      assert.equal(r.code, 2, `${option} ${bad}`);
    }
  });
}

// --teacher: distillation towards an ensemble's calibrated probabilities. Weight 0 leaves the labels
// as the targets (bit for bit a run without teachers); weight 1 trains on the teachers' opinion, in
// either mode; the teachers must hold out the student's validation split; a run resumes only with the
// teachers it started with.
test('cifake-train --teacher distils an ensemble, is recorded, and refuses mismatched teachers', () => {
  const data = tinyDataset();
  const out = tempDir();
  const common = ['--data', data, '--model', TINY, '--batch', '8', '--val-permille', '250', '--seed', '7',
    '--threads', '2', '--epochs', '2', '--no-test', '--pad', '0'];
  const teacherA = path.join(out, 'a.bin'), teacherB = path.join(out, 'b.bin'), plain = path.join(out, 'plain.bin');
  let r = run('cifake-train', [...common, '--out', plain]);
  assert.equal(r.code, 0, r.stderr);
  for (const [file, seed] of [[teacherA, '8'], [teacherB, '9']]) {
    r = run('cifake-train', [...common, '--seed', seed, '--split-seed', '7', '--out', file]);
    assert.equal(r.code, 0, r.stderr);
  }
  const teachers = ['--teacher', teacherA, '--teacher', teacherB];

  const zero = path.join(out, 'zero.bin');
  r = run('cifake-train', [...common, ...teachers, '--teacher-weight', '0', '--out', zero]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /2 teachers scored \d+ training images upright and mirrored/);
  assert.ok(tensorBytes(zero).equals(tensorBytes(plain)), 'teacher weight 0 changed the weights');

  const distilled = {};
  for (const mode of ['cached', 'live']) {
    distilled[mode] = path.join(out, `${mode}.bin`);
    r = run('cifake-train', [...common, ...teachers, '--teacher-mode', mode, '--out', distilled[mode]]);
    assert.equal(r.code, 0, r.stderr);
    const meta = metadata(distilled[mode]);
    assert.equal(meta.teachers, `${teacherA},${teacherB}`);
    assert.equal(meta.teacher_weight, '1');
    assert.equal(meta.teacher_mode, mode);
    assert.ok(!tensorBytes(distilled[mode]).equals(tensorBytes(plain)), `${mode}: the teachers changed nothing`);
  }

  // interrupted and resumed with the same teachers: identical; with others: refused
  const part = path.join(out, 'part.bin');
  r = run('cifake-train', [...common, ...teachers, '--stop-after', '1', '--out', part]);
  assert.equal(r.code, 0, r.stderr);
  const resumed = path.join(out, 'resumed.bin');
  r = run('cifake-train', [...common, ...teachers, '--out', resumed, '--resume', `${part}.ckpt`]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(tensorBytes(resumed).equals(tensorBytes(distilled.cached)), 'resumed run differs from the uninterrupted one');
  r = run('cifake-train', [...common, '--teacher', teacherA, '--out', path.join(out, 'x.bin'), '--resume', `${part}.ckpt`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /other --teacher files, weight or mode/);

  // a teacher that learned the student's validation images is refused; options out of range
  r = run('cifake-train', [...common, '--teacher', shippedWeights, '--out', path.join(out, 'y.bin')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cifake\.bin held out another validation split/);
  for (const bad of [['--teacher-weight', '1.5'], ['--teacher-weight', 'x'], ['--teacher-mode', 'sometimes'],
    ['--cutmix', '0.5']]) {
    r = run('cifake-train', [...common, ...teachers, ...bad, '--out', path.join(out, 'z.bin')]);
    assert.equal(r.code, 2, bad.join(' '));
  }
  r = run('cifake-train', [...common, ...teachers, '--cutmix', '0.5', '--teacher-mode', 'live', '--out', path.join(out, 'm.bin')]);
  assert.equal(r.code, 0, r.stderr);
});

// --patience: training ends once that many epochs in a row brought no better validation loss; the file
// holds the best epoch, as a run of exactly that many epochs would, and an interrupted run stops at
// the same epoch after --resume.
test('cifake-train --patience stops early, keeps the best epoch, and resumes to identical weights', () => {
  const data = tinyDataset();
  const out = tempDir();
  const common = ['--data', data, '--model', TINY, '--batch', '8', '--val-permille', '250', '--seed', '7',
    '--threads', '2', '--optim', 'adam', '--lr', '0.05', '--schedule', 'constant', '--no-test'];
  const early = path.join(out, 'early.bin');
  let r = run('cifake-train', [...common, '--epochs', '30', '--patience', '2', '--out', early]);
  assert.equal(r.code, 0, r.stderr);
  const m = metadata(early), ran = Number(m.epochs_run), best = Number(m.best_epoch);
  assert.ok(ran < 30, `ran all ${ran} epochs`);
  assert.equal(ran - best, 2, 'stops exactly --patience epochs after the best one');
  assert.deepEqual([m.epochs, m.patience], ['30', '2']);
  assert.match(r.stderr, new RegExp(`early stopping after epoch ${ran}: .* best epoch ${best}`));
  assert.doesNotMatch(r.stderr, new RegExp(`epoch ${ran + 1}:`));

  const plain = path.join(out, 'plain.bin');
  r = run('cifake-train', [...common, '--epochs', String(ran), '--out', plain]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(metadata(plain).patience, '0');
  assert.ok(tensorBytes(plain).equals(tensorBytes(early)), 'the early-stopped file is not its best epoch');

  const part = path.join(out, 'part.bin');
  r = run('cifake-train', [...common, '--epochs', '30', '--patience', '2', '--stop-after', String(ran - 1), '--out', part]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!fs.existsSync(part));
  const resumed = path.join(out, 'resumed.bin');
  r = run('cifake-train', [...common, '--epochs', '30', '--patience', '2', '--out', resumed, '--resume', `${part}.ckpt`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(metadata(resumed).epochs_run, String(ran));
  assert.ok(tensorBytes(resumed).equals(tensorBytes(early)), 'resumed run differs from the uninterrupted one');

  assert.equal(run('cifake-train', [...common, '--patience', '-1', '--out', path.join(out, 'x.bin')]).code, 2);
});

test('cifake-train and cifake-eval refuse bad data folders clearly', () => {
  const empty = tempDir();
  fs.mkdirSync(path.join(empty, 'train/REAL'), { recursive: true });
  fs.mkdirSync(path.join(empty, 'train/FAKE'), { recursive: true });
  let r = run('cifake-train', ['--data', empty, '--epochs', '1', '--out', path.join(empty, 'w.bin')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /train\/REAL: folder is empty/);
  r = run('cifake-eval', ['--weights', shippedWeights, '--data', path.join(empty, 'nope')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot open folder/);
  const data = tinyDataset();
  fs.writeFileSync(path.join(data, 'test/FAKE/zz-broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]));
  r = run('cifake-eval', ['--weights', shippedWeights, '--data', data]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /zz-broken\.jpg/);
  assert.equal(run('cifake-eval', ['--data', data]).code, 2);
});

test("the paper's best topology (2 conv layers of 128 filters, dense 64, sigmoid) trains with Adam", () => {
  const data = tinyDataset();
  const out = path.join(tempDir(), 'paper.bin');
  const spec = 'c128v,relu,mp,c128v,relu,mp,flat,d64,relu,d1';
  const r = run('cifake-train', ['--data', data, '--model', spec, '--optim', 'adam', '--epochs', '2', '--batch', '8',
    '--val-permille', '250', '--no-test', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /adam lr 0\.001/);
  assert.match(r.stderr, / 446209 parameters/); // 3584 + 147584 + (6*6*128)*64+64 + 65
  const meta = metadata(out);
  assert.equal(meta.spec, spec);
  assert.ok(Number(meta.val_accuracy) >= 0 && Number(meta.val_accuracy) <= 1);
  const d = run('cifake-detect', ['--weights', out, sampleImages()[0].path]);
  assert.equal(d.code, 0, d.stderr);
});

test('numbers on the command lines are read whole: "3x", "abc" or a negative seed are refused, not guessed', () => {
  const data = tinyDataset();
  for (const args of [['--epochs', '3x'], ['--lr', 'abc'], ['--pad', ''], ['--stop-after', 'x'], ['--seed', '-3'],
    ['--split-seed', '1e3']]) {
    const r = run('cifake-train', ['--data', data, '--out', path.join(tempDir(), 'w.bin'), ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
  const e = run('cifake-eval', ['--weights', shippedWeights, '--data', data, '--threads', '2x']);
  assert.equal(e.code, 2);
  assert.match(e.stderr, /--threads: expected an integer in 1\.\.1024, got .2x./);
});

// Image folders in the --folders layout made of the shared samples: two groups of each class, the
// second of each held out for validation.
function tinyFolders() {
  const dir = tempDir('cifake-folders-');
  sampleImages().forEach(({ path: p, label }, k) => {
    const group = path.join(dir, label === 'REAL' ? 'real' : 'fake', `${label.toLowerCase()}-${k % 2}`);
    fs.mkdirSync(group, { recursive: true });
    fs.copyFileSync(p, path.join(group, path.basename(p)));
  });
  return dir;
}

test('cifake-train --folders: a patch model validated on held-out groups, resumable bit for bit, opened by cifake-detect', () => {
  const data = tinyFolders(), out = tempDir();
  const args = (file) => ['--folders', data, '--patch', '32', '--val-groups', 'real-1,fake-1', '--model', TINY, '--epochs', '2',
    '--steps-per-epoch', '2', '--batch', '8', '--threads', '1', '--seed', '5', '--out', file];
  const full = run('cifake-train', args(path.join(out, 'full.bin')));
  assert.equal(full.code, 0, full.stderr);
  assert.match(full.stderr, /^epoch 2: train loss [\d.]+, val loss [\d.]+, val auroc [\d.na]+, val auroc jpeg90 /m);
  const meta = metadata(path.join(out, 'full.bin'));
  assert.equal(meta.view, 'patches');
  assert.equal(meta.input, '3x32x32');
  assert.equal(meta.val_groups, 'real-1,fake-1');
  // interrupted after epoch 1 and resumed: the same weights
  const part = path.join(out, 'part.bin');
  assert.equal(run('cifake-train', [...args(part), '--stop-after', '1']).code, 0);
  assert.ok(!fs.existsSync(part) && fs.existsSync(`${part}.ckpt`));
  const resumed = run('cifake-train', [...args(part), '--resume', `${part}.ckpt`]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.ok(tensorBytes(part).equals(tensorBytes(path.join(out, 'full.bin'))), 'resumed weights differ');
  // the patch model opens in the detector behind the shipped one: a 32x32 sample stays with the first
  const r = run('cifake-detect', ['--json', '--weights', shippedWeights, '--weights', path.join(out, 'full.bin'),
    sampleImages()[0].path]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout)[0].model, shippedWeights);
  // cifake-eval --web: a third table, as delivered on the web, and its columns in the scores file;
  // the draws are per image and seed, so the same seed gives the same scores
  const tsv = path.join(out, 'scores.tsv');
  const ev = (seed) => run('cifake-eval', ['--weights', path.join(out, 'full.bin'), '--folders', data, '--threads', '1',
    '--web', '--seed', seed, '--scores', tsv]);
  const e1 = ev('3');
  assert.equal(e1.code, 0, e1.stderr);
  assert.match(e1.stdout, /as they are[\s\S]*re-encoded as JPEG quality 90[\s\S]*as delivered on the web \(seed 3\)/);
  const rows1 = fs.readFileSync(tsv, 'utf8').trim().split('\n');
  assert.equal(rows1[0].split('\t').slice(-2).join(','), 'logit_web,p_fake_web');
  assert.ok(rows1.slice(1).every((row) => row.split('\t').length === 10));
  assert.equal(ev('3').code, 0);
  assert.deepEqual(fs.readFileSync(tsv, 'utf8').trim().split('\n'), rows1);
  const bad = run('cifake-eval', ['--weights', shippedWeights, '--real', data, '--fake', data, '--web']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--web applies to --folders/);
});

test('cifake-eval --real/--fake: n/a where nothing was decided, the raw AUROC named, a flat folder by its name', () => {
  // Images larger than 32x32: the shipped model decides none of them (out of its scope).
  const dir = tempDir();
  const real = path.join(dir, 'holiday-photos'), fake = path.join(dir, 'generated');
  fs.mkdirSync(real);
  fs.mkdirSync(path.join(fake, 'sd'), { recursive: true });
  for (let k = 0; k < 3; k++) {
    const px = new Uint8ClampedArray(48 * 40 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * (k + 3) * 37) & 255));
    fs.writeFileSync(path.join(real, `r${k}.png`), encodePng(48, 40, px));
    fs.writeFileSync(path.join(fake, 'sd', `f${k}.png`), encodePng(40, 48, px));
  }
  const text = run('cifake-eval', ['--weights', shippedWeights, '--real', real, '--fake', fake]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /raw AUROC/);
  assert.match(text.stdout, /^real\s+holiday-photos\s/m);
  assert.doesNotMatch(text.stdout, /nan|^real\s+\.\s/m);
  const json = JSON.parse(run('cifake-eval', ['--weights', shippedWeights, '--real', real, '--fake', fake, '--json']).stdout);
  const photos = json.groups.find((g) => g.group === 'holiday-photos');
  assert.equal(photos.decided, 0);
  assert.equal(photos.accuracy_decided, null);
  assert.ok('raw_auroc' in photos);
  assert.match(text.stdout, /^real\s+holiday-photos\s+\d+\s+\S+\s+\S+\s+0\.0000\s+n\/a$/m);
});
