// The page's worker pool (web/pool.js) and store (web/store.js) without a browser: stand-in workers
// answer the messages the real ones get.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool } from '../../web/pool.js';
import { Store, fileKey } from '../../web/store.js';

// A stand-in Web Worker: records messages; the test answers them.
class FakeWorker {
  constructor(log) {
    this.log = log;
    this.got = [];
    this.terminated = false;
  }
  postMessage(msg) { this.got.push(msg); this.log.push(msg); }
  terminate() { this.terminated = true; }
  send(msg) { this.onmessage({ data: msg }); }
  crash(message) { this.onerror({ message, preventDefault() {} }); }
}

function makePool(size) {
  const workers = [], log = [];
  const pool = new Pool({ size, createWorker: () => { const w = new FakeWorker(log); workers.push(w); return w; }, init: { type: 'init' } });
  return { pool, workers, log };
}

const flush = () => new Promise((r) => setImmediate(r));
const lastTask = (w) => w.got.filter((m) => m.type === 'classify').at(-1);

test('the pool waits for a ready worker, spreads tasks and resolves each with its own result', async () => {
  const { pool, workers } = makePool(2);
  // one worker loads the model first; the second starts once it is ready (no two downloads and
  // compilations at once before the first verdict)
  assert.deepEqual(workers.map((w) => w.got), [[{ type: 'init' }]]);
  const ready = [], started = [];
  pool.on('ready', (m) => ready.push(m.info));
  pool.on('start', (k) => started.push(k));
  const a = pool.run('a', { type: 'classify', n: 1 });
  const b = pool.run('b', { type: 'classify', n: 2 });
  assert.equal(pool.pending, 2);
  // the loading worker takes one task ahead (it runs it after its init); the other waits
  assert.deepEqual(workers[0].got.map((m) => m.type), ['init', 'classify']);
  workers[0].send({ type: 'ready', info: { spec: 's' } });
  assert.deepEqual(workers.map((w) => w.got.length), [2, 1], 'the second worker is started, the first has its task');
  workers[1].send({ type: 'ready', info: { spec: 's' } });
  assert.deepEqual(ready, [{ spec: 's' }, { spec: 's' }]);
  assert.deepEqual(started, ['a', 'b']);
  const ta = lastTask(workers[0]), tb = lastTask(workers[1]);
  assert.equal(ta.n, 1);
  assert.equal(tb.n, 2);
  // answers out of order, and a stray answer for an unknown id, are matched by id
  workers[1].send({ type: 'result', id: 999, label: 'X' });
  workers[1].send({ type: 'result', id: tb.id, label: 'FAKE' });
  workers[0].send({ type: 'result', id: ta.id, label: 'REAL' });
  assert.equal((await a).label, 'REAL');
  assert.equal((await b).label, 'FAKE');
  assert.equal(pool.pending, 0);
});

test('the worker\'s other messages about a running task reach its onMessage before its result', async () => {
  const { pool, workers } = makePool(1);
  const w = workers[0];
  w.send({ type: 'ready', info: {} });
  const seen = [];
  const a = pool.run('a', { type: 'classify' }, { onMessage: (m) => seen.push(['a', m.type, m.label]) });
  const b = pool.run('b', { type: 'classify' }, { onMessage: (m) => seen.push(['b', m.type, m.label]) });
  const ta = lastTask(w);
  w.send({ type: 'verdict', id: ta.id + 1, label: 'not yours' }); // b is queued, not running: ignored
  w.send({ type: 'verdict', id: ta.id, label: 'FAKE' });
  assert.equal(pool.pending, 2, 'a verdict does not end the task');
  w.send({ type: 'result', id: ta.id, label: 'FAKE', heat: 'map' });
  assert.equal((await a).heat, 'map');
  w.send({ type: 'verdict', id: ta.id, label: 'late' }); // a has ended: ignored
  const tb = lastTask(w);
  w.send({ type: 'result', id: tb.id, label: 'REAL' });
  assert.equal((await b).label, 'REAL');
  assert.deepEqual(seen, [['a', 'verdict', 'FAKE']]);
});

