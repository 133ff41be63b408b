// cards.js - one card per image: verdict and why, how reliable the model is on such images, where the
// image came from by its own metadata ("Where it came from": provenance.js), the whole image with the analysed region outlined and the heatmap over it, and what the model saw.
// Reads items from the store; what it makes of an item (its card, the thumbnail's object URL, the
// worker's image layers) stays here, in a WeakMap keyed by the item. The image layers are kept for
// the last LAYER_CACHE cards.

import { formatBytes, formatCount, formatPFake, groupNumbers } from './format.js';
import { renderPanel } from './provenance.js';
import { analysedShare, describeError, heatmapClass, inputSide, plainReason, unsureBand, verdictPhrase } from './result.js';

const LAYER_CACHE = 16; // cards that keep their image layers for instant opacity changes
const $ = (sel, root) => root.querySelector(sel);
const METHOD_NAMES = { gradcam: 'Grad-CAM', gradcampp: 'Grad-CAM++' };

// A model looked at the image within its scope (a verdict, or UNSURE on weak evidence): only then
// does a heatmap show evidence for anything.
const judged = (r) => r.scope === 'judged' || r.scope === 'weak-evidence';
// ... and a heatmap exists when the worker drew one (or the model scored patches, its own map)
const hasHeatmap = (item) => item.status === 'done' && judged(item.result) && !!(item.result.patches || item.camMethod);

// The weight file's UNSURE band, for the card's details.
function bandWords(info) {
  const band = unsureBand(info);
  return band ? `; UNSURE from ${band.low.toFixed(4)} to ${band.high.toFixed(4)}` : '';
}

/** @typedef {import('./store.js').Item} Item */
/**
 * The worker's image layers of an item, and the heatmap settings they were made with.
 * @typedef {object} Layers
 * @property {ImageBitmap | null} preview  the whole image (closed when dropped)
 * @property {OffscreenCanvas | null} heat  the colour-mapped heatmap over the analysed region
 * @property {OffscreenCanvas | null} base  the analysed region as the core drew it
 * @property {OffscreenCanvas | null} seen  the model's input
 * @property {string | null} method
 * @property {string} colormap
 */
/** @typedef {{ card: HTMLElement, url: string, layers: Layers | null }} CardView */

export class Cards {
  /** @type {Item[]} the items with layers, least recently used first */
  #cache = [];
  /** @type {WeakMap<Item, CardView>} */
  #views = new WeakMap();

  /** container: the cards' parent; template: the <template> of a card; store: the store;
   *  onChange(item, patch, { rerun }): a card's own control changed.
   *  @param {{ container: HTMLElement, template: HTMLTemplateElement, store: import('./store.js').Store,
   *    onChange: (item: Item, patch: Partial<Item>, options: { rerun: boolean }) => void }} options */
  constructor({ container, template, store, onChange }) {
    this.container = container;
    this.template = template;
    this.store = store;
    this.onChange = onChange;
  }

