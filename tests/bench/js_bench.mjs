// js_bench.mjs - inference in Node (WebAssembly, one thread, SIMD) side by side: our module
// (web/cifake.wasm through web/detector.js) against onnxruntime-web (wasm backend, the model from
// cifake-export --onnx) and TensorFlow.js with @tensorflow/tfjs-backend-wasm (the same net built from
// the same weights with tfjs ops, tests/bench/tfjs_net.mjs), plus the WebAssembly multiply-add peak.
//
//   node tests/bench/js_bench.mjs OUT.json NAME=WEIGHTS [NAME=WEIGHTS ...]
//
// Every engine gets the same normalised tensors: the 48 shared sample images as our detector prepares
// them (classify(..., { input: true })), repeated to fill a batch. Each timed call includes handing the
// input to the engine and reading its probabilities back. Engines are timed in interleaved rounds (one
// call each per round, in rotating order) so that load from other processes on this shared machine
// falls on all of them alike; ratios within one run are what count. Batch 1: latency (median and p95
// over BENCH_LATENCY_RUNS calls after BENCH_WARMUP); batch 64: throughput (64 / median call time over
// BENCH_BATCH_RUNS calls). Ours at batch 64 is one call of the batch export (cfw_predict); 64 single
// calls are timed too, for comparison. Before timing, each engine's probabilities on the 48 samples are compared with ours
// (max_abs_diff), so a wrong net cannot be timed. Timings only report; nothing here passes or fails.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildTfjsNet, toNHWC } from './tfjs_net.mjs';
import { layersOf, multiplyAdds, readWeightFile } from './weightfile.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const build = path.join(root, 'build');
const sampleDir = process.env.CIFAKE_SAMPLE_DIR || path.resolve(root, '../shared/data/cifake-sample');
const WARMUP = Number(process.env.BENCH_WARMUP || 10);
const LATENCY_RUNS = Number(process.env.BENCH_LATENCY_RUNS || 100);
const BATCH_RUNS = Number(process.env.BENCH_BATCH_RUNS || 8);
const BATCH = 64;
const INPUT = 3 * 32 * 32;
const AGREEMENT = 1e-3; // largest |p_fake - ours| an engine may show before it is timed
const SINGLES = 'ours, 64 single calls';

const median = (xs) => quantile(xs, 0.5);
function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

// Times every engine's call `rounds` times in interleaved rounds; returns name -> durations in ms.
async function interleaved(calls, rounds, warmup) {
  const names = Object.keys(calls);
  for (const n of names) for (let i = 0; i < warmup; i++) await calls[n]();
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++)
    for (let j = 0; j < names.length; j++) {
      const n = names[(r + j) % names.length];
      const t0 = performance.now();
      await calls[n]();
      times[n].push(performance.now() - t0);
    }
  return times;
}

function samples() {
  const out = [];
  for (const label of ['REAL', 'FAKE'])
    for (const f of fs.readdirSync(path.join(sampleDir, label)).sort()) out.push(fs.readFileSync(path.join(sampleDir, label, f)));
  return out;
}

// The multiply-add peak of one WebAssembly thread (f32x4.mul + f32x4.add: SIMD128 has no FMA).
async function wasmPeak() {
  const file = path.join(build, 'peak_fma.wasm');
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(file), {});
  const { peak_fma_run: run, peak_fma_flops_per_step: perStep } = instance.exports;
  if (instance.exports._initialize) instance.exports._initialize();
  let steps = 1n << 16n;
  for (;;) {
    const t0 = performance.now();
    run(steps, 0.9999);
    if (performance.now() - t0 > 75) break;
    steps *= 2n;
  }
  steps *= 4n;
  let best = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    run(steps, 0.9999);
    best = Math.max(best, (perStep() * Number(steps)) / ((performance.now() - t0) / 1000) / 1e9);
  }
  return { isa: 'wasm-simd128 (f32x4 mul+add)', lanes: 4, threads: 1, gflops: Number(best.toFixed(2)) };
}

async function loadEngines() {
  const { loadDetector } = await import(pathToFileURL(path.join(root, 'web/detector.js')).href);
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  const tf = (await import('@tensorflow/tfjs-core')).default;
  const tfwasm = (await import('@tensorflow/tfjs-backend-wasm')).default;
  tfwasm.setWasmPaths(`${path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist')}/`);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false); // one thread, like the others
  tf.env().set('WASM_HAS_SIMD_SUPPORT', true);
  await tf.setBackend('wasm');
  await tf.ready();
  if (tf.getBackend() !== 'wasm') throw new Error('tfjs: the wasm backend did not load');
  const versions = {
    node: process.versions.node,
    'onnxruntime-web': JSON.parse(fs.readFileSync(path.join(root, 'node_modules/onnxruntime-web/package.json'))).version,
    'tfjs-wasm': tfwasm.version_wasm,
    'tfjs-core': tf.version_core,
  };
  return { loadDetector, ort, tf, versions };
}