test('urgent tasks go first, a newer task replaces a queued one for the same key, cancel drops queued ones', async () => {
  const { pool, workers } = makePool(1);
  const w = workers[0];
  w.send({ type: 'ready', info: {} });
  const first = pool.run('x', { type: 'classify', n: 0 });
  const old = pool.run('y', { type: 'classify', n: 1 });
  const newer = pool.run('y', { type: 'classify', n: 2 });
  assert.deepEqual(await old, { superseded: true });
  const z = pool.run('z', { type: 'classify', n: 3 });
  const urgent = pool.run('u', { type: 'classify', n: 4 }, { urgent: true });
  const order = [];
  for (let k = 0; k < 2; k++) {
    const t = lastTask(w);
    order.push(t.n);
    w.send({ type: 'result', id: t.id, ok: true });
    await flush();
  }
  assert.deepEqual(order, [0, 4], 'the urgent task runs before the queue (x was running)');
  assert.equal((await first).ok, true);
  assert.equal((await urgent).ok, true);
  // y (n 2) runs now; z waits: stopping the batch drops z only
  assert.equal(lastTask(w).n, 2);
  assert.equal(pool.cancel(), 1);
  assert.deepEqual(await z, { cancelled: true });
  w.send({ type: 'result', id: lastTask(w).id, ok: 'y' });
  assert.equal((await newer).ok, 'y', 'the running task finishes');
});

test('a dead worker fails its task only; when all are dead every task gets the reason', async () => {
  const { pool, workers } = makePool(2);
  const fatal = [];
  pool.on('fatal', (m) => fatal.push(m));
  workers[0].send({ type: 'ready', info: {} });
  workers[1].send({ type: 'ready', info: {} });
  const a = pool.run('a', { type: 'classify' });
  const b = pool.run('b', { type: 'classify' });
  const c = pool.run('c', { type: 'classify' });
  workers[0].send({ type: 'fatal', message: 'out of memory' }); // the worker's detector cannot go on
  assert.deepEqual(await a, { error: 'out of memory' });
  assert.equal(workers[0].terminated, true);
  assert.equal(lastTask(workers[1]).id, 2, 'b is on the live worker');
  workers[1].send({ type: 'fatal', message: 'the detector core failed' });
  assert.deepEqual(await b, { error: 'the detector core failed' });
  assert.match((await c).error, /could not be loaded: the detector core failed/);
  assert.deepEqual(fatal, ['the model could not be loaded: the detector core failed']);
  assert.match((await pool.run('d', { type: 'classify' })).error, /could not be loaded/);
});

test('the other workers start when the first fails to load the model, and may still load it', async () => {
  const { pool, workers } = makePool(2);
  assert.equal(workers.length, 1);
  workers[0].send({ type: 'fatal', message: 'cannot fetch cifake.bin' });
  assert.equal(workers.length, 2, 'the second worker is started');
  assert.equal(pool.fatal, null);
  workers[1].send({ type: 'ready', info: {} });
  const a = pool.run('a', { type: 'classify' });
  workers[1].send({ type: 'result', id: lastTask(workers[1]).id, ok: true });
  assert.equal((await a).ok, true);
});

test('a task handed ahead to a worker that then fails to load waits for another worker; with none left it fails', async () => {
  const { pool, workers } = makePool(2);
  const a = pool.run('a', { type: 'classify', n: 1 });
  assert.equal(lastTask(workers[0]).n, 1, 'handed ahead to the loading worker');
  workers[0].send({ type: 'fatal', message: 'cannot fetch cifake.bin' });
  assert.equal(workers.length, 2);
  assert.equal(lastTask(workers[1]).n, 1, 'the next loading worker takes it');
  workers[1].send({ type: 'ready', info: {} });
  workers[1].send({ type: 'result', id: lastTask(workers[1]).id, ok: true });
  assert.equal((await a).ok, true, 'it ran once, on the worker that loaded the model');
  const { pool: lone, workers: [w] } = makePool(1);
  const b = lone.run('b', { type: 'classify' });
  w.send({ type: 'fatal', message: 'cannot fetch cifake.bin' });
  assert.deepEqual(await b, { error: 'cannot fetch cifake.bin' });
});