  /** @param {Item} item @returns {HTMLElement | undefined} */
  card(item) { return this.#views.get(item)?.card; }

  /** @param {Item} item */
  add(item) {
    const card = /** @type {HTMLElement} */ (this.template.content.firstElementChild.cloneNode(true));
    const url = URL.createObjectURL(item.file);
    this.#views.set(item, { card, url, layers: null });
    card.dataset.id = String(item.index);
    card.dataset.name = item.name;
    const nameEl = $('.name', card);
    nameEl.textContent = item.name;
    nameEl.title = item.path || item.name;
    nameEl.id = `card-${item.index}-name`;
    card.setAttribute('aria-labelledby', nameEl.id);
    const provTitle = $('.prov-title', card);
    provTitle.id = `card-${item.index}-provenance`;
    $('.provenance', card).setAttribute('aria-labelledby', provTitle.id);
    $('.dims', card).textContent = formatBytes(item.size);
    const thumb = $('.thumb', card);
    thumb.src = url;
    // a file the browser cannot show: no empty frame where its picture would be
    thumb.addEventListener('error', () => { thumb.hidden = true; }, { once: true });

    const alpha = $('.alpha', card);
    alpha.setAttribute('aria-label', `Heatmap opacity for ${item.name}`);
    alpha.addEventListener('input', () => this.onChange(item, { alpha: Number(alpha.value) / 100, showHeat: true }, { rerun: false }));
    const method = $('.method', card);
    method.addEventListener('change', () => this.onChange(item, { method: method.value }, { rerun: true }));
    const colormap = $('.colormap', card);
    colormap.addEventListener('change', () => this.onChange(item, { colormap: colormap.value }, { rerun: true }));
    $('.toggle', card).addEventListener('click', () => this.onChange(item, { showHeat: !item.showHeat }, { rerun: false }));
    this.update(item);
    return card;
  }

  /** @param {Item} item */
  remove(item) {
    const view = this.#views.get(item);
    if (!view) return;
    this.#drop(item);
    this.#views.delete(item);
    view.card.remove();
    URL.revokeObjectURL(view.url);
  }

  /** Puts the cards in the given order of items. */
  order(items) {
    const want = items.map((i) => this.card(i)).filter(Boolean);
    const have = [...this.container.children];
    if (want.length === have.length && want.every((c, k) => c === have[k])) return;
    this.container.append(...want);
  }

  /** Shows an item's status, verdict and settings. @param {Item} item */
  update(item) {
    const card = this.card(item);
    if (!card) return;
    card.dataset.state = item.status;
    $('.alpha', card).value = String(Math.round(item.alpha * 100));
    $('.method', card).value = item.method;
    $('.colormap', card).value = item.colormap;
    const toggle = $('.toggle', card);
    toggle.setAttribute('aria-pressed', String(item.showHeat));
    toggle.textContent = item.showHeat ? 'Heatmap on' : 'Heatmap off';
    const label = $('.verdict-label', card);
    const err = $('.error', card);
    if (item.status === 'queued') label.textContent = 'Waiting…';
    else if (item.status === 'working') label.textContent = 'Analysing…';
    else if (item.status === 'error' || item.status === 'stopped') {
      label.textContent = item.status === 'error' ? 'Could not analyse' : 'Not analysed';
      label.className = 'verdict-label';
      $('.verdict-p', card).textContent = '';
      const { headline, detail } = describeError(item.error);
      const head = document.createElement('strong');
      head.className = 'error-headline';
      head.textContent = headline;
      const more = document.createElement('span');
      more.className = 'error-detail';
      more.textContent = groupNumbers(detail);
      err.replaceChildren(head, ' ', more);
      err.hidden = false;
      card.dataset.error = item.error;
      $('.pbar', card).hidden = true;
      // a file that cannot be analysed may still say where it came from
      if (item.provenance) renderPanel($('.provenance', card), item.provenance);
      else $('.provenance', card).hidden = true;
    } else if (item.status === 'done') {
      err.hidden = true;
      this.#showVerdict(item, card);
      renderPanel($('.provenance', card), item.result.provenance);
      // heatmap controls only where there is a heatmap to control
      $('.card-controls', card).hidden = !hasHeatmap(item);
    }
    this.draw(item);
  }

  #showVerdict(item, card) {
    const r = item.result;
    const threshold = this.store.model.threshold;
    card.dataset.label = r.label;
    card.dataset.scope = r.scope;
    card.dataset.by = r.byProvenance ? 'provenance' : 'pixels';
    if (r.pFake !== null) card.dataset.pFake = r.pFake.toFixed(6);
    else delete card.dataset.pFake;
    const label = $('.verdict-label', card);
    label.textContent = r.label;
    label.className = `verdict-label tag ${r.label.toLowerCase()}`;
    $('.verdict-p', card).textContent = r.pFake === null
      ? verdictPhrase(r) : `${verdictPhrase(r)} · P(fake) ${formatPFake(r.pFake)}`;
    const pbar = $('.pbar', card);
    pbar.hidden = r.pFake === null;
    if (r.pFake !== null) {
      $('.pbar-fill', card).style.width = `${(r.pFake * 100).toFixed(2)}%`;
      $('.pbar-threshold', card).style.left = `${(threshold * 100).toFixed(2)}%`;
      // the band where the model gives no verdict, drawn so that the bar and the word agree
      const band = unsureBand(this.store.model.info), bandEl = $('.pbar-band', card), bandLabel = $('.pbar-scale-unsure', card);
      bandEl.hidden = bandLabel.hidden = !band;
      $('.pbar-threshold', card).hidden = !!band; // the band's edges are the marks then
      if (band) {
        bandEl.style.left = bandLabel.style.left = `${(band.low * 100).toFixed(2)}%`;
        bandEl.style.width = bandLabel.style.width = `${((band.high - band.low) * 100).toFixed(2)}%`;
      }
      pbar.title = band
        ? `P(fake) ${formatPFake(r.pFake)}: REAL below ${Math.round(band.low * 100)} %, UNSURE up to ` +
          `${Math.round(band.high * 100)} %, FAKE above`
        : `P(fake) ${formatPFake(r.pFake)} (FAKE from ${Math.round(threshold * 100)} %)`;
    }
    // in plain words under the verdict; the engine's own words and numbers one click further
    const info = this.store.model.info || {};
    const reason = $('.reason', card);
    const plain = plainReason(r, info);
    reason.hidden = !plain;
    reason.textContent = plain ? groupNumbers(plain) : '';
    const engineReason = r.detail || (r.byProvenance ? null : r.reason);
    $('.detail', card).textContent = engineReason ? groupNumbers(engineReason) : '';
    $('.detail', card).hidden = !engineReason;
    const rel = $('.reliability', card);
    rel.hidden = !r.reliability;
    rel.textContent = r.reliability || '';
    const exact = $('.exact', card);
    exact.hidden = r.pFake === null;
    exact.textContent = r.pFake === null ? ''
      : `P(fake) ${r.pFake.toFixed(4)}; FAKE from ${threshold.toFixed(4)}${bandWords(info)}.`;
    $('.more', card).hidden = !engineReason && !r.reliability && r.pFake === null;
    const decoder = item.decoder === 'browser' ? 'decoded by the browser' : 'decoded by the cifake core';
    $('.dims', card).textContent =
      `${formatCount(r.width)} × ${formatCount(r.height)} px · ${formatBytes(item.size)} · ${item.format || 'image'}, ${decoder}`;
    $('.dims', card).dataset.decoder = item.decoder;
    $('.viz-caption', card).textContent = this.#caption(item);
    $('.viz', card).hidden = false;
  }

