// app.js - the cifake page: wires the store (store.js) to the worker pool (pool.js), the intake
// (intake.js), the cards (cards.js), the table (table.js), the exports (exports.js) and the live
// region (announce.js). Images are read locally and handed to the worker(s) in this page; nothing
// is uploaded.

import { Announcer } from './announce.js';
import { Cards } from './cards.js';
import { exportDocument, toCsv, toJson } from './exports.js';
import { formatCount, formatPFake, groupNumbers, plural } from './format.js';
import { bindIntake, isImageFile } from './intake.js';
import { META } from './meta-keys.js';
import { sortItems } from './order.js';
import { sha256Hex } from './pixels.js';
import { Pool } from './pool.js';
import { normaliseProvenance } from './provenance.js';
import { normaliseResult, verdictFigure } from './result.js';
import { Store } from './store.js';
import { Table } from './table.js';

const PREVIEW_SIDE = 640; // the whole image is drawn at most this many pixels a side

const $ = (sel, root = document) => root.querySelector(sel);
const el = {
  banner: $('#banner'), dropzone: $('#dropzone'), fileInput: $('#file-input'), folderInput: $('#folder-input'),
  pickFiles: $('#pick-files'), pickFolder: $('#pick-folder'), method: $('#default-method'),
  colormap: $('#default-colormap'), alpha: $('#default-alpha'), clear: $('#clear'), stop: $('#stop'),
  progress: $('#progress'), progressBar: $('#progress-bar'), progressText: $('#progress-text'),
  modelStatus: $('#model-status'), summary: $('#summary'), message: $('#message'), tools: $('#results-tools'),
  empty: $('#empty'), tableWrap: $('#table-wrap'), table: $('#table'), cards: $('#cards'),
  compact: $('#compact'), exportCsv: $('#export-csv'), exportJson: $('#export-json'), template: $('#card-template'),
};

const store = new Store({
  settings: { method: el.method.value, colormap: el.colormap.value, alpha: Number(el.alpha.value) / 100 },
});
const announcer = new Announcer({ speak: (text) => { el.message.textContent = groupNumbers(text); } });
const cards = new Cards({ container: el.cards, template: el.template, store, onChange: changeItem });
const table = new Table({ table: el.table, store, onShow: showCard });

// ---------------------------------------------------------------- worker pool and model

// boot.js (a classic script in the head) has started the first worker and defined its init message
const boot = window.cifakeBoot;
const pool = new Pool({
  size: Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 2) - 1)),
  createWorker: () => new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }),
  init: boot.init,
  adopt: boot,
});
pool.on('ready', (msg) => {
  if (store.model.state === 'ready') return;
  const t = Number(msg.info[META.threshold]);
  store.setModel({
    state: 'ready', info: msg.info, simd: msg.simd, threshold: Number.isFinite(t) ? t : 0.5,
    maxImageBytes: msg.maxImageBytes ?? null, weights: msg.weights || null,
  });
});
pool.on('fatal', (message) => store.setModel({ state: 'failed', error: message }));
pool.on('start', (index) => {
  const item = store.items.find((i) => i.index === index);
  if (item && item.status === 'queued') store.update(item, { status: 'working' });
});

store.on('model', (m) => {
  if (m.state === 'ready') showModel(m);
  else if (m.state === 'failed') showModelFailure(m.error);
});

function showModel({ info, simd, threshold, maxImageBytes }) {
  const figure = verdictFigure(info);
  $('#m-accuracy').textContent = $('#n-accuracy').textContent = figure ? figure.accuracy : 'not recorded';
  $('#m-coverage').textContent = $('#n-coverage').textContent = figure ? figure.coverage : 'not recorded';
  $('#m-threshold').textContent = `P(fake) ≥ ${threshold.toFixed(3)}`;
  $('#m-date').textContent = info[META.date] ? info[META.date].slice(0, 10) : 'not recorded';
  if (maxImageBytes) for (const span of document.querySelectorAll('.limit-bytes')) span.textContent = mebibytes(maxImageBytes);
  const list = $('#meta-list');
  list.replaceChildren();
  for (const [k, v] of Object.entries(info)) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    list.append(dt, dd);
  }
  el.modelStatus.textContent = 'Ready: images are checked here, on this device.';
  $('#m-engine').textContent = simd === 'wasm-simd128' ? 'WebAssembly with SIMD, in a Web Worker' : simd;
  document.documentElement.dataset.model = 'ready';
  for (const item of store.items) if (item.status === 'done') cards.update(item); // threshold marker
}

