// make bench on a machine without the CIFAKE dataset: its paper-topology weight file for the engines
// (tests/bench/paper_weights.sh) is trained on the shared samples instead, in batches those allow.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { metadata, root, run, sampleDir, sampleImages, tempDir } from './helpers.mjs';

test('make bench without data/cifake: the paper-topology file is trained on the shared samples',
  { skip: !fs.existsSync(sampleDir) && `${sampleDir} not found` }, () => {
    const dir = tempDir();
    const out = path.join(dir, 'paper.bin');
    const r = spawnSync(path.join(root, 'tests/bench/paper_weights.sh'), [out], {
      encoding: 'utf8', env: { ...process.env, CIFAKE_DIR: path.join(dir, 'absent'), BENCH_THREADS: '1' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(metadata(out).spec, 'c128v,relu,mp,c128v,relu,mp,flat,d64,relu,d1');
    const detect = run('cifake-detect', ['--weights', out, sampleImages()[0].path]);
    assert.equal(detect.code, 0, detect.stderr);
  });