  #caption(item) {
    const r = item.result;
    const side = inputSide(this.store.model.info || {});
    const w = formatCount(r.width), h = formatCount(r.height);
    const share = Math.round(analysedShare(r) * 100);
    if (r.patches) {
      const s = formatCount(r.patches.side);
      return `The whole ${w} × ${h} image, analysed at full resolution in ${formatCount(r.patches.count)} patches of ` +
        `${s} × ${s} pixels (${share} % of its area); each patch is coloured by its own P(fake).`;
    }
    if (r.scope === 'too-small') return `The whole ${w} × ${h} image: too small for the model, so no verdict and no heatmap.`;
    const verdict = judged(r);
    if (verdict && r.width <= side && r.height <= side) return `The whole ${w} × ${h} image, as the model saw it.`;
    const g = r.region;
    if (!g) return `The whole ${w} × ${h} image.`; // the result names no analysed region to outline
    const rw = formatCount(g.width), rh = formatCount(g.height);
    const verb = verdict ? 'judged' : 'looked at';
    const rest = verdict ? '' : ` The model judges only ${side} × ${side} images, so no verdict and no heatmap.`;
    if (share >= 100) return `The whole ${w} × ${h} image, ${verb} on a ${side} × ${side} thumbnail of it.${rest}`;
    return `The whole ${w} × ${h} image. Outlined: the ${rw} × ${rh} ${g.width === g.height ? 'square' : 'region'} ` +
      `the model ${verb} (${share} % of the image) on a ${side} × ${side} thumbnail; the shaded rest was not analysed.${rest}`;
  }

  /** Keeps the worker's layers of a fresh result (and the settings they were made with). */
  setLayers(item, msg) {
    const view = this.#views.get(item);
    if (!view) {
      if (msg.preview) msg.preview.close();
      return;
    }
    this.#drop(item);
    const heat = msg.heat ? toCanvas(msg.heat) : null;
    const base = msg.base ? toCanvas(msg.base) : null;
    const seen = msg.seen ? toCanvas(msg.seen) : null;
    view.layers = { preview: msg.preview || null, heat, base, seen, method: msg.camMethod, colormap: item.colormap };
    this.#cache.push(item);
    while (this.#cache.length > LAYER_CACHE) this.#drop(this.#cache[0]);
    this.draw(item);
    view.card.dataset.layers = 'drawn'; // the verdict comes first; this marks its image layers drawn
  }

  /** Whether the item's layers are kept (which makes them the most recently used). @param {Item} item */
  hasLayers(item) {
    if (!this.#views.get(item)?.layers) return false;
    const i = this.#cache.indexOf(item);
    this.#cache.splice(i, 1);
    this.#cache.push(item);
    return true;
  }

  /** The heatmap settings the item's kept layers were made with, or null when none are kept.
   *  @param {Item} item @returns {{ method: string | null, colormap: string } | null} */
  layersMadeWith(item) {
    const layers = this.#views.get(item)?.layers;
    return layers ? { method: layers.method, colormap: layers.colormap } : null;
  }

  /** @param {Item} item */
  #drop(item) {
    const i = this.#cache.indexOf(item);
    if (i >= 0) this.#cache.splice(i, 1);
    const view = this.#views.get(item);
    if (!view) return;
    if (view.layers && view.layers.preview && view.layers.preview.close) view.layers.preview.close();
    view.layers = null;
  }

  /** Draws the card's image from its layers (nothing when they were dropped: the last drawing stays).
   *  @param {Item} item */
  draw(item) {
    const view = this.#views.get(item);
    const L = view?.layers;
    if (!view || !L || item.status !== 'done') return;
    const card = view.card;
    const r = item.result;
    const canvas = $('.overlay', card);
    const mapped = judged(r) && !!(L.heat || r.patches);
    const a = item.showHeat && mapped ? item.alpha : 0;
    const ctx = canvas.getContext('2d');
    if (L.preview) {
      const { width: pw, height: ph } = L.preview;
      if (canvas.width !== pw || canvas.height !== ph) {
        canvas.width = pw;
        canvas.height = ph;
      }
      canvas.style.aspectRatio = `${pw} / ${ph}`;
      ctx.globalAlpha = 1;
      ctx.imageSmoothingEnabled = pw < r.width;
      ctx.drawImage(L.preview, 0, 0, pw, ph);
      const sx = pw / r.width, sy = ph / r.height;
      if (r.patches) drawPatches(ctx, r.patches, sx, sy, a, this.store.model.threshold);
      else if (r.region) {
        const g = r.region, x = g.x * sx, y = g.y * sy, w = g.width * sx, h = g.height * sy;
        if (a > 0) {
          ctx.globalAlpha = a;
          ctx.imageSmoothingEnabled = true;
          ctx.drawImage(L.heat, x, y, w, h);
          ctx.globalAlpha = 1;
        }
        if (w < pw - 0.5 || h < ph - 0.5) outline(ctx, x, y, w, h, pw, ph);
      }
    } else if (L.base) {
      // the browser could not draw the whole image: the analysed region alone, as the core drew it
      const side = L.base.width;
      if (canvas.width !== side) canvas.width = canvas.height = side;
      canvas.style.aspectRatio = '1';
      ctx.globalAlpha = 1;
      ctx.drawImage(L.base, 0, 0);
      if (a > 0) {
        ctx.globalAlpha = a;
        ctx.drawImage(L.heat, 0, 0, side, side);
        ctx.globalAlpha = 1;
      }
    }
    const methodName = METHOD_NAMES[L.method] || 'Heatmap';
    const target = heatmapClass(r, this.store.model.threshold);
    canvas.setAttribute('aria-label', `${item.name}: ${$('.viz-caption', card).textContent}` +
      (!mapped ? '' : a === 0 ? ' Heatmap off.' : r.patches ? ' Each patch coloured by its own P(fake).'
        : ` ${methodName} heatmap (${L.colormap}) of what pushed the model towards ${target}.`));
    // the tag and the legend only where there is a heatmap: "Before" names the image without it
    $('.viz-tag', card).textContent = !mapped ? '' : a === 0 ? 'Before' : r.patches ? `Patches · ${Math.round(a * 100)} %`
      : `${methodName} · ${target} · ${Math.round(a * 100)} %`;
    this.#legend(card, mapped && a > 0, r, L, methodName, target);

    // what the model saw, when it is not simply the whole image already shown
    const seenFig = $('.seen', card);
    const showSeen = !!(L.seen && r.region) && (r.width > L.seen.width || r.height > L.seen.height);
    seenFig.hidden = !showSeen;
    if (showSeen) {
      const sc = $('.seen-canvas', card);
      sc.width = L.seen.width;
      sc.height = L.seen.height;
      sc.getContext('2d').drawImage(L.seen, 0, 0);
      const cap = `What the model saw: ${L.seen.width} × ${L.seen.height} pixels, scaled down from the ` +
        `${analysedShare(r) < 1 ? 'outlined region' : 'whole image'}.`;
      $('.seen-caption', card).textContent = cap;
      sc.setAttribute('aria-label', `${item.name}: ${cap}`);
    }
  }

  // The heatmap's key, next to it: which class it explains and which colours weigh most.
  #legend(card, show, r, L, methodName, target) {
    const legend = $('.legend', card);
    legend.hidden = !show;
    if (!show) return;
    legend.dataset.colormap = r.patches ? 'patches' : L.colormap;
    $('.legend-label', card).textContent = r.patches
      ? 'Each patch: green looks real, orange looks AI-generated; stronger colour, surer.'
      : `${methodName}: what pushed the model towards ${target}` +
        (r.scope === 'weak-evidence' ? ', too weakly for a verdict' : r.byProvenance ? ' (the verdict is from the metadata)' : '');
    const ends = card.querySelectorAll('.legend-end');
    ends[0].textContent = r.patches ? 'REAL' : 'weak';
    ends[1].textContent = r.patches ? 'FAKE' : 'strong';
  }
}

