// detector.js - the cifake WebAssembly detector as an ES module, the same file in the browser (page
// or Web Worker) and in Node 20.
//
//   import { loadDetector } from './detector.js';
//   const d = await loadDetector({ wasm: 'cifake.wasm', weights: 'cifake.bin' });
//   const r = d.classify(bytes, { cam: 'gradcam' });
//     // { label: 'REAL'|'FAKE'|'UNSURE', pFake, scope, reason, detail, reliability, model, region, patches,
//     //   width, height, cam, provenance, pixelLabel }
//   const r = await d.classifyAsync(bytes)              // the same, Content Credentials verified
//   d.provenance(bytes)                                 // what the file declares, without the pixels
//   d.classifyPixels(rgba, width, height)               // pixels the browser decoded (e.g. WebP)
//   d.classify(bytes, { input: true }).input           // also the normalised 3x32x32 model input
//   d.predict(float32Inputs, n)     // n normalised inputs in one batch, one view each: { pFake, score }
//   d.explain('gradcam')            // the last classified image's map, computed after its verdict
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
// array or a DataView); weights may be an array of them: the models are tried in that order and the
// first whose scope holds an image judges it. Everything runs locally: images never leave the process.
//
// A verdict is REAL, FAKE or UNSURE (a result, not an error): scope says why ('judged',
// 'too-small', 'out-of-scope', 'weak-evidence'), reason says it in plain words, detail in the model's
// terms with its numbers (as cifake-detect --json's reason and detail), reliability is the weight
// file's measured sentence about that model on this kind of image. pFake of an UNSURE image out of
// scope is the first model's guess, for information only.

const CAM_METHODS = { gradcam: 0, gradcampp: 1 };
const COLORMAPS = { turbo: 0, jet: 1, viridis: 2 };
const LABELS = ['REAL', 'FAKE', 'UNSURE'];
const SCOPES = ['judged', 'too-small', 'out-of-scope', 'weak-evidence'];
const VIEWS = ['thumbnail', 'patches'];
// cf_verified in src/provenance.h, by value
const VERIFIED = ['n/a', 'not-checked', 'valid', 'untrusted', 'expired', 'invalid'];
const NOT_VERIFIED_SYNC = 'not checked: classify() is synchronous; classifyAsync() verifies Content Credentials';

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

/** Its contract is detector.d.ts's (the type check holds this implementation to it).
 *  @param {import('./detector.js').LoadOptions} [options] @returns {Promise<import('./detector.js').Detector>} */