test('a worker that cannot start is dead from the beginning', async () => {
  const fatal = [];
  const pool = new Pool({ size: 1, createWorker: () => { throw new Error('no workers here'); }, init: {} });
  pool.on('fatal', (m) => fatal.push(m));
  assert.match(pool.fatal, /cannot start a worker: no workers here/);
  assert.match((await pool.run('a', {})).error, /cannot start a worker/);
});

const file = (name, size = 10, lastModified = 1) => ({ name, size, lastModified });

test('a worker started before the pool (boot.js) is adopted: no second init, its early messages replayed in order', async () => {
  const log = [], early = new FakeWorker(log), created = [];
  // what boot.js did: init sent, a ready message (and then a result for nothing) received meanwhile
  early.postMessage({ type: 'init' });
  const events = [{ type: 'message', event: { data: { type: 'ready', info: { n: 1 } } } }];
  const pool = new Pool({ size: 2, init: { type: 'init' }, adopt: { worker: early, events },
    createWorker: () => { const w = new FakeWorker(log); created.push(w); return w; } });
  const ready = [];
  pool.on('ready', (m) => ready.push(m.info.n));
  assert.equal(ready.length, 0, 'replayed after the caller subscribed, not during the constructor');
  await flush();
  assert.deepEqual(ready, [1]);
  assert.deepEqual(early.got, [{ type: 'init' }], 'the adopted worker is not sent init again');
  assert.equal(created.length, 1, 'the second worker starts once the first is ready');
  assert.deepEqual(created[0].got, [{ type: 'init' }]);
  const r = pool.run('a', { type: 'classify', n: 1 });
  await flush();
  const task = lastTask(early);
  assert.ok(task, 'the adopted worker takes tasks');
  early.send({ type: 'result', id: task.id, result: 'x' });
  assert.equal((await r).result, 'x');
});

test('an adopted worker that failed before the pool took it over is reported like any other', async () => {
  const early = new FakeWorker([]);
  const events = [{ type: 'error', event: { message: 'worker.js: syntax error', preventDefault() {} } }];
  const created = [];
  const pool = new Pool({ size: 1, init: { type: 'init' }, adopt: { worker: early, events },
    createWorker: () => { const w = new FakeWorker([]); created.push(w); return w; } });
  const fatal = [];
  pool.on('fatal', (m) => fatal.push(m));
  await flush();
  assert.equal(fatal.length, 1);
  assert.match(fatal[0], /syntax error/);
  assert.equal(early.terminated, true);
});

test('the store skips a file added twice, counts the batch and applies the top settings to every image', () => {
  const store = new Store();
  const events = [];
  for (const t of ['items', 'item', 'batch', 'settings', 'sort', 'clear']) store.on(t, (d) => events.push([t, d]));
  const r1 = store.addFiles([file('a.jpg'), file('b.jpg')]);
  assert.deepEqual(r1.added.map((i) => [i.index, i.name, i.status]), [[1, 'a.jpg', 'queued'], [2, 'b.jpg', 'queued']]);
  const r2 = store.addFiles([file('a.jpg'), file('a.jpg', 11), file('c.jpg')]);
  assert.deepEqual(r2.duplicates.map((d) => [d.file.name, d.of.index]), [['a.jpg', 1]]);
  assert.deepEqual(r2.added.map((i) => i.index), [3, 4], 'same name with another size is another file');
  assert.deepEqual(store.batch, { total: 4, done: 0, stopped: 0 });
  assert.equal(store.running, true);
  store.update(r1.added[0], { status: 'working' });
  store.update(r1.added[0], { status: 'done', result: { label: 'FAKE' } });
  store.update(r1.added[1], { status: 'error', error: 'bad' });
  store.update(r1.added[1], { status: 'error', error: 'bad again' });
  assert.deepEqual(store.batch, { total: 4, done: 2, stopped: 0 }, 'a final status counts once');
  store.setSettings({ method: 'gradcampp', alpha: 0.8 });
  assert.ok(store.items.every((i) => i.method === 'gradcampp' && i.alpha === 0.8));
  assert.equal(store.addFiles([file('d.jpg')]).added[0].method, 'gradcampp');
  assert.deepEqual(store.summary(), { done: 1, fake: 1, real: 0, unsure: 0, errors: 1, stopped: 0 });
  assert.notEqual(fileKey(file('a.jpg')), fileKey(file('a.jpg', 10, 2)));
  store.clear();
  assert.equal(store.items.length, 0);
  assert.equal(store.addFiles([file('a.jpg')]).added.length, 1, 'after Clear all a file can come back');
  assert.ok(events.some(([t]) => t === 'clear'));
});

