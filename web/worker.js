// worker.js - runs the detector off the page's main thread (a module Web Worker).
//
// page -> worker  { type: 'init', wasm, weights, weightsName, bytes? }   (URLs; bytes: { wasm, weights },
//                                                 ArrayBuffers the page fetched already, boot.js)
//                 { type: 'classify', id, file, method, colormap, previewSide, hash, verify }   (file: a Blob)
// worker -> page  { type: 'ready', info, simd, maxImageBytes, weights: { file, bytes, sha256 } }
//                 { type: 'fatal', message }
//                 { type: 'verdict', id, result, decoder, format, sha256, camMethod, ms }   as soon as
//                                                 the core has judged the file, before its image layers
//                 { type: 'result', id, result, decoder, format, sha256, camMethod, ms,
//                   preview, heat, base, seen }  |  { type: 'result', id, error, provenance, sha256 }
// result is detector.js's classification without its heatmap floats, with the file's provenance
// (what its metadata declares; verify: its Content Credentials checked first, see c2pa.js); a file
// that cannot be analysed still reports the provenance read from it (or null). preview is the whole image
// (an ImageBitmap at most previewSide pixels a side), heat the colour-mapped heatmap over the
// analysed region and seen the model's input as RGBA ({ width, height, data }); base is the analysed
// region as the core draws it, sent only when the browser could not draw the whole image.
//
// Files the core decodes (JPEG, PNG, BMP, GIF) go to it as bytes; others (WebP, AVIF, HEIC where this
// browser decodes them) are decoded here with createImageBitmap and handed over as pixels.
//
// An image that makes the core trap gets an error result like any bad file: detector.js replaces the
// trapped instance with a fresh one, so the next image is judged as usual (the page starts a new
// worker should the worker itself die).
//
// The modules are imported dynamically, not statically: static imports would hold every message
// until all of them had loaded, one round trip after another, and only then would the model's bytes
// be asked for. Now the init message starts the downloads of the module and the weights at once,
// while the modules load (docs/performance.md, "Time to first verdict").
let loadDetector, bmpHeader, coreFormat, formatName, inputToRgba, rgbaToBmp, sha256Hex;
const modulesLoaded = Promise.all([import('./detector.js'), import('./pixels.js')])
  .then(([detectorJs, pixelsJs]) => {
    ({ loadDetector } = detectorJs);
    ({ bmpHeader, coreFormat, formatName, inputToRgba, rgbaToBmp, sha256Hex } = pixelsJs);
  });

let detector = null;
let info = null;
let maxImageBytes = null;
let failure = 'the model is not loaded yet';
let chain = Promise.resolve();

// Messages are handled strictly one after another, even while the model is still loading. A task can
// come before the init message: boot.js sends init once it has fetched the model's bytes, and the pool
// may hand the first task to this worker before that; such tasks wait for the init.
let initialised = false;
const beforeInit = [];
self.onmessage = (e) => {
  const msg = e.data;
  if (msg && msg.type === 'init') {
    initialised = true;
    enqueue(msg);
    for (const waiting of beforeInit.splice(0)) enqueue(waiting);
  } else if (!initialised) {
    beforeInit.push(msg);
  } else {
    enqueue(msg);
  }
};

function enqueue(msg) {
  // the model's bytes are asked for at once; everything else waits for the modules
  const bytes = msg && msg.type === 'init' ? fetchModel(msg) : null;
  chain = chain.then(() => handle(msg, bytes)).catch((err) => {
    self.postMessage({ type: 'fatal', message: `worker: ${err && err.message ? err.message : err}` });
  });
}