export async function loadDetector({ wasm = 'cifake.wasm', weights = 'cifake.bin' } = {}) {
  const sources = Array.isArray(weights) ? weights : [weights];
  if (!sources.length) throw new Error('weights: give at least one weight file');
  const [wasmBytes, ...weightBytes] = await Promise.all([loadBytes(wasm, 'cifake.wasm'),
    ...sources.map((w, i) => loadBytes(w, sources.length > 1 ? `weights[${i}]` : 'weights'))]);
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
const encoder = new TextEncoder();

function camMethod(cam) {
  if (!cam) return -1;
  if (!(cam in CAM_METHODS)) throw new Error(`unknown CAM method "${cam}" (gradcam or gradcampp)`);
  return CAM_METHODS[cam];
}

class Detector {
  #module;
  #weights;
  #x;
  #h = 0;
  #cam = 0; // camFloats floats kept for explain/render
  #camFloats = 0;
  #broken = null;
  #disposed = false;

  constructor(module, instance, weightFiles) {
    this.#module = module;
    this.#weights = weightFiles.map((w) => w.slice()); // kept for restarts: the caller may reuse its buffers
    this.#start(instance);
    /** Name of the vector instruction set the core was built for ("wasm-simd128"). */
    this.simd = this.#string(this.#x.cfw_simd());
    /** How many times a trap made the detector start a fresh instance of the core. */
    this.restarts = 0;
  }

  // Opens the weight files, in order, in an instance of the core (which must not have been used before).
  #start(instance) {
    const x = instance.exports;
    if (typeof x._initialize === 'function') x._initialize();
    this.#x = x;
    this.#h = 0;
    this.#cam = 0;
    this.#camFloats = 0;
    this.#weights.forEach((bytes, i) => {
      const p = this.#copyIn(bytes);
      let rc;
      try {
        if (i === 0) rc = (this.#h = x.cfw_open(p, bytes.length)) ? 0 : -1;
        else rc = x.cfw_add_model(this.#h, p, bytes.length);
      } finally {
        x.cfw_free(p);
      }
      if (rc) {
        const msg = this.#lastError();
        if (this.#h) x.cfw_close(this.#h);
        this.#h = 0;
        throw new Error(`${this.#weights.length > 1 ? `weights[${i}]` : 'weights'}: ${msg}`);
      }
    });
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

  // Side of the last Grad-CAM map (and of the first model's thumbnail input).
  get #side() { return this.#x.cfw_cam_side(this.#h); }

  #camBuffer(floats) {
    if (floats > this.#camFloats) {
      if (this.#cam) this.#x.cfw_free(this.#cam);
      this.#cam = this.#x.cfw_alloc(floats * 4);
      this.#camFloats = this.#cam ? floats : 0;
      if (!this.#cam) throw new Error('out of memory');
    }
    return this.#cam;
  }

  /** Classifies one encoded image (JPEG, PNG, BMP or GIF bytes). Throws an Error with the core's
   *  message on bad input; an image the detector cannot judge is a result with label 'UNSURE'.
   *  options.cam: 'gradcam', 'gradcampp' or false (default): the map of the thumbnail model that
   *  looked (null for patch models, whose result.patches is their map). options.input: also return
   *  result.input, the normalised 3xSxS floats (CHW) the first model saw, e.g. to feed another
   *  engine the same tensor. */
  classify(bytes, options = {}) {
    const data = asBytes(bytes);
    if (!data) throw new TypeError('classify: expected the image bytes (ArrayBuffer or Uint8Array)');
    const method = camMethod(options.cam);
    return this.#call((x) => {
      // Same message as the core's own check, but before the copy: linear memory never shrinks.
      const limit = x.cfw_max_image_bytes();
      if (data.length > limit)
        throw new Error(`file is ${data.length} bytes, over the limit of ${limit} bytes (${limit / 1048576} MiB)`);
      const p = this.#copyIn(data);
      let rc;
      try {
        rc = x.cfw_classify(this.#h, p, data.length);
        const error = rc ? this.#lastError() : null;
        const provenance = this.#provenance(x, p, data.length, null, 0, 0, options.c2pa);
        if (rc) throw Object.assign(new Error(error), { provenance });
        return this.#result(x, method, options.input, provenance);
      } finally {
        x.cfw_free(p);
      }
    });
  }

  /** classify, with the file's Content Credentials (if any) verified first (c2pa.js). Same options;
   *  a failure to verify is status 'not-checked' with the reason, never an error. */
  async classifyAsync(bytes, options = {}) {
    const data = asBytes(bytes);
    if (!data) throw new TypeError('classifyAsync: expected the image bytes (ArrayBuffer or Uint8Array)');
    const c2pa = options.c2pa || await this.verifyC2pa(data);
    return this.classify(data, { ...options, c2pa });
  }

  /** The verification of the file's Content Credentials ({ verified, signer, problem }), or null when
   *  it carries none. */
  async verifyC2pa(bytes) {
    const data = asBytes(bytes);
    if (!data) throw new TypeError('verifyC2pa: expected the file bytes (ArrayBuffer or Uint8Array)');
    const found = this.provenance(data);
    if (!found.signals.some((s) => s.kind === 'c2pa')) return null;
    let verify;
    try {
      ({ verifyC2pa: verify } = await import('./c2pa.js'));
    } catch (e) {
      return { verified: 'not-checked', signer: '', problem: `not checked: c2pa.js could not be loaded (${e.message})` };
    }
    return verify(data);
  }

  /** What a file declares about its origin (see provenance above), without classifying its pixels.
   *  options.rgba, width, height: pixels decoded elsewhere, for the stealth data in their alpha
   *  channel (PNGs the core decodes are looked at by the core itself). options.c2pa: a verification
   *  ({ verified, signer, problem }) to apply. */
  provenance(bytes, options = {}) {
    const data = asBytes(bytes);
    if (!data) throw new TypeError('provenance: expected the file bytes (ArrayBuffer or Uint8Array)');
    return this.#call((x) => {
      const limit = x.cfw_max_image_bytes();
      if (data.length > limit)
        throw new Error(`file is ${data.length} bytes, over the limit of ${limit} bytes (${limit / 1048576} MiB)`);
      const p = this.#copyIn(data);
      try {
        return this.#provenance(x, p, data.length, options.rgba, options.width, options.height, options.c2pa);
      } finally {
        x.cfw_free(p);
      }
    });
  }

  // Reads the provenance of the file at p (n bytes) into the handle, applies a C2PA verification
  // (or marks it not verified) and returns the JSON object. rgba: decoded pixels for the stealth
  // reader, or null.
  #provenance(x, p, n, rgba, width, height, c2pa) {
    let json;
    const pixels = rgba ? asBytes(rgba) : null;
    if (pixels && pixels.length !== width * height * 4) throw new Error('provenance: rgba must hold width * height * 4 bytes');
    const q = pixels ? this.#copyIn(pixels) : 0;
    try {
      json = x.cfw_provenance(this.#h, p, n, q, pixels ? width : 0, pixels ? height : 0);
    } finally {
      if (q) x.cfw_free(q);
    }
    if (!json) throw new Error(this.#lastError());
    let prov = JSON.parse(this.#string(json));
    if (prov.signals.some((s) => s.kind === 'c2pa')) {
      const v = c2pa || { verified: 'not-checked', signer: '', problem: NOT_VERIFIED_SYNC };
      const status = VERIFIED.indexOf(v.verified);
      if (status < 0) throw new Error(`unknown C2PA status "${v.verified}" (${VERIFIED.join(', ')})`);
      const strings = [v.signer || '', v.problem || ''].map((t) => this.#copyIn(encoder.encode(`${t}\0`)));
      try {
        if (x.cfw_provenance_set_c2pa_status(this.#h, status, strings[0], strings[1])) throw new Error(this.#lastError());
      } finally {
        strings.forEach((s) => x.cfw_free(s));
      }
      prov = JSON.parse(this.#string(x.cfw_provenance_json(this.#h)));
    }
    return prov;
  }

  /** Classifies pixels decoded elsewhere, e.g. by the browser for WebP or AVIF: rgba holds width *
   *  height * 4 bytes (ImageData.data; alpha is composited over white) or width * height * 3 (RGB).
   *  Same result and options as classify. */
  classifyPixels(pixels, width, height, options = {}) {
    const data = asBytes(pixels);
    if (!data) throw new TypeError('classifyPixels: expected the pixels (Uint8ClampedArray or Uint8Array)');
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
      throw new Error(`classifyPixels: bad image size ${width}x${height}`);
    const channels = data.length / (width * height);
    if (channels !== 3 && channels !== 4)
      throw new Error(`classifyPixels: ${data.length} bytes is not ${width}x${height} RGB or RGBA pixels`);
    const method = camMethod(options.cam);
    const file = options.file ? asBytes(options.file) : new Uint8Array(0);
    if (!file) throw new TypeError('classifyPixels: options.file must be the encoded file\'s bytes');
    return this.#call((x) => {
      const p = this.#copyIn(data);
      let rc;
      try {
        rc = x.cfw_classify_pixels(this.#h, p, width, height, channels);
      } finally {
        x.cfw_free(p);
      }
      if (rc) throw new Error(this.#lastError());
      const f = this.#copyIn(file);
      try {
        const provenance = this.#provenance(x, f, file.length, channels === 4 ? data : null, width, height, options.c2pa);
        return this.#result(x, method, options.input, provenance);
      } finally {
        x.cfw_free(f);
      }
    });
  }

  // The last classification as the documented result object, after the provenance rules.
  #result(x, method, input, provenance) {
    const h = this.#h;
    const pixelLabel = LABELS[x.cfw_label(h)];
    if (x.cfw_provenance_decide(h)) throw new Error(this.#lastError());
    const model = x.cfw_model(h);
    const geometry = this.#ints(7, (p) => x.cfw_geometry(h, p));
    const [rx, ry, rw, rh, patchSide, cols, rows] = geometry;
    const pFake = x.cfw_p_fake(h);
    const result = {
      label: LABELS[x.cfw_label(h)],
      pFake: Number.isNaN(pFake) ? null : pFake,
      scope: SCOPES[x.cfw_scope(h)],
      reason: this.#string(x.cfw_reason(h)) || null,
      detail: this.#string(x.cfw_detail(h)) || null,
      reliability: this.#string(x.cfw_reliability(h)) || null,
      model: model >= 0 ? { index: model, name: this.#meta(model).name || (model === 0 ? 'cifake' : `model ${model}`),
        view: VIEWS[x.cfw_view(h)] } : null,
      region: { x: rx, y: ry, width: rw, height: rh },
      patches: null,
      width: x.cfw_width(h), height: x.cfw_height(h),
      cam: null,
      provenance,
      pixelLabel,
    };
    if (patchSide) result.patches = this.#patchScores(x, patchSide, cols, rows);
    if (input && model === 0 && !patchSide) {
      const side = this.#side;
      result.input = new Float32Array(this.#mem, x.cfw_input(h), 3 * side * side).slice();
    }
    if (method >= 0) result.cam = this.#explainLast(x, method, model, patchSide);
    return result;
  }

  /** The heatmap of the last image classified (classify or classifyPixels), as options.cam would have
   *  given it with that call: after a verdict has been shown, without decoding or judging the image
   *  again. null where classify's cam would be null (patch models), and when the last call failed.
   *  @param {'gradcam'|'gradcampp'} cam */
  explain(cam = 'gradcam') {
    const method = camMethod(cam);
    if (method < 0) throw new Error('explain: expected a CAM method (gradcam or gradcampp)');
    return this.#call((x) => {
      const h = this.#h;
      return this.#explainLast(x, method, x.cfw_model(h), this.#ints(7, (p) => x.cfw_geometry(h, p))[4]);
    });
  }

  // The last classification's map (method >= 0) by its model (-1: none) and patch side (0: a thumbnail
  // model): the thumbnail model's, null for patch models.
  #explainLast(x, method, model, patchSide) {
    if (model < 0 || patchSide) return null;
    const side = this.#side, cam = this.#camBuffer(side * side);
    if (x.cfw_explain(this.#h, method, -1, cam)) throw new Error(this.#lastError());
    return new Float32Array(this.#mem, cam, side * side).slice();
  }

  #ints(n, fill) {
    const p = this.#x.cfw_alloc(4 * n);
    if (!p) throw new Error('out of memory');
    try {
      fill(p);
      return Array.from(new Int32Array(this.#mem, p, n));
    } finally {
      this.#x.cfw_free(p);
    }
  }

  #patchScores(x, side, cols, rows) {
    const n = cols * rows;
    const p = x.cfw_alloc(12 * n);
    if (!p) throw new Error(`out of memory (${12 * n} bytes)`);
    try {
      x.cfw_patches(this.#h, p, p + 4 * n, p + 8 * n, n);
      return { side, cols, rows, x: new Int32Array(this.#mem, p, n).slice(), y: new Int32Array(this.#mem, p + 4 * n, n).slice(),
        pFake: new Float32Array(this.#mem, p + 8 * n, n).slice() };
    } finally {
      x.cfw_free(p);
    }
  }

  /** Classifies n images already normalised as the first model expects (inputs: n*3*S*S floats,
   *  CHW each, S its input side, e.g. from classify(..., { input: true })) in one batched forward
   *  pass, n in 1..1024: { pFake: Float32Array(n), score: Float32Array(n) }. The last classified
   *  image and its heatmap state are left as they were. */
  predict(inputs, n) {
    if (!(inputs instanceof Float32Array)) throw new TypeError('predict: expected a Float32Array of normalised inputs');
    return this.#call((x) => {
      const floats = 3 * this.#side * this.#side;
      if (n === undefined) n = inputs.length / floats;
      if (!Number.isInteger(n) || n < 1 || inputs.length !== n * floats)
        throw new Error(`predict: expected n * ${floats} floats for n images, got ${inputs.length}`);
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

  /** Draws cam (S*S floats, from classify) over the square the thumbnail model analysed:
   *  { width: side, height: side, data: Uint8ClampedArray(side*side*4) }. cam null: the square alone. */
  render(cam, { side = 256, colormap = 'turbo', alpha = 0.5 } = {}) {
    if (!(colormap in COLORMAPS)) throw new Error(`unknown colour map "${colormap}" (turbo, jet or viridis)`);
    if (!Number.isInteger(side) || side < 1 || side > 2048) throw new Error(`overlay size ${side} outside 1..2048`);
    if (!(alpha >= 0 && alpha <= 1)) throw new Error('alpha must be in [0, 1]');
    return this.#call((x) => {
      const camSide = this.#side, floats = camSide * camSide;
      if (cam != null && cam.length !== floats) throw new Error(`cam must hold ${floats} values (${camSide} x ${camSide})`);
      const camPtr = this.#camBuffer(floats);
      const camView = new Float32Array(this.#mem, camPtr, floats);
      if (cam == null) {
        camView.fill(0);
        alpha = 0;
      } else camView.set(cam);
      const n = side * side * 4;
      const out = x.cfw_alloc(n);
      if (!out) throw new Error(`out of memory (${n} bytes)`);
      try {
        if (x.cfw_render(this.#h, camPtr, side, COLORMAPS[colormap], alpha, out)) throw new Error(this.#lastError());
        return { width: side, height: side, data: new Uint8ClampedArray(this.#mem.slice(out, out + n)) };
      } finally {
        x.cfw_free(out);
      }
    });
  }

  /** A weight file's metadata as an object of strings (spec, classes, threshold, temperature, view,
   *  scope and reliability, provenance...): model 0 (the first file) unless another index is given. */
  info(model = 0) {
    return this.#call(() => this.#meta(model));
  }

  /** Number of models, tried in order. */
  get modelCount() { return this.#call((x) => x.cfw_model_count(this.#h)); }

  #meta(model) {
    const x = this.#x, meta = {};
    const n = x.cfw_meta_count(this.#h, model);
    for (let i = 0; i < n; i++) meta[this.#string(x.cfw_meta_key(this.#h, model, i))] = this.#string(x.cfw_meta_value(this.#h, model, i));
    return meta;
  }

  /** The largest encoded image classify takes, in bytes (the core's limit). */
  get maxImageBytes() { return this.#call((x) => Number(x.cfw_max_image_bytes())); }

  /** Bytes of the module's linear memory (it only ever grows; for leak checks). */
  get memoryBytes() { return this.#x.memory.buffer.byteLength; }

  /** Releases the detector; later calls throw. */
  dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    if (!this.#h) return;
    this.#x.cfw_close(this.#h);
    if (this.#cam) this.#x.cfw_free(this.#cam);
    this.#h = 0;
    this.#cam = 0;
    this.#camFloats = 0;
  }
}
