#!/usr/bin/env node
// cifake-sweep - the CIFAKE paper's topology sweep (its RQ1 and RQ2), run with our own tools.
//
// Phase 1 trains the paper's feature extractors: 1, 2 or 3 blocks of (3x3 'valid' convolution, ReLU,
// 2x2 max-pool) with 16, 32, 64 or 128 filters each, flattened into one sigmoid unit. Phase 2 takes
// the extractor with the best *validation* accuracy (never the test split) and trains it under dense
// heads of 1-3 ReLU layers of each width, plus the paper's final network if the grid missed it.
// Every network is trained by build/cifake-train and measured by build/cifake-eval --json, as
// subprocesses, so the numbers are the ones those tools give anyone.
//
// Results go to OUT/results.json and OUT/results.md, both rewritten atomically after every finished
// network. Running the same command again resumes: finished rows are skipped, a network that was
// interrupted resumes from its last epoch checkpoint. The budget (epochs, subset, threads, ...) is
// recorded in the results, and a results file made with another budget is refused rather than mixed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const USAGE = `usage: node tools/cifake-sweep.mjs [--data DIR] [--out DIR] [--epochs N] [--subset N] [--threads N]
                 [--batch N] [--seed S] [--phase all|extractors|dense] [--layers 1,2,3] [--filters 16,32,64,128]
                 [--dense-layers 1,2,3] [--dense-widths 32,64,128,256,512,1024] [--dense-base LxF] [--bin DIR]
                 [--patience N] [--order grid|cost]
  --data DIR          CIFAKE in the Kaggle layout (default $CIFAKE_DIR)
  --out DIR           results, logs and weight files (default build/sweep)
  --epochs N          epochs per network (default 2); with --patience, the most it trains
  --patience N        early stopping (cifake-train --patience): a network stops once N epochs in a row
                      have not improved its best validation loss; its best epoch is kept (default 0: off)
  --order O           grid (default: layers, then filters, as the paper's table) or cost (cheapest
                      network first, by multiply-adds per image, so that an unfinished sweep has the
                      most rows)
  --subset N          training images per epoch, a seeded subset of train (default 20000; 0 = all 95,105)
  --threads N         OpenMP threads per run (default 2);  --batch N (default 128);  --seed S (default 1)
  --phase P           all (default), extractors (phase 1 only) or dense (phase 2 only; needs phase 1 rows
                      or --dense-base)
  --dense-base LxF    the extractor for phase 2, e.g. 2x128 (default: best phase-1 validation accuracy)
  --bin DIR           where cifake-train and cifake-eval are (default build/)
  --interrupt-after N for tests: after N networks, interrupt the next one after its first epoch, as a
                      crash would (exit status 3); running again resumes it from its checkpoint
