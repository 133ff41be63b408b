#!/usr/bin/env bash
# make bench: our engine beside other engines in one run, on the shipped model and the paper's best
# topology (c128v,relu,mp,c128v,relu,mp,flat,d64,relu,d1). Timings only report; nothing here passes or
# fails on speed. The machine may be shared: ratios within one run are what count.
#   1. native training and inference against PyTorch (same spec, batch 128, 2 threads), in alternating
#      rounds (BENCH_ROUNDS, default 5) whose medians are compared;
#   2. the measured multiply-add peak, native (widest vectors of -march=native) and WebAssembly;
#   3. WebAssembly inference in Node: our module against onnxruntime-web and tfjs-wasm (js_bench.mjs);
#   4. module and weight sizes; the page's time to first verdict in Chromium (page_bench.mjs);
#   5. a 12-megapixel photo through a native-resolution patch model (the weights/WILD.md recipe, 11,750
#      patches of 32 px), natively (patch_bench.c) and in WebAssembly (patch_bench.mjs);
#   6. reading and checking the provenance of an 11-megapixel camera JPEG with Content Credentials,
#      beside classifying it (provenance_bench.c; skipped without ../shared).
# Prints one table with ratios (report.mjs) and writes build/bench.json; the parts stay in build/bench/.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PY=${PYTHON_TORCH:-/usr/bin/python3}
THREADS=${BENCH_THREADS:-2}
BATCH=${BENCH_BATCH:-128}
STEPS=${BENCH_STEPS:-30}
ROUNDS=${BENCH_ROUNDS:-5}
PAGE_RUNS=${BENCH_PAGE_RUNS:-5}
SHIPPED=${CIFAKE_WEIGHTS:-weights/cifake.bin}
PAPER_SPEC="c128v,relu,mp,c128v,relu,mp,flat,d64,relu,d1"
SPECS=(
  "c32,bn,relu,c32,bn,relu,mp,c64,bn,relu,c64,bn,relu,mp,c128,bn,relu,c128,bn,relu,gap,d1"
  "$PAPER_SPEC"
)
NAMES=("default (shipped)" "paper best (2x128)")
OUT="$BUILD/bench"
mkdir -p "$OUT"

echo "bench: native training and inference, ours and PyTorch ($ROUNDS alternating rounds, medians)" >&2
rows=()
for i in "${!SPECS[@]}"; do
  : > "$OUT/ours-$i.jsonl"
  : > "$OUT/pytorch-$i.jsonl"
  for _ in $(seq "$ROUNDS"); do
    "$BUILD/train_bench" "${SPECS[$i]}" "$THREADS" "$BATCH" "$STEPS" >> "$OUT/ours-$i.jsonl"
    "$PY" tests/bench/torch_train.py "${SPECS[$i]}" "$THREADS" "$BATCH" "$STEPS" >> "$OUT/pytorch-$i.jsonl"
  done
  ours=$(node tests/bench/median.mjs < "$OUT/ours-$i.jsonl")
  theirs=$(node tests/bench/median.mjs < "$OUT/pytorch-$i.jsonl")
  rows+=("{\"model\": \"${NAMES[$i]}\", \"ours\": $ours, \"pytorch\": $theirs}")
done
(IFS=,; echo "[${rows[*]}]") > "$OUT/training.json"

echo "bench: multiply-add peaks" >&2
"$BUILD/peak_fma" 1 > "$OUT/peak-native-1.json"
"$BUILD/peak_fma" "$THREADS" > "$OUT/peak-native-$THREADS.json"

# A paper-topology weight file: one epoch on 2,000 CIFAKE images, or on the shared samples when the
# dataset is absent (paper_weights.sh); its accuracy does not matter for speed.
PAPER="$OUT/paper.bin"
echo "bench: training a paper-topology file for the engines ($PAPER)" >&2
tests/bench/paper_weights.sh "$PAPER"

echo "bench: WebAssembly inference in Node (ours, onnxruntime-web, tfjs-wasm)" >&2
node tests/bench/js_bench.mjs "$OUT/js.json" "shipped=$SHIPPED" "paper=$PAPER"

wasm_bytes=$(stat -c %s web/cifake.wasm)
wasm_gzip=$(gzip -9 -c web/cifake.wasm | wc -c)
echo "{\"wasm_bytes\": $wasm_bytes, \"wasm_gzip9_bytes\": $wasm_gzip}" > "$OUT/sizes.json"

echo "bench: the page's time to first verdict in Chromium ($PAGE_RUNS loads)" >&2
node tests/bench/page_bench.mjs "$OUT/page.json" "$SHIPPED" "$PAGE_RUNS"

echo "bench: a 12-megapixel photo through a patch model, native and WebAssembly" >&2
PATCH_SPEC="npr,c16,bn,relu,mp,c32,bn,relu,mp,c64,bn,relu,mp,c64,bn,relu,gap,d1"
"$BUILD/patch_bench" "$PATCH_SPEC" 32 4000 3000 "$OUT/patch-model.bin" 5 > "$OUT/patch-native.json"
node tests/bench/patch_bench.mjs "$OUT/patch-model.bin" 4000 3000 3 > "$OUT/patch-wasm.json"
# the same model with a patch budget: a spread sample of the grid (patches.h)
PATCH_BUDGET=${PATCH_BUDGET:-1024}
"$BUILD/patch_bench" "$PATCH_SPEC" 32 4000 3000 "$OUT/patch-model-budget.bin" 5 "$PATCH_BUDGET" > "$OUT/patch-budget-native.json"
node tests/bench/patch_bench.mjs "$OUT/patch-model-budget.bin" 4000 3000 3 > "$OUT/patch-budget-wasm.json"

CAMERA_JPEG=../shared/provenance/camera/nikon_z9_c2pa_building.jpeg
rm -f "$OUT/provenance.json"
if [ -f "$CAMERA_JPEG" ]; then
  echo "bench: reading and checking the provenance of a camera JPEG" >&2
  "$BUILD/provenance_bench" "$CAMERA_JPEG" 15 > "$OUT/provenance.json"
else
  echo "bench: $CAMERA_JPEG not found: provenance timing skipped" >&2
fi

machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
node tests/bench/report.mjs "$BUILD" "$machine" "$THREADS" "$BATCH"