function showModelFailure(message) {
  el.banner.textContent = `${message}. If you run the page yourself, use \`make serve\`: it builds cifake.wasm and copies weights/cifake.bin next to index.html.`;
  el.banner.hidden = false;
  el.modelStatus.textContent = 'The model could not be loaded.';
  document.documentElement.dataset.model = 'failed';
  for (const m of ['#m-accuracy', '#m-coverage', '#m-threshold', '#m-date', '#n-accuracy', '#n-coverage']) $(m).textContent = 'unavailable';
}

const mebibytes = (n) => (n % 1048576 === 0 ? `${formatCount(n / 1048576)} MiB` : `${formatCount(n)} bytes`);

// ---------------------------------------------------------------- intake

bindIntake(el, { onFiles: addFiles, onRefused: (text) => announcer.say(text) });

function addFiles(files, { filter = false } = {}) {
  let list = files;
  let skipped = 0;
  if (filter) {
    list = files.filter(isImageFile);
    skipped = files.length - list.length;
  }
  const { added, duplicates } = store.addFiles(list);
  const notes = [];
  if (skipped) notes.push(`${plural(skipped, 'file')} that ${skipped === 1 ? 'is' : 'are'} not an image skipped.`);
  if (duplicates.length === 1) {
    const d = duplicates[0];
    notes.push(`${d.file.name} was already added (#${d.of.index}): not analysed again.`);
  } else if (duplicates.length) notes.push(`${plural(duplicates.length, 'file')} already added: not analysed again.`);
  if (!added.length && skipped && !duplicates.length) notes.splice(0, notes.length, `No images found (${plural(skipped, 'other file')} skipped).`);
  if (notes.length) announcer.say(notes.join(' '));
  for (const item of added) analyse(item);
  if (added.length) revealNewest(added);
}

// A phone shows the intake first: bring the newest card into view when it is off-screen, and again
// once it has its result, should the page above it have changed meanwhile.
let revealed = null;
function revealNewest(added) {
  const item = added[added.length - 1];
  if (!cards.card(item)) return;
  revealed = item;
  requestAnimationFrame(() => reveal(item, { smooth: !matchMedia('(prefers-reduced-motion: reduce)').matches }));
}

function reveal(item, { smooth }) {
  const card = cards.card(item);
  if (!card) return;
  const r = card.getBoundingClientRect();
  if (r.top >= 0 && r.top + Math.min(r.height, 160) <= window.innerHeight) return;
  card.scrollIntoView({ behavior: smooth ? 'smooth' : 'auto', block: 'start' });
}

store.on('items', ({ added }) => {
  for (const item of added) {
    compactCard(cards.add(item));
    table.add(item);
  }
  applyOrder();
  refreshChrome();
});

store.on('item', ({ item }) => {
  cards.update(item);
  if (item === revealed && item.status !== 'queued' && item.status !== 'working') {
    revealed = null;
    requestAnimationFrame(() => {
      const top = cards.card(item)?.getBoundingClientRect().top;
      if (top !== undefined && top < 0) reveal(item, { smooth: false }); // slipped above the screen
    });
  }
  table.update(item);
  scheduleOrder();
});

store.on('batch', (batch) => {
  refreshChrome();
  if (batch.ended) announceEnd(batch);
});

store.on('clear', ({ removed }) => {
  for (const item of removed) {
    cards.remove(item);
    table.remove(item);
  }
  refreshChrome();
});

store.on('sort', (sort) => {
  table.showSort(sort);
  applyOrder();
});

// ---------------------------------------------------------------- analysis

async function analyse(item, { urgent = false } = {}) {
  const first = item.status === 'queued';
  const limit = store.model.maxImageBytes;
  if (first && limit && item.size > limit) {
    finish(item, { error: `file is ${item.size} bytes, over the limit of ${limit} bytes (${mebibytes(limit)})`, sha256: await hashFile(item.file) });
    return;
  }
  if (first && item.size === 0) {
    finish(item, { error: 'empty file (0 bytes)', sha256: await hashFile(item.file) });
    return;
  }
  const card = cards.card(item);
  if (!first && card) card.classList.add('busy');
  const message = {
    type: 'classify', file: item.file, method: item.method, colormap: item.colormap, previewSide: PREVIEW_SIDE, hash: first,
    verify: first,
  };
  const version = store.nextVersion(item);
  // a first analysis shows its verdict as soon as the worker has it; the heatmap and the preview follow
  let shown = false;
  const showVerdict = (msg) => {
    if (msg.type !== 'verdict' || !store.items.includes(item)) return;
    shown = true;
    finish(item, msg);
  };
  const r = await pool.run(item.index, message, { urgent, onMessage: first ? showVerdict : null });
  if (!store.items.includes(item) || r.superseded) return;
  if (first && !shown) finish(item, r);
  if (r.error || r.cancelled) {
    if (shown) cards.setLayers(item, {}); // the verdict stands; its heatmap could not be made
  } else if (first || (r.camMethod === item.method && message.colormap === item.colormap)) {
    // layers do not depend on the opacity: a result for the current method and colours is good even
    // if the user moved the slider again meanwhile
    cards.setLayers(item, r);
  }
  if (!first && card && version === item.version) card.classList.remove('busy');
}

