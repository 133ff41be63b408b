// make serve's server script: a busy port gets a plain message naming another port, not a traceback;
// a free one serves the page.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { root } from './helpers.mjs';

const SERVE = path.join(root, 'scripts/serve.sh');

function listen() {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

test('a port in use is refused with a message that names another', async () => {
  const busy = await listen();
  const port = busy.address().port;
  const r = spawnSync(SERVE, [], { env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' }, encoding: 'utf8' });
  busy.close();
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim(), `cifake: port ${port} is in use; try make serve PORT=${port + 1}`);
  assert.doesNotMatch(r.stderr, /Traceback/);
});

test('a port that is not a number is refused', () => {
  const r = spawnSync(SERVE, [], { env: { ...process.env, PORT: '80a' }, encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /PORT must be a number/);
});

test('a free port serves web/', async () => {
  const probe = await listen();
  const port = probe.address().port;
  await new Promise((resolve) => probe.close(resolve));
  const child = spawn(SERVE, [], { env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' } });
  try {
    let page = null;
    for (let k = 0; k < 50 && !page; k++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      page = await fetch(`http://127.0.0.1:${port}/index.html`).then((r) => r.text(), () => null);
    }
    assert.match(page ?? '', /<html/i);
  } finally {
    child.kill();
  }
});
