// The npm package: `npm pack` on a fresh checkout (the files git tracks, copied as they are in the
// working tree: no build/, no web/cifake.wasm, no node_modules), whose prepack script builds the
// WebAssembly module; the tarball installed into an empty folder, and a plain Node script there that
// imports 'cifake' and classifies a sample image with the shipped module and weights, as the
// WebAssembly detector does from the repository. The C2PA library is an optional peer dependency:
// without it a file's Content Credentials are 'not checked', saying so; installed beside cifake,
// they are verified.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { root, sampleImages, shippedWeights, tempDir } from './helpers.mjs';

const npm = spawnSync('npm', ['--version'], { encoding: 'utf8' });
const NO_NPM = npm.error || npm.status !== 0 ? 'npm is missing (apt-get install npm): the package cannot be packed' : false;

const git = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
const NO_GIT = git.error || git.status !== 0 ? 'not a git checkout: a fresh checkout cannot be made' : false;
const emcc = spawnSync('emcc', ['--version'], { encoding: 'utf8', env: { ...process.env, NODE_PATH: '/usr/share/nodejs' } });
const NO_EMCC = emcc.error || emcc.status !== 0 ? 'emcc is missing (apt-get install emscripten): prepack cannot build the module' : false;
const C2PA_PEER = path.join(root, 'node_modules/@contentauth/c2pa-wasm');
const C2PA_FILE = path.resolve(root, '../shared/provenance/c2pa/testcert_digitalCapture_cawg.jpg');

// The files a clone would hold, as they are now (tracked and new, not ignored, not deleted).
function freshCheckout() {
  const dir = tempDir('cifake-checkout-');
  for (const f of git.stdout.split('\0').filter(Boolean)) {
    const from = path.join(root, f);
    if (!fs.existsSync(from) || fs.lstatSync(from).isDirectory()) continue;
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, f));
  }
  return dir;
}

function runScript(dir, lines) {
  fs.writeFileSync(path.join(dir, 'check.mjs'), lines.join('\n'));
  const r = spawnSync(process.execPath, ['check.mjs'], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('npm pack on a fresh checkout builds the module; the tarball installed into an empty folder classifies an image from a plain script',
  { skip: NO_NPM || NO_GIT || NO_EMCC, timeout: 900000 }, async () => {
  const checkout = freshCheckout();
  assert.ok(!fs.existsSync(path.join(checkout, 'web/cifake.wasm')), 'the fresh checkout already holds web/cifake.wasm');
  const dir = tempDir('cifake-pack-');
  const env = { ...process.env, npm_config_cache: path.join(dir, 'npm-cache'), npm_config_update_notifier: 'false',
    MAKEFLAGS: '-j2' };
  const pack = spawnSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: checkout, encoding: 'utf8', env,
    maxBuffer: 64 << 20 });
  assert.equal(pack.status, 0, pack.stderr);
  const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')));
  const files = info.files.map((f) => f.path).sort();
  for (const f of ['package.json', 'README.md', 'web/detector.js', 'web/detector.d.ts', 'web/cifake.js', 'web/cifake.d.ts',
    'web/c2pa.js', 'web/trust/C2PA-TRUST-LIST.pem', 'web/cifake.wasm', 'weights/cifake.bin'])
    assert.ok(files.includes(f), `${f} is not in the package: ${files.join(', ')}`);
  assert.ok(!files.some((f) => /^(src|tests|tools)\//.test(f) || f === 'web/app.js'), `the package holds more than the API: ${files.join(', ')}`);

  const app = path.join(dir, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), '{ "name": "try-cifake", "version": "1.0.0", "private": true }\n');
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--offline', path.join(dir, info.filename)],
    { cwd: app, encoding: 'utf8', env });
  assert.equal(install.status, 0, install.stderr);
  const image = sampleImages().find((s) => s.label === 'FAKE').path;
  const got = runScript(app, [
    "import fs from 'node:fs';",
    "import { loadDetector } from 'cifake';",
    "import * as detector from 'cifake/detector';",
    "const d = await loadDetector();",
    `const r = d.classify(fs.readFileSync(${JSON.stringify(image)}));`,
    "console.log(JSON.stringify({ label: r.label, pFake: r.pFake, scope: r.scope, spec: d.info().spec,",
    "  hasDetector: typeof detector.loadDetector === 'function' }));",
  ]);

  const { loadDetector } = await import(pathToFileURL(path.join(root, 'web/detector.js')).href);
  const d = await loadDetector({ wasm: path.join(root, 'web/cifake.wasm'), weights: shippedWeights });
  const want = d.classify(fs.readFileSync(image));
  assert.deepEqual(got, { label: want.label, pFake: want.pFake, scope: want.scope, spec: d.info().spec, hasDetector: true });
  // the installed copy is a copy: it does not reach back into the repository
  assert.ok(fs.existsSync(path.join(app, 'node_modules/cifake/weights/cifake.bin')));
  assert.ok(!fs.lstatSync(path.join(app, 'node_modules/cifake')).isSymbolicLink());

  if (!fs.existsSync(C2PA_FILE)) return; // ../shared is absent: the Content Credentials part is skipped
  // Content Credentials: without the optional peer, not checked (saying why); with it, verified
  const verify = ["import fs from 'node:fs';", "import { loadDetector } from 'cifake';", "const d = await loadDetector();",
    `const r = await d.classifyAsync(fs.readFileSync(${JSON.stringify(C2PA_FILE)}));`,
    "const c = r.provenance.signals.find((s) => s.kind === 'c2pa');",
    "console.log(JSON.stringify({ verified: c.verified, problem: c.problem || '' }));"];
  const without = runScript(app, verify);
  assert.equal(without.verified, 'not-checked', JSON.stringify(without));
  assert.match(without.problem, /not checked/);
  if (!fs.existsSync(C2PA_PEER)) return; // npm install has not fetched the peer here: nothing to verify with
  const peer = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--offline', '--install-links', C2PA_PEER],
    { cwd: app, encoding: 'utf8', env });
  assert.equal(peer.status, 0, peer.stderr);
  const withPeer = runScript(app, verify);
  assert.equal(withPeer.verified, 'untrusted', JSON.stringify(withPeer));
});