// A file refused before the worker reads it is still identified by its bytes in the export (up to
// HASH_MAX_BYTES: Web Crypto hashes from memory only, and a file of gigabytes must not fill it).
const HASH_MAX_BYTES = 256 * 1048576;
async function hashFile(file) {
  if (file.size > HASH_MAX_BYTES) return null;
  try {
    return await sha256Hex(new Uint8Array(await file.arrayBuffer()));
  } catch {
    return null;
  }
}

function finish(item, r) {
  if (r.cancelled) {
    store.update(item, { status: 'stopped', error: 'stopped before it was analysed' });
    return;
  }
  // (announced before the update that may end the batch, whose summary comes after it)
  if (r.error) {
    announcer.result(`${item.name}: could not be analysed: ${r.error}.`);
    store.update(item, { status: 'error', error: r.error, provenance: normaliseProvenance(r.provenance), sha256: r.sha256 || null });
    return;
  }
  const result = normaliseResult(r.result, store.model.info || {});
  announcer.result(`${item.name}: ${result.label}${result.pFake === null ? '' : `, P(fake) ${formatPFake(result.pFake)}`}` +
    `${(result.label === 'UNSURE' || result.byProvenance) && result.reason ? ` (${result.reason})` : ''}.`);
  store.update(item, {
    status: 'done', result, decoder: r.decoder, format: r.format, sha256: r.sha256, ms: r.ms, camMethod: r.camMethod,
    analysedAt: new Date().toISOString(),
  });
}

// A card's own control: opacity and the toggle redraw; method and colours ask the worker again.
function changeItem(item, patch, { rerun }) {
  store.update(item, patch);
  if (item.status !== 'done') return;
  if (rerun || !cards.hasLayers(item)) analyse(item, { urgent: true });
}

// The top controls apply to every image; layers made with other settings are asked for again.
function changeAll(patch, { final = true } = {}) {
  store.setSettings(patch);
  for (const item of store.items) {
    if (item.status !== 'done') continue;
    const layers = cards.layersMadeWith(item);
    const stale = layers
      ? (item.camMethod !== null && layers.method !== item.method) || layers.colormap !== item.colormap
      : final;
    if (stale) analyse(item);
  }
}
el.method.addEventListener('change', () => changeAll({ method: el.method.value }));
el.colormap.addEventListener('change', () => changeAll({ colormap: el.colormap.value }));
el.alpha.addEventListener('input', () => changeAll({ alpha: Number(el.alpha.value) / 100, showHeat: true }, { final: false }));
el.alpha.addEventListener('change', () => changeAll({ alpha: Number(el.alpha.value) / 100, showHeat: true }));

// Stop drops the queued images (they end the batch as "stopped", said when it ends); the images being
// analysed finish.
el.stop.addEventListener('click', () => {
  const n = pool.cancel();
  store.countStopped(n);
  if (!n) announcer.say('Nothing left to stop.');
});

el.clear.addEventListener('click', () => {
  pool.cancel();
  announcer.reset();
  store.clear();
  announcer.say('All images cleared.');
  el.pickFiles.focus();
});

function showCard(item) {
  const card = cards.card(item);
  setOpen(card, true); // in the compact list, the card asked for shows everything
  card.scrollIntoView({ behavior: 'smooth', block: 'center' });
  card.focus({ preventScroll: true });
}

// The compact list: a line or two per image instead of a full card (many images on a phone); a card
// opens and closes on a click on its head or verdict, or with Enter or Space once focused (each
// compact card is in the tab order and says whether it is open).
const compact = () => el.cards.classList.contains('compact');
function setOpen(card, open) {
  card.classList.toggle('open', open);
  if (compact()) card.setAttribute('aria-expanded', String(open));
}
function compactCard(card) {
  const on = compact();
  card.tabIndex = on ? 0 : -1;
  if (on) card.setAttribute('aria-expanded', String(card.classList.contains('open')));
  else {
    card.classList.remove('open');
    card.removeAttribute('aria-expanded');
  }
}
el.compact.addEventListener('click', () => {
  const on = !compact();
  el.cards.classList.toggle('compact', on);
  el.compact.setAttribute('aria-pressed', String(on));
  for (const card of el.cards.children) compactCard(card);
});
el.cards.addEventListener('click', (e) => {
  if (!compact()) return;
  const card = e.target.closest('.card');
  if (card && e.target.closest('.card-head, .verdict-row, .reason')) setOpen(card, !card.classList.contains('open'));
});
el.cards.addEventListener('keydown', (e) => {
  if (!compact() || !(e.key === 'Enter' || e.key === ' ') || !e.target.classList.contains('card')) return;
  e.preventDefault();
  setOpen(e.target, !e.target.classList.contains('open'));
});

