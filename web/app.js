// app.js - the cifake page: intake (drop, pick, folder, paste), a pool of detector workers, one card
// per image, a sortable results table and exports. Images are read locally and handed to the
// worker(s) in this page; nothing is uploaded.

const MAX_BYTES = 64 * 1024 * 1024; // the core's limit on encoded bytes (src/image.h)
const IMAGE_NAME = /\.(jpe?g|jfif|pjpeg|pjp|png|bmp|dib|gif)$/i;
const LAYER_CACHE = 16; // cards that keep their two image layers for instant opacity changes
const WORKER_RESTARTS = 8; // a worker that dies after loading the model is replaced this often, per slot

const $ = (sel, root = document) => root.querySelector(sel);
const el = {
  banner: $('#banner'), dropzone: $('#dropzone'), fileInput: $('#file-input'), folderInput: $('#folder-input'),
  pickFiles: $('#pick-files'), pickFolder: $('#pick-folder'), method: $('#default-method'),
  colormap: $('#default-colormap'), alpha: $('#default-alpha'), clear: $('#clear'), progress: $('#progress'),
  progressBar: $('#progress-bar'), progressText: $('#progress-text'), status: $('#status'),
  modelStatus: $('#model-status'), results: $('#results'), tools: $('#results-tools'), empty: $('#empty'),
  tableWrap: $('#table-wrap'), table: $('#table'), tbody: $('#table tbody'), cards: $('#cards'),
  exportCsv: $('#export-csv'), exportJson: $('#export-json'), template: $('#card-template'),
};

const items = [];
let nextIndex = 1;
let modelInfo = null;
let threshold = 0.5;
let sort = { key: 'index', dir: 1 };
const layerCache = [];
const batch = { total: 0, done: 0 };

// ---------------------------------------------------------------- worker pool

// An image that makes the detector core trap gets an error like any bad file: the worker's detector
// replaces the trapped WebAssembly instance with a fresh one. Should a worker itself die after it had
// loaded the model, a new worker takes its slot; queued images wait for it, nothing is lost.
class Pool {
  constructor(size) {
    this.slots = [];
    this.queue = [];
    this.nextId = 1;
    this.fatal = null;
    this.wasm = new URL('cifake.wasm', location.href).href;
    this.weights = new URL('cifake.bin', location.href).href;
    for (let i = 0; i < size; i++) {
      const slot = { worker: null, ready: false, busy: false, dead: false, task: null, restarts: 0 };
      if (this.#spawn(slot)) this.slots.push(slot);
    }
  }

  #spawn(slot) {
    let worker;
    try {
      worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    } catch (err) {
      this.#dead(slot, `cannot start a worker: ${err.message}`);
      return false;
    }
    slot.worker = worker;
    slot.ready = false;
    // messages from a worker already replaced are ignored
    worker.onmessage = (e) => { if (slot.worker === worker) this.#onMessage(slot, e.data); };
    worker.onerror = (e) => {
      e.preventDefault();
      if (slot.worker === worker) this.#dead(slot, e.message || 'the worker stopped');
    };
    worker.postMessage({ type: 'init', wasm: this.wasm, weights: this.weights });
    return true;
  }

  // Resolves with the worker's result ({ error } on failure). Urgent tasks (user changes) go first;
  // a newer task for the same item replaces a queued one.
  run(item, urgent = false) {
    return new Promise((resolve) => {
      if (this.fatal) return resolve({ error: this.fatal });
      const old = this.queue.findIndex((t) => t.item === item);
      if (old >= 0) this.queue.splice(old, 1)[0].resolve({ superseded: true });
      const task = { id: this.nextId++, item, method: item.method, colormap: item.colormap, resolve };
      if (urgent) this.queue.unshift(task);
      else this.queue.push(task);
      this.#pump();
    });
  }

  cancel(item) {
    this.queue = this.queue.filter((t) => {
      if (t.item !== item) return true;
      t.resolve({ superseded: true });
      return false;
    });
  }

  get pending() { return this.queue.length + this.slots.filter((s) => s.busy).length; }

  #pump() {
    for (const slot of this.slots) {
      if (!slot.ready || slot.busy || slot.dead || !this.queue.length) continue;
      const task = this.queue.shift();
      slot.busy = true;
      slot.task = task;
      task.item.file.arrayBuffer().then(
        (bytes) => slot.worker.postMessage(
          { type: 'classify', id: task.id, bytes, method: task.method, colormap: task.colormap }, [bytes]),
        (err) => this.#finish(slot, { error: `cannot read the file: ${err.message}` }));
    }
  }

  #finish(slot, result) {
    const task = slot.task;
    slot.task = null;
    slot.busy = false;
    if (task) task.resolve(result);
    this.#pump();
  }