Training recipe (the paper's, as far as our trainer goes): Adam, learning rate 0.001 held constant, no
weight decay, no translations (--pad 0); the trainer always applies random horizontal flips.`;

// The paper's figures (Bird & Lotfi, IEEE Access 2024; arXiv 2303.14126), as summarised in the project
// brief (../shared/PAPER.md): the accuracy of each of the 12 feature extractors, their mean and the
// best F1. Everything else is printed as "not found": we never fill a gap with a guess. See
// tools/results/REPRODUCTION.md.
const PAPER_EXTRACTORS = { // accuracy, indexed [conv layers][filters]
  1: { 16: 0.9006, 32: 0.9038, 64: 0.9094, 128: 0.9139 },
  2: { 16: 0.9146, 32: 0.9293, 64: 0.9271, 128: 0.9298 },
  3: { 16: 0.9163, 32: 0.9254, 64: 0.9238, 128: 0.9207 },
};
export const PAPER = {
  source: 'Bird & Lotfi 2024 (arXiv 2303.14126), as summarised in the project brief',
  topologies: 36,
  extractorMeanAccuracy: 0.9179,
  rows: {
    ...Object.fromEntries(Object.entries(PAPER_EXTRACTORS).flatMap(([l, byF]) =>
      Object.entries(byF).map(([f, accuracy]) => [`conv${l}x${f}`, { accuracy }]))),
    'conv2x128-dense1x64': { f1: 0.936 },
  },
};
const PAPER_BEST = { layers: 2, filters: 128, denseLayers: 1, width: 64 };

const list = (s) => s.split(',').filter(Boolean).map(Number);

// The options the sweep passes through to cifake-train, with cifake-train's ranges (its entries in
// tools/lib/options.c; tests/node/sweep.test.mjs checks them against `cifake-train --help`), so a
// value the trainer would refuse is refused here, before any network is trained.
export const TRAINER_RANGES = {
  epochs: ['--epochs', 1, 100000], subset: ['--subset', 0, Infinity], threads: ['--threads', 1, 1024],
  batch: ['--batch', 2, 65536], patience: ['--patience', 0, Infinity], seed: ['--seed', 0, Number.MAX_SAFE_INTEGER],
};
const inRange = (n, [, lo, hi]) => Number.isSafeInteger(n) && n >= lo && n <= hi;

export function parseArgs(argv) {
  const o = {
    data: process.env.CIFAKE_DIR, out: path.join(ROOT, 'build/sweep'), bin: path.join(ROOT, 'build'),
    epochs: 2, subset: 20000, threads: 2, batch: 128, seed: 1, phase: 'all',
    layers: [1, 2, 3], filters: [16, 32, 64, 128], denseLayers: [1, 2, 3], denseWidths: [32, 64, 128, 256, 512, 1024],
    denseBase: null, interruptAfter: -1, patience: 0, order: 'grid',
  };
  const numeric = { '--epochs': 'epochs', '--subset': 'subset', '--threads': 'threads', '--batch': 'batch',
    '--seed': 'seed', '--interrupt-after': 'interruptAfter', '--patience': 'patience' };
  const lists = { '--layers': 'layers', '--filters': 'filters', '--dense-layers': 'denseLayers',
    '--dense-widths': 'denseWidths' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    if (a === '--help' || a === '-h') return { help: true };
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (a in numeric) o[numeric[a]] = /^-?\d+$/.test(v) ? Number(v) : NaN; // whole numbers only, as the trainer reads them
    else if (a in lists) o[lists[a]] = list(v);
    else if (a === '--data') o.data = v;
    else if (a === '--out') o.out = path.resolve(v);
    else if (a === '--bin') o.bin = path.resolve(v);
    else if (a === '--phase') o.phase = v;
    else if (a === '--dense-base') o.denseBase = v;
    else if (a === '--order') o.order = v;
    else throw new Error(`unknown option: ${a}`);
    i++;
  }
  const bad = Object.entries(TRAINER_RANGES).some(([key, range]) => !inRange(o[key], range)) ||
    !['grid', 'cost'].includes(o.order) || !['all', 'extractors', 'dense'].includes(o.phase) ||
    [...o.layers, ...o.filters, ...o.denseLayers, ...o.denseWidths].some((n) => !Number.isInteger(n) || n < 1) ||
    (o.denseBase !== null && !/^\d+x\d+$/.test(o.denseBase));
  if (bad) throw new Error('an option is out of range (see --help)');
  if (!o.data) throw new Error('no dataset: pass --data DIR or set CIFAKE_DIR');
  return o;
}

// What makes two runs comparable; stored with the results and checked on resume.
function budgetOf(o) {
  return {
    epochs: o.epochs, subset: o.subset, threads: o.threads, batch: o.batch, seed: o.seed,
    optimizer: 'adam', lr: 0.001, schedule: 'constant', weight_decay: 0, pad: 0, flips: true,
    val_permille: 50, data: path.resolve(o.data),
    ...(o.patience ? { patience: o.patience } : {}), // absent when off: older result files stay resumable
  };
}

function trainerFlags(o) {
  return ['--data', path.resolve(o.data), '--epochs', String(o.epochs), '--subset', String(o.subset),
    '--threads', String(o.threads), '--batch', String(o.batch), '--seed', String(o.seed), '--optim', 'adam',
    '--lr', '0.001', '--schedule', 'constant', '--wd', '0', '--pad', '0', '--no-test',
    ...(o.patience ? ['--patience', String(o.patience)] : [])];
}

export function topology(layers, filters, denseLayers = 0, width = 0) {
  const conv = Array(layers).fill(`c${filters}v,relu,mp`).join(',');
  const dense = Array(denseLayers).fill(`d${width},relu`);
  const spec = [conv, 'flat', ...dense, 'd1'].join(',');
  const id = `conv${layers}x${filters}` + (denseLayers ? `-dense${denseLayers}x${width}` : '');
  return { id, spec, layers, filters, dense_layers: denseLayers, dense_width: width };
}

// Multiply-adds per 32x32 image of a network of this family: what its epoch time grows with.
export function multiplyAdds(t) {
  let side = 32, ch = 3, n = 0;
  for (let i = 0; i < t.layers; i++) {
    side -= 2; // 3x3 valid convolution
    n += side * side * t.filters * ch * 9;
    side = Math.floor(side / 2); // 2x2 max-pool
    ch = t.filters;
  }
  let width = side * side * ch;
  for (let i = 0; i < t.dense_layers; i++) n += width * t.dense_width, width = t.dense_width;
  return n + width;
}

function ordered(o, nets) {
  return o.order === 'cost' ? [...nets].sort((a, b) => multiplyAdds(a) - multiplyAdds(b)) : nets;
}

function extractorGrid(o) {
  return ordered(o, o.layers.flatMap((l) => o.filters.map((f) => ({ ...topology(l, f), phase: 'extractor' }))));
}

function denseGrid(o, base) {
  const nets = o.denseLayers.flatMap((n) => o.denseWidths.map((w) => topology(base.layers, base.filters, n, w)));
  const p = PAPER_BEST, paper = topology(p.layers, p.filters, p.denseLayers, p.width);
  if (!nets.some((t) => t.id === paper.id)) nets.push(paper); // the paper's final network, for RQ3 too
  return ordered(o, nets.map((t) => ({ ...t, phase: 'dense' })));
}

// The extractor phase 2 builds on: chosen on validation accuracy (ties: fewer parameters).
export function bestExtractor(rows) {
  const ext = rows.filter((r) => r.phase === 'extractor');
  if (!ext.length) return null;
  ext.sort((a, b) => b.val_accuracy - a.val_accuracy || a.params - b.params);
  return ext[0];
}

function writeAtomic(file, text) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

// The key/value metadata at the start of a weight file (src/weights.h: magic, version, count, pairs).
function weightMetadata(file) {
  const b = fs.readFileSync(file);
  let pos = 12;
  const u32 = () => { const v = b.readUInt32LE(pos); pos += 4; return v; };
  const str = () => { const n = u32(); const s = b.toString('utf8', pos, pos + n); pos += n; return s; };
  const meta = {};
  for (let i = 0, n = u32(); i < n; i++) { const k = str(); meta[k] = str(); }
  return meta;
}

let child = null; // the running tool, stopped with us on SIGINT/SIGTERM so no orphan keeps training
for (const sig of ['SIGINT', 'SIGTERM'])
  process.on(sig, () => {
    if (child) child.kill(sig);
    console.error(`cifake-sweep: ${sig}: stopped; run the same command again to resume`);
    process.exit(130);
  });

function runTool(tool, args, logFile) {
  return new Promise((resolve, reject) => {
    const log = fs.openSync(logFile, 'a');
    fs.writeSync(log, `$ ${tool} ${args.join(' ')}\n`);
    let stdout = '';
    child = spawn(tool, args, { stdio: ['ignore', 'pipe', log] });
    child.stdout.on('data', (d) => { stdout += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      child = null;
      fs.closeSync(log);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${path.basename(tool)} exited with ${code}; see ${logFile}`));
    });
  });
}