// ---------------------------------------------------------------- order, progress, status

let orderTimer = 0;
function scheduleOrder() {
  if (!orderTimer) orderTimer = setTimeout(() => { orderTimer = 0; applyOrder(); }, 120);
}

function applyOrder() {
  const items = sortItems(store.items, store.sort);
  table.order(items);
  cards.order(items);
}

let statusTimer = 0;
let lastStatus = 0;

function renderSummary() {
  const s = store.summary();
  const parts = [`${formatCount(s.fake)} FAKE`, `${formatCount(s.real)} REAL`];
  if (s.unsure) parts.push(`${formatCount(s.unsure)} UNSURE`);
  el.summary.textContent = store.items.length
    ? `${formatCount(s.done)} analysed: ${parts.join(', ')}${s.errors ? `, ${formatCount(s.errors)} could not be read` : ''}` +
      `${s.stopped ? `, ${formatCount(s.stopped)} stopped` : ''}.`
    : '';
  lastStatus = performance.now();
}

function refreshChrome() {
  const any = store.items.length > 0;
  const { total, done } = store.batch;
  const running = store.running;
  el.empty.hidden = any;
  el.tools.hidden = !any;
  el.tableWrap.hidden = store.items.length < 2;
  el.clear.disabled = !any;
  el.stop.hidden = !running;
  el.progress.hidden = !(running && total > 1);
  el.progressBar.max = Math.max(1, total);
  el.progressBar.value = done;
  el.progressText.textContent = `${formatCount(done)} of ${formatCount(total)} images analysed`;
  el.progressBar.setAttribute('aria-label', el.progressText.textContent);
  document.documentElement.dataset.busy = String(running);
  // the summary changes at most twice a second during a batch, and always at the end
  clearTimeout(statusTimer);
  const wait = running ? Math.max(0, 500 - (performance.now() - lastStatus)) : 0;
  statusTimer = setTimeout(renderSummary, wait);
}

// The end of a batch of several images, or of one that was stopped, is said with its summary.
function announceEnd({ total, stopped }) {
  if (total <= 1 && !stopped) return;
  renderSummary();
  announcer.say(stopped ? `Stopped: ${plural(stopped, 'image')} not analysed; the results so far stay.`
    : `All ${formatCount(total)} images done.`);
}

// ---------------------------------------------------------------- exports

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

const currentExport = () => exportDocument({ items: sortItems(store.items, store.sort), model: store.model, date: new Date() });
el.exportCsv.addEventListener('click', () => download('cifake-results.csv', 'text/csv', toCsv(currentExport())));
el.exportJson.addEventListener('click', () => download('cifake-results.json', 'application/json', toJson(currentExport())));

refreshChrome();

// Offline: a service worker keeps the page, the module and the weights (sw.js).
// Once a service worker is active, it is asked to keep the C2PA library too (sw.js: LAZY), so that
// Content Credentials can be checked offline later. Its first installation downloads every file of
// the page again, the module and the weights among them (and then the 8 MB C2PA library): it is
// registered only once the model is ready and the page has had no image waiting for OFFLINE_IDLE_MS,
// so that it competes neither with the first verdict nor with an image chosen right after the page
// loaded (the model is often ready before a person has picked a file: docs/performance.md, "Time to
// first verdict").
const OFFLINE_IDLE_MS = 3000;
const busy = () => store.items.some((i) => i.status === 'queued' || i.status === 'working');
let offlineCopyAsked = false, offlineTimer = 0;
function keepOfflineCopy() {
  if (offlineCopyAsked || store.model.state !== 'ready' || busy()) return;
  offlineCopyAsked = true;
  navigator.serviceWorker.register('sw.js').catch((err) => console.warn(`no offline copy: ${err.message}`));
  navigator.serviceWorker.ready.then((reg) => reg.active && reg.active.postMessage('cache-lazy')).catch(() => {});
}
if ('serviceWorker' in navigator && /^https?:$/.test(location.protocol)) {
  for (const type of ['model', 'item', 'clear']) {
    store.on(type, () => {
      clearTimeout(offlineTimer);
      offlineTimer = setTimeout(keepOfflineCopy, OFFLINE_IDLE_MS);
    });
  }
}