  #onMessage(slot, msg) {
    if (msg.type === 'ready') {
      slot.ready = true;
      onModelReady(msg.info, msg.simd);
      this.#pump();
    } else if (msg.type === 'fatal') {
      this.#dead(slot, msg.message);
    } else if (msg.type === 'result' && slot.task && msg.id === slot.task.id) {
      this.#finish(slot, { ...msg, method: slot.task.method, colormap: slot.task.colormap });
    }
  }

  #dead(slot, message) {
    if (slot.dead) return;
    const wasReady = slot.ready;
    slot.ready = false; // nothing more is sent to this worker
    if (slot.worker) slot.worker.terminate();
    slot.worker = null;
    if (wasReady && slot.restarts < WORKER_RESTARTS) {
      slot.restarts++;
      if (slot.task) this.#finish(slot, { error: `${message}; the detector was restarted for the next images` });
      this.#spawn(slot); // if even that fails, it marks the slot dead itself
      return;
    }
    slot.dead = true;
    if (slot.task) this.#finish(slot, { error: message });
    if (this.slots.every((s) => s.dead) || !this.slots.length) {
      this.fatal = `the model could not be loaded: ${message}`;
      onModelFailed(this.fatal);
      for (const t of this.queue.splice(0)) t.resolve({ error: this.fatal });
    } else {
      this.#pump();
    }
  }
}

const poolSize = Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 2) - 1));
const pool = new Pool(poolSize);

// ---------------------------------------------------------------- model info

function onModelReady(info, simd) {
  if (modelInfo) return;
  modelInfo = info;
  const t = Number(info.threshold);
  if (Number.isFinite(t)) threshold = t;
  const num = (key) => {
    const v = Number(info[key]);
    return info[key] !== undefined && info[key] !== '' && Number.isFinite(v) ? v : null;
  };
  const acc = num('test_accuracy');
  const auroc = num('test_auroc');
  const accText = acc === null ? 'not recorded' : `${(acc <= 1 ? acc * 100 : acc).toFixed(2)} %`;
  const aurocText = auroc === null ? 'not recorded' : auroc.toFixed(4);
  $('#m-accuracy').textContent = $('#n-accuracy').textContent = accText;
  $('#m-auroc').textContent = $('#n-auroc').textContent = aurocText;
  $('#m-threshold').textContent = `P(fake) ≥ ${threshold.toFixed(3)}`;
  $('#m-date').textContent = info.date ? info.date.slice(0, 10) : 'not recorded';
  const list = $('#meta-list');
  list.replaceChildren();
  for (const [k, v] of Object.entries(info)) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    list.append(dt, dd);
  }
  el.modelStatus.textContent = `Model ready (${simd === 'wasm-simd128' ? 'WebAssembly SIMD' : simd}).`;
  document.documentElement.dataset.model = 'ready';
  for (const item of items) if (item.status === 'done') updateVerdict(item); // threshold marker
}

