// boot.js - starts the detector's first worker while the page's modules are still loading.
//
// A classic script in the page's head: it runs as soon as it is fetched, before app.js and its
// modules have loaded (which takes a few hundred milliseconds on a fresh load), so the worker's
// modules load meanwhile, and the WebAssembly module and the weights download. app.js hands the
// worker to its pool (pool.js, `adopt`), which replays the messages that arrived before it
// (docs/performance.md, "Time to first verdict"). The init message is defined here only.
'use strict';
(function startWorker() {
  const init = {
    type: 'init', wasm: new URL('cifake.wasm', location.href).href, weights: new URL('cifake.bin', location.href).href,
    weightsName: 'cifake.bin',
  };
  const boot = { init, worker: null, events: [] };
  self.cifakeBoot = boot;
  try {
    boot.worker = new Worker('worker.js', { type: 'module' });
  } catch (err) {
    return; // the pool starts its own and reports what fails
  }
  // kept until the pool takes the worker over (it replaces these handlers and replays the events)
  boot.worker.onmessage = (e) => boot.events.push({ type: 'message', event: e });
  boot.worker.onerror = (e) => {
    if (e && typeof e.preventDefault === 'function') e.preventDefault();
    boot.events.push({ type: 'error', event: e });
  };
  // The module and the weights are fetched here, at once, rather than once the worker has started
  // (which takes a few hundred milliseconds): the worker gets the bytes with its init message. When
  // a fetch fails, the worker is sent the plain init and fetches them itself, reporting what fails.
  const fetchBytes = (url) => fetch(url).then((res) => {
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return res.arrayBuffer();
  });
  Promise.all([fetchBytes(init.wasm), fetchBytes(init.weights)]).then(
    ([wasm, weights]) => boot.worker.postMessage({ ...init, bytes: { wasm, weights } }, [wasm, weights]),
    () => boot.worker.postMessage(init));
})();