class Results {
  constructor(o) {
    this.jsonFile = path.join(o.out, 'results.json');
    this.mdFile = path.join(o.out, 'results.md');
    this.budget = budgetOf(o);
    this.command = `node tools/cifake-sweep.mjs ${process.argv.slice(2).join(' ')}`.trim();
    this.rows = [];
    if (fs.existsSync(this.jsonFile)) {
      const old = JSON.parse(fs.readFileSync(this.jsonFile, 'utf8'));
      if (JSON.stringify(old.budget) !== JSON.stringify(this.budget))
        throw new Error(`${this.jsonFile} was made with another budget ${JSON.stringify(old.budget)}; ` +
          'use the same flags to resume, or another --out');
      this.rows = old.rows;
    }
  }
  has(id) { return this.rows.some((r) => r.id === id); }
  add(row) {
    this.rows.push(row);
    const doc = { tool: 'cifake-sweep', command: this.command, budget: this.budget, paper: PAPER,
      updated: new Date().toISOString(), rows: this.rows };
    writeAtomic(this.jsonFile, JSON.stringify(doc, null, 1) + '\n');
    writeAtomic(this.mdFile, markdown(doc));
  }
}

const meanOf = (rows, f) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
const pct = (x) => (x === undefined || x === null ? 'not found' : `${(100 * x).toFixed(2)}%`);
const f4 = (x) => x.toFixed(4);