function onModelFailed(message) {
  el.banner.textContent = `${message}. If you run the page yourself, use \`make serve\`: it builds cifake.wasm and copies weights/cifake.bin next to index.html.`;
  el.banner.hidden = false;
  el.modelStatus.textContent = 'The model could not be loaded.';
  document.documentElement.dataset.model = 'failed';
  for (const m of ['#m-accuracy', '#m-auroc', '#m-threshold', '#m-date', '#n-accuracy', '#n-auroc']) $(m).textContent = 'unavailable';
}

// ---------------------------------------------------------------- intake

function isImageName(file) {
  return IMAGE_NAME.test(file.name) || /^image\//.test(file.type);
}

let pasteCount = 0;

function addFiles(files, { filter = false } = {}) {
  announce('');
  let list = [...files];
  let skipped = 0;
  if (filter) {
    const images = list.filter(isImageName);
    skipped = list.length - images.length;
    list = images;
  }
  if (!list.length) {
    if (skipped) announce(`No images found (${skipped} other ${skipped === 1 ? 'file' : 'files'} skipped).`);
    return;
  }
  if (pool.pending === 0) {
    batch.total = 0;
    batch.done = 0;
  }
  const frag = document.createDocumentFragment();
  const rows = document.createDocumentFragment();
  const added = [];
  for (const file of list) {
    const item = makeItem(file);
    items.push(item);
    added.push(item);
    frag.append(item.card);
    rows.append(item.row);
  }
  el.cards.prepend(frag); // newest batch first
  el.tbody.append(rows);
  batch.total += added.length;
  if (skipped) announce(`${skipped} ${skipped === 1 ? 'file that is not an image was' : 'files that are not images were'} skipped.`);
  refreshChrome();
  for (const item of added) analyse(item);
}

function makeItem(file) {
  const item = {
    index: nextIndex++, file, name: file.name || 'image', path: file.webkitRelativePath || file.name || '',
    status: 'queued', label: null, pFake: null, width: null, height: null, error: null, ms: null, side: 256,
    method: el.method.value, colormap: el.colormap.value, alpha: Number(el.alpha.value) / 100, showHeat: true,
    layers: null, version: 0, url: URL.createObjectURL(file), removed: false,
  };
  buildCard(item);
  buildRow(item);
  return item;
}

async function analyse(item, urgent = false) {
  const version = ++item.version;
  const first = item.status === 'queued';
  if (!first) item.card.classList.add('busy');
  if (first && item.file.size > MAX_BYTES) {
    finishFirst(item, { error: `file is ${(item.file.size / 1048576).toFixed(1)} MB, over the limit of 64 MB` });
    return;
  }
  if (first && item.file.size === 0) {
    finishFirst(item, { error: 'empty file (0 bytes)' });
    return;
  }
  if (first) setStatus(item, 'working');
  const r = await pool.run(item, urgent);
  if (r.superseded || item.removed) return;
  if (first) {
    finishFirst(item, r);
    return;
  }
  // layers do not depend on the opacity: a result for the current method and colours is good even
  // if the user moved the slider again meanwhile
  if (!r.error && r.method === item.method && r.colormap === item.colormap) applyLayers(item, r);
  if (version === item.version) item.card.classList.remove('busy');
}

function finishFirst(item, r) {
  batch.done++;
  if (r.error) {
    item.status = 'error';
    item.error = r.error;
    setStatus(item, 'error');
  } else {
    Object.assign(item, { status: 'done', label: r.label, pFake: r.pFake, width: r.width, height: r.height, ms: r.ms });
    setStatus(item, 'done');
    applyLayers(item, r);
  }
  refreshChrome();
}

// ---------------------------------------------------------------- cards