async function benchModel(name, weights, { loadDetector, ort, tf }, images) {
  const onnxFile = path.join(build, 'bench', `${name}.onnx`);
  const r = spawnSync(path.join(build, 'cifake-export'), ['--onnx', onnxFile, '--weights', weights], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cifake-export: ${r.stderr}`);
  const { meta } = readWeightFile(weights);
  const macs = multiplyAdds(layersOf(meta.spec, meta.input.split('x').map(Number)));

  const d = await loadDetector({ wasm: path.join(root, 'web/cifake.wasm'), weights });
  const ourResults = images.map((b) => d.classify(b, { input: true }));
  const n = images.length;
  const all = new Float32Array(n * INPUT);
  ourResults.forEach((res, k) => all.set(res.input, k * INPUT));
  const batch = new Float32Array(BATCH * INPUT);
  for (let k = 0; k < BATCH; k++) batch.set(ourResults[k % n].input, k * INPUT);
  const one = all.slice(0, INPUT);
  const allNHWC = toNHWC(all, n), batchNHWC = toNHWC(batch, BATCH), oneNHWC = toNHWC(one, 1);

  const session = await ort.InferenceSession.create(fs.readFileSync(onnxFile), { executionProviders: ['wasm'] });
  const net = buildTfjsNet(tf, weights);
  const engines = {
    ours: async (x, count) => d.predict(x, count).pFake,
    'onnxruntime-web': async (x, count) => (await session.run({ input: new ort.Tensor('float32', x, [count, 3, 32, 32]) })).p_fake.data,
    'tfjs-wasm': async (x, count, nhwc) => {
      const input = tf.tensor4d(nhwc, [count, 32, 32, 3]);
      const y = net(input);
      const p = y.dataSync();
      tf.dispose([input, y]);
      return p;
    },
  };
  const inputs = { all: [all, n, allNHWC], one: [one, 1, oneNHWC], batch: [batch, BATCH, batchNHWC] };

  // the network's probabilities, one view (classify applies a file's tta=flip; the others cannot)
  const oneView = d.predict(all, n).pFake;
  const maxAbsDiff = {};
  for (const [engine, run] of Object.entries(engines)) {
    const p = await run(...inputs.all);
    maxAbsDiff[engine] = Math.max(...ourResults.map((res, k) => Math.abs(p[k] - oneView[k])));
    if (!(maxAbsDiff[engine] <= AGREEMENT))
      throw new Error(`${engine} on ${name}: probabilities differ from ours by ${maxAbsDiff[engine]}; not timing a different net`);
  }

  const call = (which) => Object.fromEntries(Object.entries(engines).map(([e, run]) => [e, () => run(...inputs[which])]));
  const bytes = images[0];
  const latency = await interleaved({
    ...call('one'),
    'ours classify (decode + forward)': async () => d.classify(bytes),
    'ours classify + Grad-CAM': async () => d.classify(bytes, { cam: 'gradcam' }),
  }, LATENCY_RUNS, WARMUP);
  const singles = async () => { for (let k = 0; k < BATCH; k++) d.predict(batch.subarray(k * INPUT, (k + 1) * INPUT), 1); };
  const throughput = await interleaved({ ...call('batch'), [SINGLES]: singles }, BATCH_RUNS, 2);
  d.dispose();
  await session.release();

  const gflops = (imagesPerS) => Number(((2 * macs * imagesPerS) / 1e9).toFixed(2));
  const result = { model: name, spec: meta.spec, macs_per_image: macs, weights_bytes: fs.statSync(weights).size,
    onnx_bytes: fs.statSync(onnxFile).size, batch: BATCH, latency_runs: LATENCY_RUNS, batch_runs: BATCH_RUNS, engines: {} };
  for (const engine of Object.keys(engines)) {
    const lat = latency[engine], per64 = median(throughput[engine]);
    const ips = (BATCH * 1000) / per64;
    result.engines[engine] = {
      latency_ms: { median: Number(median(lat).toFixed(3)), p95: Number(quantile(lat, 0.95).toFixed(3)) },
      batch1_gflops: gflops(1000 / median(lat)),
      batch64_images_per_s: Number(ips.toFixed(1)),
      batch64_gflops: gflops(ips),
      max_abs_diff_vs_ours: Number(maxAbsDiff[engine].toExponential(2)),
    };
  }
  for (const extra of ['ours classify (decode + forward)', 'ours classify + Grad-CAM']) {
    const lat = latency[extra];
    result.engines[extra] = { latency_ms: { median: Number(median(lat).toFixed(3)), p95: Number(quantile(lat, 0.95).toFixed(3)) } };
  }
  const singlesIps = (BATCH * 1000) / median(throughput[SINGLES]);
  result.engines[SINGLES] = { batch64_images_per_s: Number(singlesIps.toFixed(1)), batch64_gflops: gflops(singlesIps) };
  return result;
}

async function main() {
  const [out, ...models] = process.argv.slice(2);
  if (!out || !models.length || models.some((m) => !m.includes('='))) {
    console.error('usage: node tests/bench/js_bench.mjs OUT.json NAME=WEIGHTS [NAME=WEIGHTS ...]');
    process.exit(2);
  }
  fs.mkdirSync(path.join(build, 'bench'), { recursive: true });
  const engines = await loadEngines();
  const images = samples();
  const result = { versions: engines.versions, wasm_peak: await wasmPeak(), models: [] };
  for (const m of models) {
    const [name, weights] = m.split('=');
    process.stderr.write(`js_bench: ${name} (${weights})\n`);
    result.models.push(await benchModel(name, weights, engines, images));
  }
  fs.writeFileSync(`${out}.tmp`, `${JSON.stringify(result, null, 1)}\n`);
  fs.renameSync(`${out}.tmp`, out);
}

await main();
