// exports.js - the CSV and JSON exports of the results. No DOM: also used by the Node tests.
//
// Both carry the model (weight file name, SHA-256, spec, trainer version), its threshold, the date
// of the export, and per image its byte size, SHA-256, verdict, heatmap method and decoder, and its
// provenance (what its metadata declares: JSON the whole object, as `cifake-detect --json` prints it;
// CSV the declaration, generator, C2PA signer and status, and one line per signal). JSON numbers are
// numbers; CSV cells that a spreadsheet would run as a formula are neutralised.

import { signalLine } from './provenance.js';
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
    spec: info.spec ?? null, version: info.trainer_version ?? null, trained: info.date ?? null,
    threshold: num(info.threshold), temperature: num(info.temperature),
    test_accuracy: num(info.test_accuracy), test_auroc: num(info.test_auroc),
  };
}

export function exportRow(item) {
  const r = item.status === 'done' ? item.result : null;
  return {
    index: item.index, name: item.name, path: item.path, bytes: item.size, sha256: item.sha256,
    status: item.status, label: r ? r.label : null, p_fake: r ? round6(r.pFake) : null,
    scope: r ? r.scope : null, reason: r ? r.reason : null, reliability: r ? r.reliability : null,
    width: r ? r.width : null, height: r ? r.height : null,
    region: r ? { ...r.region } : null, analysed_share: r ? round6(analysedShare(r)) : null,
    model_view: r ? r.model.view : null, decoder: item.decoder, format: item.format,
    cam_method: r ? item.camMethod ?? null : null,
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
  'reliability', 'width', 'height', 'region_x', 'region_y', 'region_width', 'region_height', 'analysed_share',
  'model_view', 'decoder', 'format', 'cam_method', 'analysed_at', 'error', 'declares', 'generator', 'c2pa_signer',
  'c2pa_status', 'provenance', 'metadata_unreadable',
  'model_file', 'model_sha256', 'model_spec', 'model_version', 'threshold', 'export_date'];

export function toCsv(doc) {
  const m = doc.model;
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of doc.results) {
    const flat = {
      ...r, ...provenanceCells(r.provenance), region_x: r.region?.x, region_y: r.region?.y, region_width: r.region?.width, region_height: r.region?.height,
      model_file: m.file, model_sha256: m.sha256, model_spec: m.spec, model_version: m.version, threshold: doc.threshold,
      export_date: doc.date,
    };
    lines.push(CSV_COLUMNS.map((c) => csvCell(flat[c])).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}