function buildCard(item) {
  const card = el.template.content.firstElementChild.cloneNode(true);
  item.card = card;
  card.dataset.id = String(item.index);
  card.dataset.name = item.name;
  const nameEl = $('.name', card);
  nameEl.textContent = item.name;
  nameEl.title = item.path || item.name;
  nameEl.id = `card-${item.index}-name`;
  card.setAttribute('aria-labelledby', nameEl.id);
  $('.dims', card).textContent = formatBytes(item.file.size);
  const thumb = $('.thumb', card);
  thumb.src = item.url;
  thumb.addEventListener('error', () => thumb.classList.add('broken'), { once: true });

  const alpha = $('.alpha', card);
  alpha.value = String(Math.round(item.alpha * 100));
  alpha.setAttribute('aria-label', `Heatmap opacity for ${item.name}`);
  alpha.addEventListener('input', () => {
    item.alpha = Number(alpha.value) / 100;
    if (!item.showHeat) setHeat(item, true);
    else redraw(item);
  });
  const method = $('.method', card);
  method.value = item.method;
  method.addEventListener('change', () => {
    item.method = method.value;
    analyse(item, true);
  });
  const colormap = $('.colormap', card);
  colormap.value = item.colormap;
  colormap.addEventListener('change', () => {
    item.colormap = colormap.value;
    analyse(item, true);
  });
  $('.toggle', card).addEventListener('click', () => setHeat(item, !item.showHeat));
}

function setHeat(item, on) {
  item.showHeat = on;
  const t = $('.toggle', item.card);
  t.setAttribute('aria-pressed', String(on));
  t.textContent = on ? 'Heatmap on' : 'Heatmap off';
  redraw(item);
}

function setStatus(item, status) {
  item.status = status;
  const card = item.card;
  card.dataset.state = status;
  if (status === 'working') {
    $('.verdict-label', card).textContent = 'Analysing…';
  } else if (status === 'error') {
    $('.verdict-label', card).textContent = 'Could not analyse';
    $('.verdict-p', card).textContent = '';
    const err = $('.error', card);
    err.textContent = item.error;
    err.hidden = false;
    card.dataset.error = item.error;
    $('.pbar', card).hidden = true;
  } else if (status === 'done') {
    card.dataset.label = item.label;
    card.dataset.pFake = item.pFake.toFixed(6);
    updateVerdict(item);
    $('.dims', card).textContent = `${item.width} × ${item.height} px · ${formatBytes(item.file.size)}`;
    const small = item.width <= 32 && item.height <= 32;
    const s = Math.min(item.width, item.height);
    $('.viz-caption', card).textContent = small
      ? 'What the model saw, enlarged from 32 × 32.'
      : `Judged on a 32 × 32 thumbnail of the centre ${s} × ${s} square.`;
    $('.viz', card).hidden = false;
    $('.card-controls', card).hidden = false;
  }
  if (batch.total <= 3 && (status === 'done' || status === 'error')) {
    announce(status === 'done'
      ? `${item.name}: ${item.label}, probability AI-generated ${(item.pFake * 100).toFixed(1)} %.`
      : `${item.name}: could not be analysed: ${item.error}.`);
  }
  updateRow(item);
}

function updateVerdict(item) {
  const card = item.card;
  const pct = item.pFake * 100;
  const label = $('.verdict-label', card);
  label.textContent = item.label;
  label.className = `verdict-label tag ${item.label === 'FAKE' ? 'fake' : 'real'}`;
  $('.verdict-p', card).textContent = `${item.label === 'FAKE' ? 'likely AI-generated' : 'likely a real photo'} · P(fake) ${pct.toFixed(1)} %`;
  $('.pbar-fill', card).style.width = `${pct.toFixed(2)}%`;
  $('.pbar-threshold', card).style.left = `${(threshold * 100).toFixed(2)}%`;
  $('.pbar', card).title = `P(fake) ${pct.toFixed(2)} % (FAKE from ${(threshold * 100).toFixed(1)} %)`;
}

function applyLayers(item, r) {
  item.side = r.side;
  item.layers = {
    base: new Uint8ClampedArray(r.base),
    heat: new Uint8ClampedArray(r.heat),
    method: item.method,
    colormap: item.colormap,
  };
  touchCache(item);
  draw(item);
}