test('the store keeps the batch: Stop counts the dropped images, said once when the batch ends', () => {
  const store = new Store({ settings: { method: 'gradcampp', alpha: 0.25 } });
  assert.deepEqual(store.settings, { method: 'gradcampp', colormap: 'turbo', alpha: 0.25 }, 'the top controls at start');
  const batches = [];
  store.on('batch', (b) => batches.push(b));
  const [a, b, c] = store.addFiles([file('a.jpg'), file('b.jpg'), file('c.jpg')]).added;
  assert.equal(a.method, 'gradcampp');
  store.countStopped(2);
  assert.deepEqual(store.batch, { total: 3, done: 0, stopped: 2 });
  store.update(a, { status: 'done', result: { label: 'REAL' } });
  store.update(b, { status: 'stopped' });
  assert.equal(batches.filter((x) => x.ended).length, 0, 'not ended while an image is left');
  store.update(c, { status: 'stopped' });
  assert.deepEqual(batches.at(-1), { total: 3, done: 3, stopped: 2, ended: true });
  assert.equal(store.batch.stopped, 0, 'said once: the next batch starts with none stopped');
  store.update(c, { status: 'stopped' });
  assert.equal(batches.filter((x) => x.ended).length, 1);
  // a new batch after the end starts from zero; Clear ends none
  store.addFiles([file('d.jpg')]);
  assert.deepEqual(store.batch, { total: 1, done: 0, stopped: 0 });
  store.clear();
  assert.deepEqual(batches.at(-1), { total: 0, done: 0, stopped: 0, ended: false });
});

test('each request for an item gets a new version, without an event', () => {
  const store = new Store();
  const [item] = store.addFiles([file('a.jpg')]).added;
  const events = [];
  store.on('item', (d) => events.push(d));
  assert.equal(item.version, 0);
  assert.equal(store.nextVersion(item), 1);
  assert.equal(store.nextVersion(item), 2);
  assert.equal(item.version, 2);
  assert.deepEqual(events, []);
});

test('sorting the same column again reverses it; the default is newest first', () => {
  const store = new Store();
  assert.deepEqual(store.sort, { key: 'index', dir: -1 });
  store.sortBy('name');
  assert.deepEqual(store.sort, { key: 'name', dir: 1 });
  store.sortBy('name');
  assert.deepEqual(store.sort, { key: 'name', dir: -1 });
  store.sortBy('pFake');
  assert.deepEqual(store.sort, { key: 'pFake', dir: -1 });
});

test('a worker that crashes after loading the model is replaced; the file it was judging fails, the queue goes on', async () => {
  const { pool, workers } = makePool(1);
  workers[0].send({ type: 'ready', info: {} });
  const a = pool.run('a', { type: 'classify', n: 1 });
  const b = pool.run('b', { type: 'classify', n: 2 });
  workers[0].crash('out of memory');
  assert.match((await a).error, /stopped while judging this file \(out of memory\)/);
  assert.equal(workers.length, 2, 'a new worker takes the slot');
  assert.ok(workers[0].terminated);
  assert.deepEqual(workers[1].got, [{ type: 'init' }]);
  workers[0].send({ type: 'result', id: 1, label: 'STALE' }); // the old worker is not listened to
  workers[1].send({ type: 'ready', info: {} });
  workers[1].send({ type: 'result', id: lastTask(workers[1]).id, label: 'REAL' });
  assert.equal((await b).label, 'REAL');
  assert.equal(pool.fatal, null);
  // a worker that never got ready is not replaced: the model cannot load there
  const c = makePool(1);
  c.workers[0].crash('no SIMD');
  assert.equal(c.workers.length, 1);
  assert.match(c.pool.fatal, /no SIMD/);
});
