// detector.js - the cifake WebAssembly detector as an ES module, the same file in the browser (page
// or Web Worker) and in Node 20.
//
//   import { loadDetector } from './detector.js';
//   const d = await loadDetector({ wasm: 'cifake.wasm', weights: 'cifake.bin' });
//   const r = d.classify(bytes, { cam: 'gradcam' });   // { label, pFake, width, height, cam }
//   d.classify(bytes, { input: true }).input           // also the normalised 3x32x32 model input
//   d.predict(float32Inputs, n)     // n normalised inputs in one batch: { pFake, score } (Float32Arrays)
//   const img = d.render(r.cam, { side: 256, colormap: 'turbo', alpha: 0.5 });   // ImageData-like
//   d.info();      // weight file metadata, e.g. { spec, classes, threshold, temperature, ... }
//   d.dispose();
//
// If the core traps (a WebAssembly runtime error, or abort() in a broken invariant: no known input
// reaches one), the call that trapped throws, the instance and everything in its memory are thrown
// away, and a fresh one is started from the same compiled module and weights: later calls work as
// before, and no leftover of the failed call can reach them. d.restarts counts these restarts.
//
// wasm and weights are each a URL (string or URL: fetched in the browser; in Node a file path or a
// file: URL is read from disk, http(s) is fetched) or the bytes themselves (ArrayBuffer, a typed
// array or a DataView). Everything runs locally: images never leave the process.

const CAM_METHODS = { gradcam: 0, gradcampp: 1 };
const COLORMAPS = { turbo: 0, jet: 1, viridis: 2 };
const CAM_SIDE = 32;
const CAM_FLOATS = CAM_SIDE * CAM_SIDE;
const INPUT_FLOATS = 3 * CAM_SIDE * CAM_SIDE; // the model's normalised input, 3 x 32 x 32

const isNode = typeof process !== 'undefined' && !!(process.versions && process.versions.node) &&
  typeof window === 'undefined' && typeof importScripts === 'undefined';

function asBytes(x) {
  if (x instanceof Uint8Array) return x;
  if (x instanceof ArrayBuffer) return new Uint8Array(x);
  if (typeof SharedArrayBuffer !== 'undefined' && x instanceof SharedArrayBuffer) return new Uint8Array(x);
  if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  return null;
}

