// report.mjs - the end of `make bench`: merges the parts tests/bench/run_bench.sh measured into one
// table with ratios (printed) and BUILD/bench.json (written atomically). Ratios are ours / theirs as
// speeds: above 1 means ours is faster (for latency: their time / our time).
//
//   node tests/bench/report.mjs BUILD MACHINE THREADS BATCH
import fs from 'node:fs';
import path from 'node:path';

const [build, machine, threadsArg, batchArg] = process.argv.slice(2);
const dir = path.join(build, 'bench');
const load = (f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
const threads = Number(threadsArg), batch = Number(batchArg);

const training = load('training.json');
const peak = { native_1_thread: load('peak-native-1.json'), native_threads: load(`peak-native-${threads}.json`) };
const js = load('js.json');
peak.wasm_1_thread = js.wasm_peak;
const sizes = load('sizes.json');
const page = load('page.json');
const photo = { native: load('patch-native.json'), wasm: load('patch-wasm.json') };
const sampled = { native: load('patch-budget-native.json'), wasm: load('patch-budget-wasm.json') };
// Absent when ../shared (and so the camera original it is timed on) is not beside the repository.
const provenance = fs.existsSync(path.join(build, 'bench', 'provenance.json')) ? load('provenance.json') : null;

const fmt = (x, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const ratio = (x) => `${x.toFixed(2)}x`;
const pad = (s, n, left = false) => (left ? String(s).padEnd(n) : String(s).padStart(n));
const lines = [];
const row = (cells, widths) => lines.push(cells.map((c, i) => pad(c, widths[i], i < 2)).join(' '));

lines.push(`Native: gcc -O3 -march=native, batch ${batch}, ${threads} threads; peer pytorch; medians of ` +
  `${training[0].ours.rounds} alternating rounds (ratio = ours / theirs images/s)`);
let w = [20, 0, 10, 10, 7, 11, 11, 7, 8, 7];
row(['model', '', 'ours tr/s', 'torch tr/s', 'ratio', 'ours inf/s', 'torch inf/s', 'ratio', 'GFLOP/s', '% peak'], w);
for (const t of training) {
  const o = t.ours, p = t.pytorch;
  t.ours.forward_share_of_peak = Number((o.forward_gflops / peak.native_threads.gflops).toFixed(3));
  row([t.model, '', fmt(o.train_images_per_s), fmt(p.train_images_per_s), ratio(o.train_images_per_s / p.train_images_per_s),
    fmt(o.infer_images_per_s), fmt(p.infer_images_per_s), ratio(o.infer_images_per_s / p.infer_images_per_s),
    fmt(o.forward_gflops, 1), `${fmt(100 * t.ours.forward_share_of_peak)}%`], w);
}
for (const t of training) {
  const o = t.ours.train_images_per_s_runs, p = t.pytorch.train_images_per_s_runs;
  if (!o || !p) continue;
  lines.push(`  ${t.model} training rounds, ours: ${o.map((x) => fmt(x)).join(' ')}; pytorch: ${p.map((x) => fmt(x)).join(' ')}; ` +
    `best against best ${ratio(Math.max(...o) / Math.max(...p))}`);
}
lines.push(`  measured peak (multiply-add loop): ${peak.native_threads.isa} ${fmt(peak.native_threads.gflops, 1)} GFLOP/s on ` +
  `${threads} threads, ${fmt(peak.native_1_thread.gflops, 1)} on 1`);
lines.push('');
lines.push(`WebAssembly in Node ${js.versions.node}, 1 thread, SIMD128; peers onnxruntime-web ${js.versions['onnxruntime-web']}` +
  ` and tfjs-wasm ${js.versions['tfjs-wasm']} (ratio = ours / theirs as speed; batch 64 = one batched call each)`);
w = [20, 32, 9, 9, 8, 11, 8, 8, 8, 9];
row(['model', 'engine', 'b1 ms', 'b1 p95', 'b1 ratio', 'b64 img/s', 'b64 ratio', 'GFLOP/s', '% peak', 'max|dp|'], w);
for (const m of js.models) {
  const ours = m.engines.ours;
  for (const [name, e] of Object.entries(m.engines)) {
    const full = 'batch64_images_per_s' in e;
    if (full) e.batch64_share_of_wasm_peak = Number((e.batch64_gflops / peak.wasm_1_thread.gflops).toFixed(3));
    if (name === 'onnxruntime-web' || name === 'tfjs-wasm') {
      e.ratio_latency = Number((e.latency_ms.median / ours.latency_ms.median).toFixed(3));
      e.ratio_batch64 = Number((ours.batch64_images_per_s / e.batch64_images_per_s).toFixed(3));
    }
    const lat = e.latency_ms;
    row([m.model, name, lat ? fmt(lat.median, 2) : '', lat ? fmt(lat.p95, 2) : '', e.ratio_latency ? ratio(e.ratio_latency) : '',
      full ? fmt(e.batch64_images_per_s) : '', e.ratio_batch64 ? ratio(e.ratio_batch64) : '',
      full ? fmt(e.batch64_gflops, 1) : '', full ? `${fmt(100 * e.batch64_share_of_wasm_peak)}%` : '',
      'max_abs_diff_vs_ours' in e ? e.max_abs_diff_vs_ours.toExponential(1) : ''], w);
  }
}
lines.push(`  measured peak: wasm f32x4 mul+add ${fmt(peak.wasm_1_thread.gflops, 1)} GFLOP/s on 1 thread; ` +
  `multiply-adds per image: ${js.models.map((m) => `${m.model} ${fmt(m.macs_per_image / 1e6, 1)} M`).join(', ')}`);
lines.push('');
lines.push(`Module web/cifake.wasm: ${fmt(sizes.wasm_bytes)} bytes, ${fmt(sizes.wasm_gzip9_bytes)} gzip -9; weight files: ` +
  js.models.map((m) => `${m.model} ${fmt(m.weights_bytes)} bytes (ONNX ${fmt(m.onnx_bytes)})`).join(', '));
lines.push(`Page, time to first verdict (navigation start to the verdict of one dropped sample, fresh Chromium settled after launch, ` +
  `${page.runs} loads, dropped at DOMContentLoaded): median ${fmt(page.median_ms)} ms, ${fmt(page.drop_to_verdict_median_ms)} ms ` +
  `after the drop (model ready at ${fmt(page.model_ready_median_ms)} ms)`);
lines.push(`A ${fmt(photo.native.width)} x ${fmt(photo.native.height)} photo through a patch model (${fmt(photo.native.patches)} ` +
  `patches of ${photo.native.patch} px, ${fmt(photo.native.madds_per_patch / 1e6, 1)} M multiply-adds each): native 1 thread ` +
  `median ${fmt(photo.native.median_ms)} ms (best ${fmt(photo.native.best_ms)}), WebAssembly median ${fmt(photo.wasm.median_ms)} ms ` +
  `(best ${fmt(photo.wasm.best_ms)})`);
lines.push(`The same with a patch budget of ${fmt(sampled.native.budget)} (a spread sample of ${fmt(sampled.native.patches)} patches): ` +
  `native median ${fmt(sampled.native.median_ms)} ms (best ${fmt(sampled.native.best_ms)}), WebAssembly median ` +
  `${fmt(sampled.wasm.median_ms)} ms (best ${fmt(sampled.wasm.best_ms)})`);
if (provenance) {
  lines.push(`Provenance of a ${fmt(provenance.width)} x ${fmt(provenance.height)} camera JPEG with EXIF, MakerNotes and ` +
    `Content Credentials (${fmt(provenance.file_bytes)} bytes), native, medians of ${provenance.runs}: reading the metadata ` +
    `${fmt(provenance.metadata_ms, 2)} ms, checking the credentials ${fmt(provenance.c2pa_verify_ms, 2)} ms, beside ` +
    `${fmt(provenance.classify_ms, 1)} ms to decode and classify the image (budget for reading: 2 ms)`);
}
lines.push(`machine: ${machine}`);
console.log(lines.join('\n'));

const doc = {
  machine, threads, batch,
  training,
  peak,
  inference_wasm: { versions: js.versions, threads: 1, batch: 64, models: js.models },
  sizes: { ...sizes, weights: Object.fromEntries(js.models.map((m) => [m.model, m.weights_bytes])),
    onnx: Object.fromEntries(js.models.map((m) => [m.model, m.onnx_bytes])) },
  page,
  full_size_photo: photo,
  full_size_photo_sampled: sampled,
  provenance,
};
const out = path.join(build, 'bench.json');
fs.writeFileSync(`${out}.tmp`, `${JSON.stringify(doc, null, 1)}\n`);
fs.renameSync(`${out}.tmp`, out);
console.log(`wrote ${out}`);
