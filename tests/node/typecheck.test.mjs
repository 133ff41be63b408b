// The page's JavaScript type-checked by TypeScript (`tsc --noEmit`, checkJs): web/*.js against the
// public types of web/detector.d.ts and web/cifake.d.ts and the modules' JSDoc types; tsconfig.json
// for the page and the modules, tsconfig.worker.json for the workers. Any error fails the test. A
// probe with a deliberate misuse shows that the check sees the .d.ts types.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { root, tempDir } from './helpers.mjs';

const TSC = [path.join(root, 'node_modules/typescript/bin/tsc')].find((f) => fs.existsSync(f)) ?? null;
const MISSING = 'typescript is not installed: `npm install` (make test-node does it, package.json devDependencies)';

function tsc(project) {
  const r = spawnSync(process.execPath, [TSC, '-p', project, '--noEmit', '--pretty', 'false'], { cwd: root, encoding: 'utf8' });
  assert.ifError(r.error);
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

for (const config of ['tsconfig.json', 'tsconfig.worker.json']) {
  test(`tsc -p ${config} --noEmit finds no error in web/*.js`, () => {
    assert.ok(TSC, MISSING);
    const { status, output } = tsc(path.join(root, config));
    assert.equal(status, 0, output);
    assert.doesNotMatch(output, /error TS/);
  });
}

test('the check holds code to detector.d.ts (a misuse is an error)', () => {
  assert.ok(TSC, MISSING);
  const dir = tempDir('cifake-tsc-');
  try {
    const detector = path.join(root, 'web/detector.js').split(path.sep).join('/');
    fs.writeFileSync(path.join(dir, 'probe.js'), `import { loadDetector } from '${detector}';\n` +
      'const d = await loadDetector();\nd.classify(new Uint8Array(0)).pFakeTypo;\n');
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      extends: path.join(root, 'tsconfig.json'), files: [], include: ['probe.js'],
    }));
    const { status, output } = tsc(path.join(dir, 'tsconfig.json'));
    assert.notEqual(status, 0);
    assert.match(output, /probe\.js.*error TS2339: Property 'pFakeTypo' does not exist on type 'Result'/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