async function loadBytes(src, what) {
  const direct = asBytes(src);
  if (direct) return direct;
  if (typeof src !== 'string' && !(src instanceof URL))
    throw new TypeError(`${what}: expected a URL, a file path or bytes (ArrayBuffer / Uint8Array)`);
  const text = String(src);
  if (isNode && !/^(https?|data|blob):/i.test(text)) {
    const [{ readFile }, { fileURLToPath }] = await Promise.all([import('node:fs/promises'), import('node:url')]);
    const file = /^file:/i.test(text) ? fileURLToPath(text) : text;
    try {
      return new Uint8Array(await readFile(file));
    } catch (e) {
      throw new Error(`${what}: cannot read ${file}: ${e.code || e.message}`);
    }
  }
  let res;
  try {
    res = await fetch(src);
  } catch (e) {
    throw new Error(`${what}: cannot fetch ${text}: ${e.message}`);
  }
  if (!res.ok) throw new Error(`${what}: cannot fetch ${text}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

class CoreAbort extends Error {}

// Imports of the standalone module: it needs almost nothing from its host.
function makeImports(module) {
  const stubs = {
    env: {
      emscripten_notify_memory_growth() {}, // views are re-created from memory.buffer on every use
    },
    wasi_snapshot_preview1: {
      proc_exit(code) { throw new CoreAbort(`the detector core stopped (code ${code})`); },
      fd_write() { return 52; }, // ENOSYS: nothing in the core prints
      fd_close() { return 52; },
      fd_seek() { return 52; },
      environ_sizes_get(countPtr, sizePtr) { return 52; },
      environ_get() { return 52; },
    },
  };
  const imports = {};
  for (const { module: mod, name, kind } of WebAssembly.Module.imports(module)) {
    const fn = stubs[mod] && stubs[mod][name];
    if (kind !== 'function') throw new Error(`cifake.wasm: unexpected import ${mod}.${name} (${kind})`);
    (imports[mod] ||= {})[name] = fn || (() => { throw new CoreAbort(`the detector core called ${mod}.${name}`); });
  }
  return imports;
}

export async function loadDetector({ wasm = 'cifake.wasm', weights = 'cifake.bin' } = {}) {
  const [wasmBytes, weightBytes] = await Promise.all([loadBytes(wasm, 'cifake.wasm'), loadBytes(weights, 'weights')]);
  let module;
  try {
    module = await WebAssembly.compile(wasmBytes);
  } catch (e) {
    const simd = typeof WebAssembly.validate === 'function' &&
      WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8,
        0, 65, 0, 253, 15, 253, 98, 11]));
    throw new Error(simd ? `cifake.wasm is not a valid module: ${e.message}`
      : 'this browser does not support WebAssembly SIMD, which the detector needs (any current Chrome, Edge, Firefox or Safari 16.4+ does)');
  }
  const instance = await WebAssembly.instantiate(module, makeImports(module));
  return new Detector(module, instance, weightBytes);
}

const decoder = new TextDecoder('utf-8');

class Detector {
  #module;
  #weights;
  #x;
  #h = 0;
  #cam = 0; // 32*32 floats kept for explain/render
  #broken = null;
  #disposed = false;

  constructor(module, instance, weightBytes) {
    this.#module = module;
    this.#weights = weightBytes.slice(); // kept for restarts: the caller may reuse its buffer
    this.#start(instance);
    /** Name of the vector instruction set the core was built for ("wasm-simd128"). */
    this.simd = this.#string(this.#x.cfw_simd());
    /** How many times a trap made the detector start a fresh instance of the core. */
    this.restarts = 0;
  }

  // Opens the weights in an instance of the core (which must not have been used before).
  #start(instance) {
    const x = instance.exports;
    if (typeof x._initialize === 'function') x._initialize();
    this.#x = x;
    this.#h = 0;
    this.#cam = x.cfw_alloc(CAM_FLOATS * 4);
    if (!this.#cam) throw new Error('out of memory');
    const p = this.#copyIn(this.#weights);
    try {
      this.#h = x.cfw_open(p, this.#weights.length);
    } finally {
      x.cfw_free(p);
    }
    if (!this.#h) {
      const msg = this.#lastError();
      x.cfw_free(this.#cam);
      this.#cam = 0;
      throw new Error(`weights: ${msg}`);
    }
  }

  // After a trap: a fresh instance from the compiled module (synchronous, so the next call finds it
  // ready). If that fails, the detector refuses calls until restart() succeeds.
  #restartNow(reason) {
    this.#broken = `the detector core failed (${reason}) and could not be restarted; reload the page`;
    this.#h = 0;
    this.#cam = 0;
    try {
      this.#start(new WebAssembly.Instance(this.#module, makeImports(this.#module)));
    } catch {
      return false;
    }
    this.#broken = null;
    this.restarts++;
    return true;
  }

  /** Starts a fresh instance of the core (asynchronously), e.g. after a trap whose synchronous
   *  restart failed (the property broken is then true). */
  async restart() {
    if (this.#disposed) throw new Error('the detector was disposed');
    const instance = await WebAssembly.instantiate(this.#module, makeImports(this.#module));
    this.#start(instance);
    this.#broken = null;
    this.restarts++;
  }

  /** True after a trap whose restart failed: calls throw until restart() succeeds. */
  get broken() { return this.#broken !== null; }

  get #mem() { return this.#x.memory.buffer; }

  #string(ptr) {
    if (!ptr) return null;
    const b = new Uint8Array(this.#mem);
    let end = ptr;
    while (b[end]) end++;
    return decoder.decode(b.subarray(ptr, end));
  }

  #lastError() { return this.#string(this.#x.cfw_last_error()) || 'unknown error'; }

  #copyIn(bytes) {
    const p = this.#x.cfw_alloc(bytes.length);
    if (!p) throw new Error(`out of memory (${bytes.length} bytes)`);
    new Uint8Array(this.#mem, p, bytes.length).set(bytes);
    return p;
  }

  // Runs fn against the core. A trap or abort inside it leaves that instance in an unknown state, so
  // it is never used again: the call throws, and a fresh instance takes its place.
  #call(fn) {
    if (this.#broken) throw new Error(this.#broken);
    if (this.#disposed) throw new Error('the detector was disposed');
    try {
      return fn(this.#x);
    } catch (e) {
      if (e instanceof CoreAbort || e instanceof WebAssembly.RuntimeError) {
        const restarted = this.#restartNow(e.message);
        throw new Error(restarted
          ? `the detector core failed on this input (${e.message}); it was restarted, and other inputs are not affected`
          : this.#broken, { cause: e });
      }
      throw e;
    }
  }

  /** Classifies one encoded image (JPEG, PNG, BMP or GIF bytes). Throws an Error with the core's
   *  message on bad input. options.cam: 'gradcam', 'gradcampp' or false (default). options.input:
   *  also return result.input, the normalised 3x32x32 floats (CHW) the model saw, e.g. to feed
   *  another engine the same tensor. */
  classify(bytes, { cam = false, input = false } = {}) {
    const data = asBytes(bytes);
    if (!data) throw new TypeError('classify: expected the image bytes (ArrayBuffer or Uint8Array)');
    let method = -1;
    if (cam) {
      if (!(cam in CAM_METHODS)) throw new Error(`unknown CAM method "${cam}" (gradcam or gradcampp)`);
      method = CAM_METHODS[cam];
    }
    return this.#call((x) => {
      // Same message as the core's own check, but before the copy: linear memory never shrinks.
      const limit = x.cfw_max_image_bytes();
      if (data.length > limit)
        throw new Error(`file is ${data.length} bytes, over the limit of ${limit} bytes (${limit / 1048576} MiB)`);
      const p = this.#copyIn(data);
      let rc;
      try {
        rc = x.cfw_classify(this.#h, p, data.length);
      } finally {
        x.cfw_free(p);
      }
      if (rc) throw new Error(this.#lastError());
      const label = x.cfw_label(this.#h) ? 'FAKE' : 'REAL';
      const result = { label, pFake: x.cfw_p_fake(this.#h), width: x.cfw_width(this.#h), height: x.cfw_height(this.#h),
        cam: null };
      if (input) result.input = new Float32Array(this.#mem, x.cfw_input(this.#h), INPUT_FLOATS).slice();
      if (method >= 0) {
        if (x.cfw_explain(this.#h, method, -1, this.#cam)) throw new Error(this.#lastError());
        result.cam = new Float32Array(this.#mem, this.#cam, CAM_FLOATS).slice();
      }
      return result;
    });
  }

  /** Classifies n images already normalised as the model expects (inputs: n*3*32*32 floats, CHW
   *  each, e.g. from classify(..., { input: true })) in one batched forward pass, n in 1..1024:
   *  { pFake: Float32Array(n), score: Float32Array(n) }. The last classified image and its
   *  heatmap state are left as they were. */
  predict(inputs, n = inputs.length / INPUT_FLOATS) {
    if (!(inputs instanceof Float32Array)) throw new TypeError('predict: expected a Float32Array of normalised inputs');
    if (!Number.isInteger(n) || n < 1 || inputs.length !== n * INPUT_FLOATS)
      throw new Error(`predict: expected n * ${INPUT_FLOATS} floats for n images, got ${inputs.length}`);
    return this.#call((x) => {
      const bytes = inputs.length * 4 + 8 * n;
      const p = x.cfw_alloc(bytes);
      if (!p) throw new Error(`out of memory (${bytes} bytes)`);
      try {
        new Float32Array(this.#mem, p, inputs.length).set(inputs);
        const pOut = p + inputs.length * 4, sOut = pOut + 4 * n;
        if (x.cfw_predict(this.#h, p, n, pOut, sOut)) throw new Error(this.#lastError());
        return { pFake: new Float32Array(this.#mem, pOut, n).slice(), score: new Float32Array(this.#mem, sOut, n).slice() };
      } finally {
        x.cfw_free(p);
      }
    });
  }

  /** Draws cam (32*32 floats, from classify) over the last classified image's centre square:
   *  { width: side, height: side, data: Uint8ClampedArray(side*side*4) }. cam null: the image alone. */
  render(cam, { side = 256, colormap = 'turbo', alpha = 0.5 } = {}) {
    if (!(colormap in COLORMAPS)) throw new Error(`unknown colour map "${colormap}" (turbo, jet or viridis)`);
    if (!Number.isInteger(side) || side < 1 || side > 2048) throw new Error(`overlay size ${side} outside 1..2048`);
    if (!(alpha >= 0 && alpha <= 1)) throw new Error('alpha must be in [0, 1]');
    if (cam != null && cam.length !== CAM_FLOATS) throw new Error(`cam must hold ${CAM_FLOATS} values (32 x 32)`);
    return this.#call((x) => {
      const camView = new Float32Array(this.#mem, this.#cam, CAM_FLOATS);
      if (cam == null) {
        camView.fill(0);
        alpha = 0;
      } else camView.set(cam);
      const n = side * side * 4;
      const out = x.cfw_alloc(n);
      if (!out) throw new Error(`out of memory (${n} bytes)`);
      try {
        if (x.cfw_render(this.#h, this.#cam, side, COLORMAPS[colormap], alpha, out)) throw new Error(this.#lastError());
        return { width: side, height: side, data: new Uint8ClampedArray(this.#mem.slice(out, out + n)) };
      } finally {
        x.cfw_free(out);
      }
    });
  }

  /** The weight file's metadata as an object of strings (spec, classes, threshold, temperature, ...). */
  info() {
    return this.#call((x) => {
      const meta = {};
      const n = x.cfw_meta_count(this.#h);
      for (let i = 0; i < n; i++) meta[this.#string(x.cfw_meta_key(this.#h, i))] = this.#string(x.cfw_meta_value(this.#h, i));
      return meta;
    });
  }

  /** Bytes of the module's linear memory (it only ever grows; for leak checks). */
  get memoryBytes() { return this.#x.memory.buffer.byteLength; }

  /** Releases the detector; later calls throw. */
  dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    if (!this.#h) return;
    this.#x.cfw_close(this.#h);
    this.#x.cfw_free(this.#cam);
    this.#h = 0;
    this.#cam = 0;
  }
}
