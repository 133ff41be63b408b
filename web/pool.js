// pool.js - a pool of detector workers. It knows nothing of the page: tasks are messages, results
// come back as promises, and the model's state as events ('ready' once per worker, 'fatal' when no
// worker is left). createWorker() makes one worker (a Web Worker, or a stand-in in the Node tests).
//
//   const pool = new Pool({ size: 2, createWorker, init: { type: 'init', ... } });
//   new Pool({ ..., adopt: { worker, events } })   the first slot takes a worker already sent init
//                                               (boot.js), replaying the events it got meanwhile
//   pool.on('ready', (msg) => ...); pool.on('fatal', (message) => ...);
//   pool.on('start', (key) => ...);             a worker took the task for key
//   const r = await pool.run(key, { type: 'classify', ... }, { urgent, onMessage });   // r.error on
//                                               // failure, r.superseded / r.cancelled when it was not run;
//                                               // onMessage(msg): the worker's messages about the task
//                                               // before its result (the verdict ahead of the heatmap)
//
// A worker that dies after it had loaded the model (a crash, not a 'fatal' message) is replaced by a
// new one, at most RESPAWNS times a slot: the task it was running fails, queued tasks wait for the
// new worker, nothing else is lost. A worker that never got ready is not replaced.

const RESPAWNS = 8;

export class Pool {
  #slots = [];
  #queue = [];
  #nextId = 1;
  #listeners = { ready: new Set(), fatal: new Set(), start: new Set() };
  fatal = null;

  #createWorker;
  #init;

  constructor({ size, createWorker, init, adopt = null }) {
    this.#createWorker = createWorker;
    this.#init = init;
    for (let i = 0; i < size; i++)
      this.#slots.push({ worker: null, ready: false, task: null, dead: false, wasReady: false, respawns: 0 });
    // One worker first: the others would download and compile the same module at the same time,
    // competing with it for the first verdict (docs/performance.md); they start once it is ready,
    // or once it has failed (they may fare better).
    if (adopt && adopt.worker) this.#attach(this.#slots[0], adopt.worker, adopt.events || []);
    else this.#spawn(this.#slots[0]);
  }

  #spawnRest() {
    for (const slot of this.#slots) if (!slot.worker && !slot.dead) this.#spawn(slot);
  }

  #spawn(slot) {
    let worker;
    try {
      worker = this.#createWorker();
    } catch (err) {
      this.#dead(slot, `cannot start a worker: ${err.message}`);
      return;
    }
    this.#attach(slot, worker, []);
    worker.postMessage(this.#init);
  }

  // Gives slot its worker; events are those the worker sent before (an adopted worker's), replayed.
  #attach(slot, worker, events) {
    slot.worker = worker;
    slot.ready = false;
    // messages and errors from a worker already replaced are ignored
    const onMessage = (e) => { if (slot.worker === worker) this.#onMessage(slot, e.data); };
    const onError = (e) => {
      if (e && typeof e.preventDefault === 'function') e.preventDefault();
      if (slot.worker === worker) this.#crashed(slot, (e && e.message) || 'the worker stopped');
    };
    worker.onmessage = onMessage;
    worker.onerror = onError;
    // after the caller has subscribed (the constructor returns first), before any newer event
    if (events.length) queueMicrotask(() => { for (const { type, event } of events) (type === 'error' ? onError : onMessage)(event); });
  }

  #crashed(slot, message) {
    if (!slot.wasReady || slot.respawns >= RESPAWNS) return this.#dead(slot, message);
    slot.respawns++;
    slot.worker.terminate();
    if (slot.task) {
      const task = slot.task;
      slot.task = null;
      task.resolve({ error: `the detector stopped while judging this file (${message}); it was restarted` });
    }
    this.#spawn(slot);
  }

  on(type, fn) {
    this.#listeners[type].add(fn);
    return () => this.#listeners[type].delete(fn);
  }

  #emit(type, detail) {
    for (const fn of this.#listeners[type]) fn(detail);
  }

  /** Queues message for key. Urgent tasks (a user's change) go first; a newer task for the same key
   *  replaces a queued one, which resolves { superseded: true }. onMessage gets the worker's messages
   *  with the task's id other than its result, while it runs.
   *  @param {any} key @param {any} message
   *  @param {{ urgent?: boolean, onMessage?: ((msg: any) => void) | null }} [options] */
  run(key, message, { urgent = false, onMessage = null } = {}) {
    return new Promise((resolve) => {
      if (this.fatal) return resolve({ error: this.fatal });
      const old = this.#queue.findIndex((t) => t.key === key);
      if (old >= 0) this.#queue.splice(old, 1)[0].resolve({ superseded: true });
      const task = { id: this.#nextId++, key, message, resolve, onMessage };
      if (urgent) this.#queue.unshift(task);
      else this.#queue.push(task);
      this.#pump();
    });
  }

  /** Drops the queued tasks whose key matches (all when no test is given); they resolve
   *  { cancelled: true }. Running tasks finish. Returns how many were dropped.
   *  @param {(key: any) => boolean} [test] */
  cancel(test = () => true) {
    const keep = [];
    let n = 0;
    for (const t of this.#queue) {
      if (test(t.key)) {
        n++;
        t.resolve({ cancelled: true });
      } else keep.push(t);
    }
    this.#queue = keep;
    return n;
  }

  get pending() { return this.#queue.length + this.#slots.filter((s) => s.task).length; }
  get size() { return this.#slots.length; }

  #pump() {
    const anyReady = this.#slots.some((s) => s.ready);
    for (const slot of this.#slots) {
      // While no worker is ready, one still loading the model takes a task ahead: it runs it right
      // after its init, without a round trip through the page (docs/performance.md)
      const open = slot.ready || (!anyReady && slot.worker && !slot.wasReady);
      if (!open || slot.task || slot.dead || !this.#queue.length) continue;
      const task = this.#queue.shift();
      slot.task = task;
      this.#emit('start', task.key);
      try {
        slot.worker.postMessage({ ...task.message, id: task.id });
      } catch (err) {
        this.#finish(slot, { error: `cannot hand the file to the worker: ${err.message}` });
      }
    }
  }

  #finish(slot, result) {
    const task = slot.task;
    slot.task = null;
    if (task) task.resolve(result);
    this.#pump();
  }

  #onMessage(slot, msg) {
    if (!msg || slot.dead) return;
    if (msg.type === 'ready') {
      slot.ready = slot.wasReady = true;
      this.#spawnRest();
      this.#emit('ready', msg);
      this.#pump();
    } else if (msg.type === 'fatal') {
      this.#dead(slot, msg.message);
    } else if (slot.task && msg.id === slot.task.id) {
      if (msg.type === 'result') this.#finish(slot, msg);
      else if (slot.task.onMessage) slot.task.onMessage(msg);
    }
  }

  #dead(slot, message) {
    if (slot.dead) return;
    slot.dead = true;
    slot.ready = false;
    if (slot.worker) slot.worker.terminate();
    const task = slot.task;
    slot.task = null;
    this.#spawnRest();
    const allDead = this.#slots.every((s) => s.dead);
    // a task handed ahead to a worker that never loaded the model was not run: it waits for another
    if (task && !slot.wasReady && !allDead) this.#queue.unshift(task);
    else if (task) task.resolve({ error: message });
    if (allDead) {
      this.fatal = `the model could not be loaded: ${message}`;
      for (const t of this.#queue.splice(0)) t.resolve({ error: this.fatal });
      this.#emit('fatal', this.fatal);
    } else {
      this.#pump();
    }
  }
}
