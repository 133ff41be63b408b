// result.js - one detector result as the page uses it. detector.js returns { label: REAL|FAKE|UNSURE,
// pFake, reason, scope, reliability, model, region, patches, width, height, cam, provenance,
// pixelLabel }; this checks each
// field's type and range (a malformed one becomes absent, never invented) and drops the probability
// of an image no model judged. No DOM: also imported by the Node tests.

import { formatCount } from './format.js';
import { META } from './meta-keys.js';
import { normaliseProvenance } from './provenance.js';

export const LABELS = ['REAL', 'UNSURE', 'FAKE'];
export const SCOPES = ['judged', 'too-small', 'out-of-scope', 'weak-evidence'];

/** The model's input side from the weight file's "input" entry ("3x32x32"), 32 when absent. */
export function inputSide(info) {
  const m = /^\s*\d+\s*x\s*(\d+)\s*x\s*(\d+)\s*$/.exec((info && info[META.input]) || '');
  return m ? Math.min(Number(m[1]), Number(m[2])) : 32;
}

function validRegion(r, w, h) {
  if (!r || typeof r !== 'object') return null;
  const { x, y, width, height } = r;
  if (![x, y, width, height].every(Number.isFinite) || width <= 0 || height <= 0) return null;
  if (x < 0 || y < 0 || x + width > w || y + height > h) return null;
  return { x, y, width, height };
}

function validPatches(p) {
  if (!p || typeof p !== 'object') return null;
  const n = p.x && p.y && p.pFake ? Math.min(p.x.length, p.y.length, p.pFake.length) : 0;
  if (!(p.side > 0) || !n) return null;
  return { side: p.side, cols: p.cols ?? null, rows: p.rows ?? null, x: p.x, y: p.y, pFake: p.pFake, count: n };
}

/**
 * A detector result as the page uses it (normaliseResult).
 * @typedef {object} PageResult
 * @property {import('./detector.js').Label} label
 * @property {number | null} pFake
 * @property {string | null} reason
 * @property {string | null} detail
 * @property {import('./detector.js').Scope | null} scope
 * @property {string | null} reliability
 * @property {{ name: string, view: 'thumbnail' | 'patches' }} model
 * @property {import('./detector.js').Region | null} region
 * @property {{ side: number, cols: number | null, rows: number | null, x: ArrayLike<number>, y: ArrayLike<number>,
 *   pFake: ArrayLike<number>, count: number } | null} patches
 * @property {number} width
 * @property {number} height
 * @property {Float32Array | null} cam
 * @property {import('./detector.js').Provenance | null} provenance
 * @property {import('./detector.js').Label} pixelLabel
 * @property {boolean} byProvenance
 */

/** The page's view of a result: every contract field present, with the right type. info is the
 *  weight file's metadata (d.info()).
 *  @param {any} raw @param {Record<string, string>} [info] @returns {PageResult} */
export function normaliseResult(raw, info = {}) {
  const width = raw.width, height = raw.height;
  const side = inputSide(info);
  const described = raw.model && typeof raw.model === 'object';
  /** @type {'patches' | 'thumbnail'} */
  const view = described && raw.model.view === 'patches' ? 'patches' : 'thumbnail';
  const model = { name: described ? String(raw.model.name || 'cifake.bin') : 'cifake.bin', view };
  const patches = model.view === 'patches' ? validPatches(raw.patches) : null;
  const scope = SCOPES.includes(raw.scope) ? raw.scope : null;
  // an image too small for the model was never looked at: it has no analysed region; the region is
  // the core's (which crop a model looks at is its rule alone), absent when missing or malformed
  const region = scope === 'too-small' ? null : validRegion(raw.region, width, height);
  let label = LABELS.includes(raw.label) ? raw.label : 'UNSURE';
  let pFake = typeof raw.pFake === 'number' && Number.isFinite(raw.pFake) ? raw.pFake : null;
  let reason = typeof raw.reason === 'string' && raw.reason ? raw.reason : null;
  const detail = typeof raw.detail === 'string' && raw.detail ? raw.detail : null;
  const reliability = typeof raw.reliability === 'string' && raw.reliability ? raw.reliability : null;

  // the label the provenance rules gave (src/provenance.h), when they changed the pixel model's
  const pixelLabel = LABELS.includes(raw.pixelLabel) ? raw.pixelLabel : label;
  const byProvenance = label !== pixelLabel;
  // only a judged image has a pixel verdict (a result that does not say why it was judged has none);
  // a verdict from what the file declares needs no judged pixels
  if (scope !== 'judged' && !byProvenance) label = 'UNSURE';
  // a model's guess on an image it does not judge is no probability to show
  if (scope === 'too-small' || scope === 'out-of-scope') pFake = null;
  if (label === 'UNSURE' && !reason) reason = defaultReason(scope, width, height, side);
  return { label, pFake, reason, detail, scope, reliability, model, region, patches, width, height, cam: raw.cam || null,
    provenance: normaliseProvenance(raw.provenance), pixelLabel: byProvenance ? pixelLabel : label, byProvenance };
}

function defaultReason(scope, w, h, side) {
  if (scope === 'too-small')
    return `The image is ${formatCount(w)} × ${formatCount(h)} pixels, smaller than the ${side} × ${side} the model ` +
      'looks at: too small to judge.';
  if (scope === 'out-of-scope') return 'The image is outside what this model was trained to judge.';
  if (scope === 'weak-evidence') return 'The evidence is too weak either way for a verdict.';
  return 'The model gave no verdict for this image.';
}