function touchCache(item) {
  const i = layerCache.indexOf(item);
  if (i >= 0) layerCache.splice(i, 1);
  layerCache.push(item);
  while (layerCache.length > LAYER_CACHE) layerCache.shift().layers = null;
}

// Redraws after an opacity or before/after change: instant from the cached layers, else they are
// fetched again from the worker (cards far down a big batch keep only their drawn canvas).
function redraw(item) {
  if (item.status !== 'done') return;
  if (item.layers) {
    touchCache(item);
    draw(item);
  } else {
    analyse(item, true);
  }
}

function draw(item) {
  const { card, layers, side } = item;
  if (!layers) return;
  const canvas = $('.overlay', card);
  if (canvas.width !== side) canvas.width = canvas.height = side;
  const ctx = canvas.getContext('2d');
  const a = item.showHeat ? item.alpha : 0;
  const out = new ImageData(side, side);
  const o = out.data, b = layers.base, h = layers.heat;
  if (a === 0) o.set(b);
  else {
    // the same blend as the C core: (1 - a) * image + a * colour
    for (let k = 0; k < o.length; k += 4) {
      o[k] = b[k] + (h[k] - b[k]) * a;
      o[k + 1] = b[k + 1] + (h[k + 1] - b[k + 1]) * a;
      o[k + 2] = b[k + 2] + (h[k + 2] - b[k + 2]) * a;
      o[k + 3] = 255;
    }
  }
  ctx.putImageData(out, 0, 0);
  const methodName = layers.method === 'gradcampp' ? 'Grad-CAM++' : 'Grad-CAM';
  canvas.setAttribute('aria-label', a === 0
    ? `${item.name}: the centre square the model judged, without heatmap`
    : `${item.name}: ${methodName} heatmap (${layers.colormap}) of the regions behind the ${item.label} verdict`);
  $('.viz-tag', card).textContent = a === 0 ? 'Before' : `${methodName} · ${Math.round(a * 100)} %`;
}

// ---------------------------------------------------------------- table

function buildRow(item) {
  const tr = document.createElement('tr');
  tr.dataset.id = String(item.index);
  tr.innerHTML = '<td class="num"></td><td class="file"><button type="button" class="linklike"></button></td>' +
    '<td class="verdict-cell"></td><td class="num"></td><td class="num"></td><td class="status-cell"></td>';
  tr.cells[0].textContent = String(item.index);
  const btn = tr.cells[1].firstElementChild;
  btn.textContent = item.name;
  btn.title = `Show the card of ${item.path || item.name}`;
  btn.addEventListener('click', () => {
    item.card.scrollIntoView({ behavior: 'smooth', block: 'center' });
    item.card.focus({ preventScroll: true });
  });
  item.row = tr;
  updateRow(item);
}

function updateRow(item) {
  const c = item.row.cells;
  c[2].replaceChildren();
  if (item.label) {
    const tag = document.createElement('span');
    tag.className = `tag ${item.label === 'FAKE' ? 'fake' : 'real'}`;
    tag.textContent = item.label;
    c[2].append(tag);
  }
  c[3].textContent = item.pFake === null ? '' : item.pFake.toFixed(4);
  c[4].textContent = item.width === null ? '' : `${item.width}×${item.height}`;
  c[5].textContent = item.status === 'error' ? item.error : item.status === 'done' ? 'done' : item.status === 'working' ? 'analysing…' : 'queued';
  c[5].title = c[5].textContent;
  item.row.classList.toggle('row-error', item.status === 'error');
  scheduleSort();
}

const STATUS_ORDER = { done: 0, working: 1, queued: 2, error: 3 };
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function compare(a, b) {
  const k = sort.key;
  let d;
  if (k === 'name') d = collator.compare(a.name, b.name);
  else if (k === 'label') d = (a.label || '~').localeCompare(b.label || '~');
  else if (k === 'pFake') d = (a.pFake ?? -1) - (b.pFake ?? -1);
  else if (k === 'pixels') d = (a.width ?? -1) * (a.height ?? 1) - (b.width ?? -1) * (b.height ?? 1);
  else if (k === 'status') d = STATUS_ORDER[a.status] - STATUS_ORDER[b.status];
  else d = 0;
  return d * sort.dir || (a.index - b.index) * (k === 'index' ? sort.dir : 1);
}