function toCanvas({ width, height, data }) {
  const c = new OffscreenCanvas(width, height);
  c.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(data.buffer || data), width, height), 0, 0);
  return c;
}

// Shades what lies outside the analysed region and draws its outline, visible on light and dark images.
function outline(ctx, x, y, w, h, pw, ph) {
  ctx.save();
  ctx.fillStyle = 'rgb(0 0 0 / 45%)';
  ctx.beginPath();
  ctx.rect(0, 0, pw, ph);
  ctx.rect(x, y, w, h);
  ctx.fill('evenodd');
  const lw = Math.max(2, Math.round(Math.min(pw, ph) / 150));
  ctx.lineWidth = lw;
  ctx.strokeStyle = '#000';
  ctx.strokeRect(x + lw / 2, y + lw / 2, w - lw, h - lw);
  ctx.setLineDash([lw * 3, lw * 2]);
  ctx.strokeStyle = '#fff';
  ctx.strokeRect(x + lw / 2, y + lw / 2, w - lw, h - lw);
  ctx.restore();
}

// A patch model: each patch outlined, filled by its P(fake) (orange above the threshold, green below).
function drawPatches(ctx, p, sx, sy, alpha, threshold) {
  ctx.save();
  for (let k = 0; k < p.count; k++) {
    const x = p.x[k] * sx, y = p.y[k] * sy, w = p.side * sx, h = p.side * sy, v = p.pFake[k];
    if (alpha > 0) {
      ctx.globalAlpha = alpha * Math.min(1, 0.25 + Math.abs(v - threshold));
      ctx.fillStyle = v >= threshold ? '#ea580c' : '#059669';
      ctx.fillRect(x, y, w, h);
    }
    ctx.globalAlpha = 0.8;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 1;
    ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
  }
  ctx.restore();
}
