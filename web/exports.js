// exports.js - the CSV and JSON exports of the results. No DOM: also used by the Node tests.
//
// Both carry the model (weight file name, SHA-256, spec, version: the first 12 hex digits of that
// SHA-256, and the trainer's git version at training time), its threshold, the date
// of the export, and per image its byte size, SHA-256, verdict, heatmap method and decoder, and its
// provenance (what its metadata declares: JSON the whole object, as `cifake-detect --json` prints it;
// CSV the declaration, generator, C2PA signer and status, and one line per signal). JSON numbers are
// numbers; CSV cells that a spreadsheet would run as a formula are neutralised.

import { signalLine } from './provenance.js';
import { META } from './meta-keys.js';
import { analysedShare } from './result.js';

const num = (v) => {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};
const round6 = (v) => (v === null ? null : Number(v.toFixed(6)));

/** The export's model section from the worker's ready message (weight file metadata + file facts). */
export function exportModel(model) {
  const info = model.info || {}, w = model.weights || {};
  return {
    file: w.file ?? null, bytes: w.bytes ?? null, sha256: w.sha256 ?? null,
    // the model's version is its weight file's content (the same on every copy of the file); the
    // trainer's git version at training time is a fact about how it was made, kept under its own name
    spec: info[META.spec] ?? null, version: w.sha256 ? w.sha256.slice(0, 12) : null,
    trainer_version: info[META.trainerVersion] ?? null, trained: info[META.date] ?? null,
    threshold: num(info[META.threshold]), temperature: num(info[META.temperature]),
    // the one accuracy figure users are shown (result.js verdictFigure): the detector as it scores
    verdict_accuracy: num(info[META.verdictAccuracy]), verdict_coverage: num(info[META.verdictCoverage]),
  };
}

export function exportRow(item) {
  const r = item.status === 'done' ? item.result : null;
  // a heatmap exists only where a model judged the pixels and the worker drew one
  const heat = r && (r.scope === 'judged' || r.scope === 'weak-evidence') && !r.patches ? item.camMethod ?? null : null;
  return {
    index: item.index, name: item.name, path: item.path, bytes: item.size, sha256: item.sha256,
    status: item.status, label: r ? r.label : null, p_fake: r ? round6(r.pFake) : null,
    scope: r ? r.scope : null, reason: r ? r.reason : null, detail: r ? r.detail ?? null : null,
    reliability: r ? r.reliability : null,
    width: r ? r.width : null, height: r ? r.height : null,
    region: r && r.region ? { ...r.region } : null, analysed_share: r && (r.region || r.patches) ? round6(analysedShare(r)) : null,
    model_view: r ? r.model.view : null, decoder: item.decoder, format: item.format,
    cam_method: heat,
    analysed_at: item.analysedAt, error: item.status === 'done' ? null : item.error,
    provenance: (r ? r.provenance : item.provenance) || null,
  };
}

// The CSV's provenance cells: the strongest declaration, the first generator named, the C2PA
// signal's signer and status, and every signal in a line.
function provenanceCells(p) {
  if (!p) return {};
  const c2pa = p.signals.find((s) => s.kind === 'c2pa');
  return {
    declares: p.declares,
    generator: (p.signals.find((s) => s.generator) || {}).generator || null,
    c2pa_signer: c2pa ? c2pa.signer || null : null,
    c2pa_status: c2pa ? c2pa.verified : null,
    provenance: p.signals.map(signalLine).join('; ') || null,
    metadata_unreadable: p.unreadable || null,
  };
}

/** items in the order they are shown; date a Date. */
export function exportDocument({ items, model, date = new Date() }) {
  const m = exportModel(model);
  return { generator: 'cifake', date: date.toISOString(), model: m, threshold: m.threshold, results: items.map(exportRow) };
}

export function toJson(doc) {
  return JSON.stringify(doc, null, 2) + '\n';
}

/** One CSV cell: quoted when needed, and text that starts like a formula (=, +, -, @, tab, CR)
 *  prefixed with ' so that a spreadsheet shows it instead of running it. Numbers stay numbers. */
export function csvCell(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_COLUMNS = ['index', 'name', 'path', 'bytes', 'sha256', 'status', 'label', 'p_fake', 'scope', 'reason',
  'detail', 'reliability', 'width', 'height', 'region_x', 'region_y', 'region_width', 'region_height', 'analysed_share',
  'model_view', 'decoder', 'format', 'cam_method', 'analysed_at', 'error', 'declares', 'generator', 'c2pa_signer',
  'c2pa_status', 'provenance', 'metadata_unreadable',
  'model_file', 'model_sha256', 'model_spec', 'model_version', 'model_trainer_version', 'threshold', 'export_date'];

export function toCsv(doc) {
  const m = doc.model;
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of doc.results) {
    const flat = {
      ...r, ...provenanceCells(r.provenance), region_x: r.region?.x, region_y: r.region?.y, region_width: r.region?.width, region_height: r.region?.height,
      model_file: m.file, model_sha256: m.sha256, model_spec: m.spec, model_version: m.version,
      model_trainer_version: m.trainer_version, threshold: doc.threshold,
      export_date: doc.date,
    };
    lines.push(CSV_COLUMNS.map((c) => csvCell(flat[c])).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}