function sortedItems() { return [...items].sort(compare); }

let sortTimer = 0;
function scheduleSort() {
  if (sort.key === 'index' && sort.dir === 1) return; // rows are appended in this order already
  if (!sortTimer) sortTimer = setTimeout(() => { sortTimer = 0; applySort(); }, 120);
}

function applySort() {
  const rows = sortedItems().map((i) => i.row);
  const current = [...el.tbody.rows];
  if (rows.length === current.length && rows.every((r, i) => r === current[i])) return;
  el.tbody.append(...rows);
}

for (const th of el.table.tHead.rows[0].cells) {
  th.querySelector('button').addEventListener('click', () => {
    const key = th.dataset.key;
    sort = { key, dir: sort.key === key ? -sort.dir : key === 'pFake' ? -1 : 1 };
    for (const other of el.table.tHead.rows[0].cells) other.removeAttribute('aria-sort');
    th.setAttribute('aria-sort', sort.dir === 1 ? 'ascending' : 'descending');
    applySort();
  });
}

// ---------------------------------------------------------------- progress, status, exports

function announce(text) {
  $('#message').textContent = text;
}

function summary() {
  const done = items.filter((i) => i.status === 'done');
  const fake = done.filter((i) => i.label === 'FAKE').length;
  const errors = items.filter((i) => i.status === 'error').length;
  return { done: done.length, fake, real: done.length - fake, errors };
}

let statusTimer = 0;
let lastStatus = 0;
function renderSummary() {
  const s = summary();
  $('#summary').textContent = items.length
    ? `${s.done} analysed: ${s.fake} FAKE, ${s.real} REAL${s.errors ? `, ${s.errors} could not be read` : ''}.`
    : '';
  lastStatus = performance.now();
}

function refreshChrome() {
  const any = items.length > 0;
  el.empty.hidden = any;
  el.tools.hidden = !any;
  el.tableWrap.hidden = items.length < 2;
  el.clear.disabled = !any;
  const running = batch.done < batch.total;
  el.progress.hidden = !(running && batch.total > 1);
  el.progressBar.max = Math.max(1, batch.total);
  el.progressBar.value = batch.done;
  el.progressText.textContent = `${batch.done} of ${batch.total} images analysed`;
  el.progressBar.setAttribute('aria-label', el.progressText.textContent);
  document.documentElement.dataset.busy = String(running);
  // the live region speaks at most twice a second during a batch, and always at the end
  clearTimeout(statusTimer);
  const wait = running ? Math.max(0, 500 - (performance.now() - lastStatus)) : 0;
  statusTimer = setTimeout(renderSummary, wait);
}

function exportRows() {
  return sortedItems().map((i) => ({
    index: i.index, name: i.name, path: i.path, label: i.label, p_fake: i.pFake === null ? null : Number(i.pFake.toFixed(6)),
    width: i.width, height: i.height, error: i.error,
  }));
}

