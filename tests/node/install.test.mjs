// `make install PREFIX=...` for C programs: the static library, cifake.h and cifake.pc in a temporary
// prefix, used as a C user would: examples/classify.c, copied away from the sources, compiled against
// the installed copy alone with `pkg-config --cflags --libs cifake`, then run on the shared samples with
// the shipped weights; its verdicts must be cifake-detect's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { hostileDir, root, run, sampleDir, sampleImages, shippedWeights, tempDir } from './helpers.mjs';

// A make started from this test is its own: not a job of the make that may be running the tests.
const env = { ...process.env };
for (const k of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES']) delete env[k];
const sh = (cmd, opts = {}) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8', env, ...opts });

test('make install PREFIX: a C program builds with pkg-config against the installed copy alone and classifies like cifake-detect',
  { skip: !fs.existsSync(sampleDir) && `${sampleDir} not found` }, () => {
    const prefix = tempDir('cifake-prefix-');
    const inst = spawnSync('make', ['--no-print-directory', 'install', `PREFIX=${prefix}`], { cwd: root, encoding: 'utf8', env });
    assert.equal(inst.status, 0, inst.stdout + inst.stderr);
    const files = sh('find . -type f | sort', { cwd: prefix }).stdout.trim().split('\n');
    assert.deepEqual(files, ['./include/cifake.h', './lib/libcifake.a', './lib/pkgconfig/cifake.pc']);

    const work = tempDir('cifake-user-');
    fs.copyFileSync(path.join(root, 'examples/classify.c'), path.join(work, 'classify.c'));
    const pc = { ...env, PKG_CONFIG_PATH: path.join(prefix, 'lib/pkgconfig') };
    const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'cifake'], { encoding: 'utf8', env: pc });
    assert.equal(flags.status, 0, flags.stderr);
    assert.ok(flags.stdout.includes(`-I${prefix}/include`) && flags.stdout.includes('-lcifake'), flags.stdout);
    const cc = sh('cc -std=c11 -Wall -Wextra -Werror classify.c $(pkg-config --cflags --libs cifake) -o classify',
      { cwd: work, env: pc });
    assert.equal(cc.status, 0, `the example does not build against the installed copy:\n${cc.stderr}`);

    const images = [...sampleImages().map((s) => s.path), path.join(hostileDir, 'cases/lossy.webp')];
    const ours = spawnSync(path.join(work, 'classify'), [shippedWeights, ...images], { encoding: 'utf8' });
    assert.equal(ours.status, 0, ours.stderr);
    const detect = run('cifake-detect', ['--weights', shippedWeights, ...images]);
    assert.equal(detect.code, 0, detect.stderr);
    assert.equal(ours.stdout, detect.stdout);
    assert.equal(ours.stdout.trim().split('\n').length, images.length);

    const bad = spawnSync(path.join(work, 'classify'), [shippedWeights, path.join(hostileDir, 'cases/truncated.png')],
      { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /truncated\.png: truncated PNG data/);

    const un = spawnSync('make', ['--no-print-directory', 'uninstall', `PREFIX=${prefix}`], { cwd: root, encoding: 'utf8', env });
    assert.equal(un.status, 0, un.stderr);
    assert.equal(sh('find . -type f', { cwd: prefix }).stdout.trim(), '');
  });