async function fetchBytes(url, what) {
  let res;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`${what}: cannot fetch ${url}: ${e.message}`);
  }
  if (!res.ok) throw new Error(`${what}: cannot fetch ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

// The bytes come with the message when the page fetched them (boot.js), else from the URLs.
function fetchModel(msg) {
  const both = msg.bytes ? Promise.resolve([new Uint8Array(msg.bytes.wasm), new Uint8Array(msg.bytes.weights)])
    : Promise.all([fetchBytes(msg.wasm, 'cifake.wasm'), fetchBytes(msg.weights, 'weights')]);
  both.catch(() => {}); // reported when init is handled
  return both;
}

async function handle(msg, bytes) {
  await modulesLoaded;
  if (msg.type === 'init') {
    try {
      const [wasm, weights] = await bytes;
      const sha256 = sha256Hex(weights); // hashed while the module compiles
      detector = await loadDetector({ wasm, weights });
      info = detector.info();
      maxImageBytes = detector.maxImageBytes;
      self.postMessage({
        type: 'ready', info, simd: detector.simd, maxImageBytes,
        weights: { file: msg.weightsName || 'cifake.bin', bytes: weights.length, sha256: await sha256 },
      });
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
    const out = await classify(msg, (verdict) => self.postMessage({ type: 'verdict', id, ...verdict }));
    const transfer = [out.preview, out.heat && out.heat.data.buffer, out.base && out.base.data.buffer,
      out.seen && out.seen.data.buffer].filter(Boolean);
    self.postMessage({ type: 'result', id, ...out }, transfer);
  } catch (err) {
    // a file that failed is still identified by its bytes
    const sha256 = msg.hash ? await hashFile(msg.file) : null;
    self.postMessage({ type: 'result', id, error: err.message, provenance: err.provenance || null, sha256 });
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

async function hashFile(file) {
  try {
    return await sha256Hex(new Uint8Array(await file.arrayBuffer()));
  } catch {
    return null; // unreadable (e.g. removed from the disk meanwhile): no hash rather than a wrong one
  }
}

// The core's own size limits for w x h pixels, without a second copy of them here: a BMP header
// declaring that size is refused with the core's message when it is too large.
function checkPixelLimits(width, height) {
  try {
    detector.classify(bmpHeader(width, height));
  } catch (err) {
    if (/over the limit/.test(err.message)) throw err;
  }
}

function pixelsOf(bitmap) {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  return ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
}

// onVerdict(verdict) is called once the core has judged the file: the page shows the verdict while
// the heatmap and the preview are made (docs/performance.md, "Time to first verdict").
async function classify(msg, onVerdict) {
  const t0 = performance.now();
  const { file } = msg;
  if (maxImageBytes !== null && file.size > maxImageBytes)
    throw new Error(`file is ${file.size} bytes, over the limit of ${maxImageBytes} bytes (${maxImageBytes / 1048576} MiB)`);
  if (file.size === 0) throw new Error('empty file (0 bytes)');
  const bytes = new Uint8Array(await file.arrayBuffer());
  const sha256 = msg.hash ? await sha256Hex(bytes) : null;
  const format = formatName(bytes);
  // Content Credentials are checked before the verdict, whose rules depend on the check; a re-run
  // for other heatmap settings keeps the first run's verdict and needs no check
  const c2pa = msg.verify && detector.verifyC2pa ? await detector.verifyC2pa(bytes) : null;
  const opts = { input: true, c2pa };
  // the browser decodes the preview on its own threads while the core judges the image (the core
  // ignores EXIF orientation: the preview shows what it saw)
  const early = createImageBitmap(file, { imageOrientation: 'none' }).catch(() => null);
  let r, decoder = 'core', bitmap = null;
  try {
    r = detector.classify(bytes, opts);
  } catch (coreErr) {
    early.then((b) => b && b.close());
    if (coreFormat(bytes)) throw coreErr; // a broken JPEG/PNG/BMP/GIF: the core's message says why
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      throw Object.assign(new Error(`${coreErr.message}${format ? '; this browser cannot decode it either' : ''}`),
        { provenance: coreErr.provenance });
    }
    checkPixelLimits(bitmap.width, bitmap.height);
    const rgba = pixelsOf(bitmap);
    r = typeof detector.classifyPixels === 'function'
      ? detector.classifyPixels(rgba, bitmap.width, bitmap.height, { ...opts, file: bytes })
      : detector.classify(rgbaToBmp(rgba, bitmap.width, bitmap.height), opts);
    decoder = 'browser';
  }
  const ms = performance.now() - t0;
  const { input, ...result } = r;
  // only pixels a thumbnail model judged have a heatmap (an image out of scope has a guess, not a
  // verdict; a patch model's map is its patch scores)
  const mapped = !!msg.method && (r.scope === 'judged' || r.scope === 'weak-evidence') && r.model?.view === 'thumbnail';
  const verdict = { result, decoder, format, sha256, camMethod: mapped ? msg.method : null, ms };
  onVerdict(verdict);
  const cam = mapped ? detector.explain(msg.method) : null; // while the browser decodes the preview
  const region = r.region; // the core's analysed region (cfw_geometry): the crop rule is the core's alone

  // the whole image, scaled to fit previewSide
  // (small images enlarged by a whole factor to about 256 pixels, drawn as blocks)
  const long = Math.max(r.width, r.height);
  const scale = long >= 256 ? Math.min(1, msg.previewSide / long) : Math.floor(256 / long);
  const pw = Math.max(1, Math.round(r.width * scale)), ph = Math.max(1, Math.round(r.height * scale));
  let preview = null;
  const decoded = bitmap || await early;
  try {
    /** @type {ImageBitmapOptions} */
    const opt = { resizeWidth: pw, resizeHeight: ph, resizeQuality: scale < 1 ? 'medium' : scale > 1 ? 'pixelated' : 'high' };
    if (decoded) preview = await createImageBitmap(decoded, opt);
  } catch {
    preview = null;
  }
  if (decoded) decoded.close();

  // the heatmap over the analysed region, about as many pixels as the region has in the preview
  const side = Math.max(32, Math.min(512, Math.round(region.width * (preview ? scale : 1)), preview ? 512 : 384));
  let heat = null, base = null;
  if (cam) heat = detector.render(cam, { side, colormap: msg.colormap, alpha: 1 });
  if (!preview && r.model?.view !== 'patches') base = detector.render(null, { side });
  const seen = input ? inputToRgba(input, info) : null;
  return { ...verdict, preview, heat, base, seen };
}