function csvField(v) {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

el.exportCsv.addEventListener('click', () => {
  const rows = exportRows();
  const cols = ['index', 'name', 'path', 'label', 'p_fake', 'width', 'height', 'error'];
  const text = [cols.join(','), ...rows.map((r) => cols.map((c) => csvField(r[c])).join(','))].join('\r\n') + '\r\n';
  download('cifake-results.csv', 'text/csv', text);
});

el.exportJson.addEventListener('click', () => {
  const m = modelInfo || {};
  const model = {};
  for (const k of ['spec', 'classes', 'threshold', 'temperature', 'date', 'test_accuracy', 'test_auroc']) if (k in m) model[k] = m[k];
  const doc = { generated: new Date().toISOString(), model, results: exportRows() };
  download('cifake-results.json', 'application/json', JSON.stringify(doc, null, 2) + '\n');
});

el.clear.addEventListener('click', () => {
  for (const item of items) {
    item.removed = true;
    pool.cancel(item);
    URL.revokeObjectURL(item.url);
  }
  items.length = 0;
  layerCache.length = 0;
  batch.total = batch.done = 0;
  el.cards.replaceChildren();
  el.tbody.replaceChildren();
  announce('All images cleared.');
  refreshChrome();
  el.pickFiles.focus();
});

// ---------------------------------------------------------------- pickers, drop, paste

el.pickFiles.addEventListener('click', () => el.fileInput.click());
el.pickFolder.addEventListener('click', () => el.folderInput.click());
el.fileInput.addEventListener('change', () => {
  addFiles(el.fileInput.files);
  el.fileInput.value = '';
});
el.folderInput.addEventListener('change', () => {
  addFiles(el.folderInput.files, { filter: true });
  el.folderInput.value = '';
});

let dragDepth = 0;
const hasFiles = (e) => e.dataTransfer && [...e.dataTransfer.types].includes('Files');
window.addEventListener('dragenter', (e) => {
  if (!hasFiles(e)) return;
  e.preventDefault();
  dragDepth++;
  el.dropzone.classList.add('dragging');
});
window.addEventListener('dragover', (e) => {
  if (!hasFiles(e)) return;
  e.preventDefault();
  e.dataTransfer.dropEffect = 'copy';
});
window.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (!dragDepth) el.dropzone.classList.remove('dragging');
});
window.addEventListener('drop', (e) => {
  // dropped anywhere on the page: never let the browser open the file instead
  e.preventDefault();
  dragDepth = 0;
  el.dropzone.classList.remove('dragging');
  if (e.dataTransfer) filesFromDrop(e.dataTransfer).then(({ files, filter }) => addFiles(files, { filter }));
});

// Folders dropped in are walked (images only); plain files are taken as they are. The entries must be
// taken from the DataTransfer synchronously, inside the drop event.
function filesFromDrop(dt) {
  const entries = [...(dt.items || [])].filter((i) => i.kind === 'file')
    .map((i) => (typeof i.webkitGetAsEntry === 'function' ? i.webkitGetAsEntry() : null));
  const plain = [...dt.files];
  if (!entries.some((e) => e && e.isDirectory)) return Promise.resolve({ files: plain, filter: false });
  const out = [];
  const fileOf = (entry) => new Promise((resolve) => entry.file(resolve, () => resolve(null)));
  const readAll = async (dir) => {
    const reader = dir.createReader();
    const all = [];
    for (;;) {
      const batch = await new Promise((resolve) => reader.readEntries(resolve, () => resolve([])));
      if (!batch.length) return all;
      all.push(...batch);
    }
  };
  const walk = async (entry, top) => {
    if (!entry) return;
    if (entry.isFile) {
      const f = await fileOf(entry);
      if (f && (top || isImageName(f))) out.push(f);
    } else if (entry.isDirectory) {
      for (const child of await readAll(entry)) await walk(child, false);
    }
  };
  return (async () => {
    for (const entry of entries) await walk(entry, true);
    return { files: out, filter: false };
  })();
}

document.addEventListener('paste', (e) => {
  const files = [...(e.clipboardData ? e.clipboardData.items : [])]
    .filter((i) => i.kind === 'file').map((i) => i.getAsFile()).filter(Boolean);
  if (!files.length) return;
  e.preventDefault();
  addFiles(files.map((f) => {
    pasteCount++;
    const ext = (f.type.split('/')[1] || 'png').replace('jpeg', 'jpg');
    return new File([f], `pasted-${pasteCount}.${ext}`, { type: f.type, lastModified: Date.now() });
  }));
});

// ---------------------------------------------------------------- helpers

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1048576).toFixed(1)} MB`;
}

refreshChrome();
