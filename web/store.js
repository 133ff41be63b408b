// store.js - the page's one store of state: the images and their results, the heatmap settings, the
// model, the table's order and the running batch. Views subscribe to its events and never keep a
// second copy; every change goes through a method here. No DOM: also used by the Node tests.
//
//   store.on('items', ({ added }) => ...)   images were added
//   store.on('item', ({ item }) => ...)     one image changed (status, result, settings)
//   store.on('clear' | 'sort' | 'settings' | 'model', ...)
//   store.on('batch', ({ total, done, stopped, ended }) => ...)   ended: the batch's last image is final
//
// Views keep what they draw from an item (its card, canvases, bitmaps, object URLs) in a WeakMap of
// their own, keyed by the item, never on it.

/** @typedef {{ method: string, colormap: string, alpha: number }} Settings  heatmap method and colours by name */
/** @typedef {'queued' | 'working' | 'done' | 'error' | 'stopped'} Status */
/** @typedef {{ key: string, dir: number }} Sort */
/** @typedef {{ total: number, done: number, stopped: number }} Batch
 *  stopped: images Stop dropped from the queue in this batch (said when it ends) */
/**
 * @typedef {object} Model
 * @property {'loading' | 'ready' | 'failed'} state
 * @property {Record<string, string> | null} info
 * @property {string | null} simd
 * @property {number} threshold
 * @property {number | null} maxImageBytes
 * @property {{ file: string, bytes: number, sha256: string } | null} weights
 * @property {string | null} error
 */
/**
 * One image and what is known of it.
 * @typedef {object} Item
 * @property {number} index
 * @property {File} file
 * @property {string} key
 * @property {string} name
 * @property {string} path
 * @property {number} size
 * @property {Status} status
 * @property {import('./result.js').PageResult | null} result
 * @property {string | null} error
 * @property {import('./detector.js').Provenance | null} provenance
 * @property {number | null} ms
 * @property {'core' | 'browser' | null} decoder
 * @property {string | null} format
 * @property {string | null} sha256
 * @property {string} method
 * @property {string} colormap
 * @property {number} alpha
 * @property {boolean} showHeat
 * @property {string | null} [camMethod]  the method of the result's heatmap (null: none)
 * @property {string | null} analysedAt
 * @property {number} version  how many times the worker was asked for it (nextVersion)
 */

export const DEFAULT_SORT = { key: 'index', dir: -1 }; // newest first, in the table and the cards

/** What makes two picks "the same file": name, size and modification time (no reading needed). */
export function fileKey(file) {
  return `${file.name}\u0000${file.size}\u0000${file.lastModified ?? ''}`;
}

export class Store {
  /** @type {Item[]} */
  items = [];
  /** @type {Settings} */
  settings = { method: 'gradcam', colormap: 'turbo', alpha: 0.5 };
  /** @type {Model} */
  model = { state: 'loading', info: null, simd: null, threshold: 0.5, maxImageBytes: null, weights: null, error: null };
  /** @type {Sort} */
  sort = { ...DEFAULT_SORT };
  /** @type {Batch} */
  batch = { total: 0, done: 0, stopped: 0 };
  #nextIndex = 1;
  /** @type {Map<string, Set<(detail: any) => void>>} */
  #listeners = new Map();

  /** settings: the top controls' heatmap settings at start (the page's form may keep other values
   *  than the defaults across a reload). @param {{ settings?: Partial<Settings> }} [options] */
  constructor({ settings = {} } = {}) {
    Object.assign(this.settings, settings);
  }

  /** @param {string} type @param {(detail: any) => void} fn */
  on(type, fn) {
    if (!this.#listeners.has(type)) this.#listeners.set(type, new Set());
    this.#listeners.get(type).add(fn);
    return () => this.#listeners.get(type).delete(fn);
  }

  #emit(type, detail = {}) {
    for (const fn of this.#listeners.get(type) || []) fn(detail);
  }

  get running() { return this.batch.done < this.batch.total; }

  /** Adds files as new queued items; a file already present (same name, size and date, not
   *  removed) is skipped. Returns { added, duplicates: [{ file, of }] }. */
  addFiles(files) {
    const known = new Map(this.items.map((i) => [i.key, i]));
    const added = [], duplicates = [];
    if (!this.running) this.batch = { total: 0, done: 0, stopped: 0 };
    for (const file of files) {
      const key = fileKey(file);
      if (known.has(key)) {
        duplicates.push({ file, of: known.get(key) });
        continue;
      }
      /** @type {Item} */
      const item = {
        index: this.#nextIndex++, file, key, name: file.name || 'image', path: file.webkitRelativePath || file.name || '',
        size: file.size, status: 'queued', result: null, error: null, provenance: null, ms: null, decoder: null, format: null, sha256: null,
        method: this.settings.method, colormap: this.settings.colormap, alpha: this.settings.alpha, showHeat: true,
        analysedAt: null, version: 0,
      };
      known.set(key, item);
      this.items.push(item);
      added.push(item);
    }
    if (added.length) {
      this.batch.total += added.length;
      this.#emit('items', { added });
      this.#emit('batch', { ...this.batch, ended: false });
    }
    return { added, duplicates };
  }

  /** Changes one item; a first final status (done, error, stopped) counts towards the batch. */
  update(item, patch) {
    const wasFinal = isFinal(item.status);
    Object.assign(item, patch);
    this.#emit('item', { item, patch });
    if (!wasFinal && isFinal(item.status)) {
      this.batch.done++;
      const ended = !this.running;
      this.#emit('batch', { ...this.batch, ended });
      if (ended) this.batch.stopped = 0;
    }
  }

  /** A new request to the worker for an item: returns its number, so that only the latest one's
   *  answer ends the card's wait (no event: no view shows it). @param {Item} item */
  nextVersion(item) {
    item.version++;
    return item.version;
  }

  /** Stop dropped n queued images of the running batch (no event: the count is said when it ends).
   *  @param {number} n */
  countStopped(n) {
    this.batch.stopped += n;
  }

  clear() {
    const removed = this.items.splice(0);
    this.batch = { total: 0, done: 0, stopped: 0 };
    this.#emit('clear', { removed });
    this.#emit('batch', { ...this.batch, ended: false });
    return removed;
  }

  /** New heatmap settings for every image (the top controls); a card's own controls change only it. */
  setSettings(patch) {
    Object.assign(this.settings, patch);
    for (const item of this.items) {
      const own = {};
      for (const k of Object.keys(patch)) if (item[k] !== patch[k]) own[k] = patch[k];
      if (Object.keys(own).length) this.update(item, own);
    }
    this.#emit('settings', { ...this.settings });
  }

  /** Sorting by a column: the same column again reverses it; P(fake) starts with the highest. */
  sortBy(key) {
    this.sort = { key, dir: this.sort.key === key ? -this.sort.dir : key === 'pFake' || key === 'index' ? -1 : 1 };
    this.#emit('sort', { ...this.sort });
  }

  setModel(patch) {
    Object.assign(this.model, patch);
    this.#emit('model', { ...this.model });
  }

  summary() {
    const s = { done: 0, fake: 0, real: 0, unsure: 0, errors: 0, stopped: 0 };
    for (const i of this.items) {
      if (i.status === 'done') {
        s.done++;
        s[i.result.label.toLowerCase()]++;
      } else if (i.status === 'error') s.errors++;
      else if (i.status === 'stopped') s.stopped++;
    }
    return s;
  }
}

export function isFinal(status) {
  return status === 'done' || status === 'error' || status === 'stopped';
}
