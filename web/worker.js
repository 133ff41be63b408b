// worker.js - runs the detector off the page's main thread (a module Web Worker).
//
// page -> worker  { type: 'init', wasm, weights }                      (URLs)
//                 { type: 'classify', id, bytes, method, colormap }    (bytes: ArrayBuffer, transferred)
// worker -> page  { type: 'ready', info, simd } | { type: 'fatal', message }
//                 { type: 'result', id, label, pFake, width, height, ms, side, base, heat }
//                 { type: 'result', id, error }
// base is the image's centre square as the model saw it and heat the colour-mapped class activation
// map, both side x side RGBA drawn by the C core; the page blends them (the opacity slider).
// An image that makes the core trap gets an error result like any bad file: detector.js replaces the
// trapped instance with a fresh one, so the next image is judged as usual (app.js starts a new worker
// should the worker itself die).
import { loadDetector } from './detector.js';

let detector = null;
let failure = 'the model is not loaded yet';
let chain = Promise.resolve();

// Messages are handled strictly one after another, even while the model is still loading.
self.onmessage = (e) => {
  chain = chain.then(() => handle(e.data)).catch((err) => {
    self.postMessage({ type: 'fatal', message: `worker: ${err && err.message ? err.message : err}` });
  });
};

function renderSide(width, height) {
  const s = Math.min(width, height);
  return s > 256 ? 384 : 256;
}

async function handle(msg) {
  if (msg.type === 'init') {
    try {
      detector = await loadDetector({ wasm: msg.wasm, weights: msg.weights });
      self.postMessage({ type: 'ready', info: detector.info(), simd: detector.simd });
    } catch (err) {
      failure = err.message;
      self.postMessage({ type: 'fatal', message: err.message });
    }
    return;
  }
  if (msg.type !== 'classify') return;
  const { id } = msg;
  if (!detector) {
    self.postMessage({ type: 'result', id, error: failure });
    return;
  }
  try {
    const t0 = performance.now();
    const r = detector.classify(new Uint8Array(msg.bytes), { cam: msg.method });
    const ms = performance.now() - t0;
    const side = renderSide(r.width, r.height);
    const base = detector.render(null, { side });
    const heat = detector.render(r.cam, { side, colormap: msg.colormap, alpha: 1 });
    self.postMessage({
      type: 'result', id, label: r.label, pFake: r.pFake, width: r.width, height: r.height, ms, side,
      base: base.data.buffer, heat: heat.data.buffer,
    }, [base.data.buffer, heat.data.buffer]);
  } catch (err) {
    self.postMessage({ type: 'result', id, error: err.message });
    // a trap whose synchronous restart failed: start the fresh instance before the next message
    if (detector.broken) {
      try {
        await detector.restart();
      } catch (e) {
        failure = `the detector core could not be restarted: ${e.message}`;
        detector = null;
        self.postMessage({ type: 'fatal', message: failure });
      }
    }
  }
}