function tableRows(rows, withPaper) {
  const head = '| network | spec | parameters | best epoch | train s | val acc | test acc | precision | recall | F1 | ' +
    'loss | AUROC | acc without leaked |' + (withPaper ? ' paper acc | paper F1 |' : '');
  const lines = [head, head.replace(/[^|]+/g, ' --- ')];
  for (const r of rows) {
    const p = PAPER.rows[r.id] || {};
    lines.push(`| ${r.id} | \`${r.spec}\` | ${r.params} | ${r.best_epoch}/${r.epochs_run ?? r.epochs} | ${r.train_seconds} | ` +
      `${f4(r.val_accuracy)} | ${f4(r.test.accuracy)} | ${f4(r.test.precision)} | ${f4(r.test.recall)} | ` +
      `${f4(r.test.f1)} | ${f4(r.test.loss)} | ${f4(r.test.auroc)} | ${f4(r.test_without_leaked.accuracy)} |` +
      (withPaper ? ` ${pct(p.accuracy)} | ${p.f1 === undefined ? 'not found' : p.f1.toFixed(3)} |` : ''));
  }
  return lines.join('\n');
}

// The paper's 12 extractors beside ours: one line per network, in the paper's order; a network without
// a row yet says so (never a guess).
function paperTable(ext) {
  const lines = ['| conv layers | filters | paper acc | our test acc | our best epoch / epochs run |', '| --- | ---: | ---: | ---: | ---: |'];
  for (const [l, byF] of Object.entries(PAPER_EXTRACTORS))
    for (const [f, acc] of Object.entries(byF)) {
      const r = ext.find((x) => x.id === `conv${l}x${f}`);
      lines.push(`| ${l} | ${f} | ${pct(acc)} | ` +
        (r ? `${pct(r.test.accuracy)} | ${r.best_epoch}/${r.epochs_run ?? r.epochs} |` : 'not yet run | |'));
    }
  return lines.join('\n');
}

export function markdown(doc) {
  const ext = doc.rows.filter((r) => r.phase === 'extractor'), dense = doc.rows.filter((r) => r.phase === 'dense');
  const b = doc.budget, mean = ext.length ? ext.reduce((s, r) => s + r.test.accuracy, 0) / ext.length : NaN;
  const best = bestExtractor(doc.rows), paired = ext.filter((r) => PAPER.rows[r.id]?.accuracy !== undefined);
  return [
    '# CIFAKE topology sweep',
    '',
    `Command: \`${doc.command}\` (updated ${doc.updated}).`,
    `Budget per network: ${b.patience ? `at most ${b.epochs} epochs, stopped early after ${b.patience} epochs ` +
      'without a better validation loss (the best epoch is kept),' : `${b.epochs} epochs`} ` +
      `of ${b.subset || 'all'} training images, batch ${b.batch}, ` +
      `${b.threads} threads, seed ${b.seed}; Adam lr ${b.lr} (${b.schedule}), weight decay ${b.weight_decay}, ` +
      `pad ${b.pad}, random flips. Test metrics: \`cifake-eval --json\` on the 20,000 test images (FAKE positive; ` +
      'threshold and temperature fitted on validation by the trainer); "without leaked": `--exclude-leaked`.',
    '',
    '## Feature extractors (conv blocks, flatten, sigmoid)',
    '',
    tableRows(ext, true),
    '',
    `Mean test accuracy over ${ext.length} extractors: ${pct(mean)} (paper: ${pct(PAPER.extractorMeanAccuracy)} over its 12` +
      (paired.length && paired.length < 12 ? `; ours over the ${paired.length} of them run: ${pct(meanOf(paired, (r) => r.test.accuracy))}, ` +
        `the paper's over the same: ${pct(meanOf(paired, (r) => PAPER.rows[r.id].accuracy))}` : '') + ').' +
      (best ? ` Best on validation: ${best.id}.` : ''),
    '',
    "### Beside the paper's figures (the paper, as summarised in the project brief)",
    '',
    paperTable(ext),
    '',
    '## Dense heads on the chosen extractor',
    '',
    tableRows(dense, true),
    '',
  ].join('\n');
}

