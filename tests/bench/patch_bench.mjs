// patch_bench.mjs - the WebAssembly half of the full-size photo bench: the patch-model weight file
// that build/patch_bench wrote, through web/detector.js's classifyPixels on one random RGBA image of
// the same size, in Node (one thread, SIMD128). Prints one JSON line like patch_bench.
//
//   node tests/bench/patch_bench.mjs WEIGHTS.bin WIDTH HEIGHT [RUNS]
import { loadDetector } from '../../web/detector.js';

const [weights, w, h, runsArg] = process.argv.slice(2);
const width = Number(w), height = Number(h), runs = Number(runsArg || 3);
const d = await loadDetector({ wasm: new URL('../../web/cifake.wasm', import.meta.url), weights });
const rgba = new Uint8ClampedArray(width * height * 4);
let s = 7;
for (let i = 0; i < rgba.length; i++) {
  s = (s * 1664525 + 1013904223) >>> 0;
  rgba[i] = i % 4 === 3 ? 255 : s >>> 24;
}
const first = d.classifyPixels(rgba, width, height); // warm-up
const ms = [];
for (let k = 0; k < runs; k++) {
  const t0 = performance.now();
  d.classifyPixels(rgba, width, height);
  ms.push(performance.now() - t0);
}
ms.sort((a, b) => a - b);
console.log(JSON.stringify({ width, height, patches: first.patches.x.length, median_ms: Number(ms[runs >> 1].toFixed(1)),
  best_ms: Number(ms[0].toFixed(1)), runs }));
d.dispose();
