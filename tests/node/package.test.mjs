// The npm package: `npm pack` from the repository, the tarball installed into an empty folder, and
// a plain Node script there that imports 'cifake' and classifies a sample image with the shipped
// module and weights, as the WebAssembly detector does from the repository.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { root, sampleImages, shippedWeights, tempDir } from './helpers.mjs';

const npm = spawnSync('npm', ['--version'], { encoding: 'utf8' });
const NO_NPM = npm.error || npm.status !== 0 ? 'npm is missing (apt-get install npm): the package cannot be packed' : false;

test('npm pack, install the tarball into an empty folder, classify an image from a plain script', { skip: NO_NPM, timeout: 240000 }, async () => {
  assert.ok(fs.existsSync(path.join(root, 'web/cifake.wasm')), 'web/cifake.wasm is missing: run `make wasm` first');
  const dir = tempDir('cifake-pack-');
  const env = { ...process.env, npm_config_cache: path.join(dir, 'npm-cache'), npm_config_update_notifier: 'false' };
  const pack = spawnSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8', env });
  assert.equal(pack.status, 0, pack.stderr);
  const [info] = JSON.parse(pack.stdout);
  const files = info.files.map((f) => f.path).sort();
  for (const f of ['package.json', 'README.md', 'web/detector.js', 'web/detector.d.ts', 'web/cifake.js', 'web/cifake.d.ts',
    'web/cifake.wasm', 'weights/cifake.bin'])
    assert.ok(files.includes(f), `${f} is not in the package: ${files.join(', ')}`);
  assert.ok(!files.some((f) => /^(src|tests|trainer)\//.test(f) || f === 'web/app.js'), `the package holds more than the API: ${files.join(', ')}`);

  const app = path.join(dir, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), '{ "name": "try-cifake", "version": "1.0.0", "private": true }\n');
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--offline', path.join(dir, info.filename)],
    { cwd: app, encoding: 'utf8', env });
  assert.equal(install.status, 0, install.stderr);
  const image = sampleImages().find((s) => s.label === 'FAKE').path;
  fs.writeFileSync(path.join(app, 'check.mjs'), [
    "import fs from 'node:fs';",
    "import { loadDetector } from 'cifake';",
    "import * as detector from 'cifake/detector';",
    "const d = await loadDetector();",
    `const r = d.classify(fs.readFileSync(${JSON.stringify(image)}));`,
    "console.log(JSON.stringify({ label: r.label, pFake: r.pFake, scope: r.scope, spec: d.info().spec,",
    "  hasDetector: typeof detector.loadDetector === 'function' }));",
  ].join('\n'));
  const runIt = spawnSync(process.execPath, ['check.mjs'], { cwd: app, encoding: 'utf8' });
  assert.equal(runIt.status, 0, runIt.stderr);
  const got = JSON.parse(runIt.stdout);

  const { loadDetector } = await import(pathToFileURL(path.join(root, 'web/detector.js')).href);
  const d = await loadDetector({ wasm: path.join(root, 'web/cifake.wasm'), weights: shippedWeights });
  const want = d.classify(fs.readFileSync(image));
  assert.deepEqual(got, { label: want.label, pFake: want.pFake, scope: want.scope, spec: d.info().spec, hasDetector: true });
  // the installed copy is a copy: it does not reach back into the repository
  assert.ok(fs.existsSync(path.join(app, 'node_modules/cifake/weights/cifake.bin')));
  assert.ok(!fs.lstatSync(path.join(app, 'node_modules/cifake')).isSymbolicLink());
});