/** The accuracy figure users are shown, from the weight file's verdict_accuracy and verdict_coverage
 *  (the detector as it scores, with its UNSURE band, on its test split): { accuracy, coverage } as
 *  percentages ("12.3 %"), or null when the file does not record them. One source for the page's
 *  header, its cards and its exports. */
export function verdictFigure(info) {
  const share = (key) => {
    const v = info && info[key] !== undefined && info[key] !== '' ? Number(info[key]) : NaN;
    return Number.isFinite(v) && v >= 0 && v <= 1 ? v : null;
  };
  const accuracy = share(META.verdictAccuracy), coverage = share(META.verdictCoverage);
  if (accuracy === null || coverage === null) return null;
  const pct = (v) => `${(v * 100).toFixed(1)} %`;
  return { accuracy: pct(accuracy), coverage: pct(coverage), accuracyValue: accuracy, coverageValue: coverage };
}

/** What a card says under its verdict, for someone who is not an engineer: why there is no verdict,
 *  or how far a verdict can be trusted. The engine's own words (r.detail, r.reliability) go one
 *  click further, in the card's details. */
export function plainReason(r, info = {}) {
  const side = inputSide(info);
  const scoped = Number(info[META.scopeMaxSide]) > 0;
  if (r.byProvenance) return r.reason; // the file's own declaration: the core's rules word it plainly
  if (r.scope === 'too-small')
    return `This image is ${formatCount(r.width)} × ${formatCount(r.height)} pixels, smaller than the ${side} × ${side} ` +
      'pixels the model looks at, so it gives no verdict.';
  if (r.scope === 'out-of-scope')
    return 'This image is larger than anything the model was tested on, so it gives no verdict. ' +
      'On images like this its guesses were no better than chance.';
  if (r.scope === 'weak-evidence')
    return 'Its score is too close to the line between real and AI-generated to call either way, so it gives no verdict.';
  if (r.label !== 'REAL' && r.label !== 'FAKE') return r.reason || 'The model gave no verdict for this image.';
  const figure = verdictFigure(info);
  if (!figure) return null;
  return `On the ${side} × ${side} test images it was made for, ${figure.accuracy} of its verdicts were right.` +
    (scoped ? ' On other kinds of images (camera photos, newer generators) it does no better than chance.' : '');
}

/** Short words for a verdict: "likely AI-generated", "too small to judge", ... */
export function verdictPhrase(r) {
  if (r.byProvenance && r.label === 'FAKE') return 'its metadata declares AI';
  if (r.byProvenance && r.label === 'REAL') return 'verified camera original';
  if (r.label === 'FAKE') return 'likely AI-generated';
  if (r.label === 'REAL') return 'likely a real photo';
  if (r.scope === 'too-small') return 'too small to judge';
  if (r.scope === 'out-of-scope') return 'outside what the model judges';
  if (r.scope === 'weak-evidence') return 'evidence too weak either way';
  return 'no verdict';
}

/** The share of the image's area the model analysed, 0..1. */
export function analysedShare(r) {
  const total = r.width * r.height;
  if (!total) return 0;
  if (r.patches) {
    // patches may overlap: count the covered area on a coarse grid of the patch side
    const s = r.patches.side, seen = new Set();
    let area = 0;
    for (let k = 0; k < r.patches.count; k++) {
      const key = `${r.patches.x[k]},${r.patches.y[k]}`;
      if (seen.has(key)) continue;
      seen.add(key);
      area += Math.min(s, r.width - r.patches.x[k]) * Math.min(s, r.height - r.patches.y[k]);
    }
    return Math.min(1, area / total);
  }
  return r.region ? (r.region.width * r.region.height) / total : 0;
}

/** The weight file's UNSURE band ("0.4966,0.6966": P(fake) in it gives no verdict) as
 *  { low, high }, or null when the file states none. */
export function unsureBand(info) {
  const v = String((info && info[META.unsureBand]) || '').split(',').map(Number);
  if (v.length !== 2 || !v.every(Number.isFinite) || !(v[0] >= 0 && v[0] < v[1] && v[1] <= 1)) return null;
  return { low: v[0], high: v[1] };
}

/** The class a thumbnail model's heatmap explains: the side of the threshold its P(fake) falls on
 *  (the core's default target, src/api.c cam_label). */
export function heatmapClass(r, threshold) {
  return typeof r.pFake === 'number' && r.pFake >= threshold ? 'FAKE' : 'REAL';
}

const DECODE_FAILURE = /not a supported image|cannot decode|truncated|corrupt|invalid|bad (?:huffman|marker)|premature|unexpected end/i;

/** A file that could not be analysed, for a person: a headline in plain words, a few words of it for
 *  the table (short), and the decoder's message as the detail. */
export function describeError(message) {
  // the core's list of the formats it decodes would contradict the headline's, which also names the
  // browser's: the detail keeps only what went wrong
  const detail = String(message || 'unknown error').replace(/ \((?:JPEG|PNG|BMP|GIF|WebP)(?:, (?:JPEG|PNG|BMP|GIF|WebP))*\)/, '');
  if (/^empty file/.test(detail)) return { headline: 'This file is empty.', short: 'empty file', detail };
  if (/over the limit/.test(detail)) return { headline: 'This file is too large for the page.', short: 'too large', detail };
  if (/stopped/.test(detail)) return { headline: 'Stopped before it was analysed.', short: 'stopped', detail };
  if (DECODE_FAILURE.test(detail))
    return {
      headline: 'This file is damaged or not an image. The page reads JPEG, PNG, BMP and GIF, and WebP, AVIF or HEIC ' +
        'where this browser decodes them.',
      short: 'damaged or not an image',
      detail,
    };
  return { headline: 'This image could not be analysed.', short: 'could not be analysed', detail };
}