async function trainAndMeasure(o, t, results, state) {
  const weights = path.join(o.out, `${t.id}.bin`), ckpt = `${weights}.ckpt`, log = path.join(o.out, 'logs', `${t.id}.log`);
  const train = path.join(o.bin, 'cifake-train'), evalTool = path.join(o.bin, 'cifake-eval');
  if (!fs.existsSync(weights)) {
    const args = [...trainerFlags(o), '--model', t.spec, '--out', weights, '--checkpoint', ckpt];
    if (fs.existsSync(ckpt)) args.push('--resume', ckpt);
    const interrupt = state.done === o.interruptAfter;
    if (interrupt) args.push('--stop-after', '1');
    console.error(`cifake-sweep: ${t.id}: training${fs.existsSync(ckpt) ? ' (resumed from its checkpoint)' : ''}`);
    await runTool(train, args, log);
    if (!fs.existsSync(weights)) return false; // stopped early: the checkpoint stays for the next run
  }
  const common = ['--weights', weights, '--data', path.resolve(o.data), '--threads', String(o.threads), '--json'];
  const test = JSON.parse(await runTool(evalTool, common, log));
  const leaked = JSON.parse(await runTool(evalTool, [...common, '--exclude-leaked'], log));
  const meta = weightMetadata(weights);
  results.add({
    ...t, params: Number(meta.params), epochs: Number(meta.epochs), best_epoch: Number(meta.best_epoch),
    epochs_run: Number(meta.epochs_run ?? meta.epochs), // fewer than epochs when early stopping ended it
    train_seconds: Number(meta.train_seconds), val_accuracy: Number(meta.val_accuracy),
    val_auroc: Number(meta.val_auroc), test, test_without_leaked: leaked, trainer_version: meta.trainer_version,
  });
  fs.rmSync(ckpt, { force: true });
  const r = results.rows.at(-1);
  console.error(`cifake-sweep: ${t.id}: test accuracy ${f4(r.test.accuracy)}, F1 ${f4(r.test.f1)} ` +
    `(${r.train_seconds} s of training)`);
  return true;
}

async function runPhase(o, nets, results, state) {
  for (const t of nets) {
    if (results.has(t.id)) continue;
    if (!(await trainAndMeasure(o, t, results, state))) return false;
    state.done++;
  }
  return true;
}

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`cifake-sweep: ${e.message}\n${USAGE}`);
    return 2;
  }
  if (o.help) return console.log(USAGE), 0;
  fs.mkdirSync(path.join(o.out, 'logs'), { recursive: true });
  const results = new Results(o), state = { done: 0 };
  if (o.phase !== 'dense' && !(await runPhase(o, extractorGrid(o), results, state))) {
    console.error('cifake-sweep: interrupted as asked (--interrupt-after); run again to resume');
    return 3;
  }
  if (o.phase === 'extractors') return 0;
  const base = o.denseBase ? (([l, f]) => ({ layers: l, filters: f }))(list(o.denseBase.replace('x', ',')))
    : bestExtractor(results.rows);
  if (!base) {
    console.error('cifake-sweep: no extractor rows to choose the dense base from: run phase 1 or pass --dense-base');
    return 2;
  }
  console.error(`cifake-sweep: dense heads on conv${base.layers}x${base.filters}`);
  if (!(await runPhase(o, denseGrid(o, base), results, state))) {
    console.error('cifake-sweep: interrupted as asked (--interrupt-after); run again to resume');
    return 3;
  }
  console.error(`cifake-sweep: done; ${results.mdFile}`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  main().then((code) => process.exit(code), (e) => { console.error(`cifake-sweep: ${e.message}`); process.exit(1); });
