#!/usr/bin/env bash
# make bench: our engine and PyTorch side by side in one run, on the shipped model's training spec
# and the paper's best topology, same batch (128) and threads (2). Prints a table with ratios and
# writes build/bench.json. Timings only report; nothing here passes or fails on speed.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PY=${PYTHON_TORCH:-/usr/bin/python3}
THREADS=${BENCH_THREADS:-2}
BATCH=${BENCH_BATCH:-128}
STEPS=${BENCH_STEPS:-20}
SPECS=(
  "c32,bn,relu,c32,bn,relu,mp,c64,bn,relu,c64,bn,relu,mp,c128,bn,relu,c128,bn,relu,gap,d1"
  "c128v,relu,mp,c128v,relu,mp,flat,d64,relu,d1"
)
NAMES=("default (shipped)" "paper best (2x128)")
rows=()
printf '%-20s %10s %10s %7s %10s %10s %7s %9s\n' model "ours tr/s" "torch tr/s" ratio "ours inf/s" "torch inf/s" ratio "GFLOP/s"
for i in "${!SPECS[@]}"; do
  ours=$("$BUILD/train_bench" "${SPECS[$i]}" "$THREADS" "$BATCH" "$STEPS")
  theirs=$("$PY" tests/bench/torch_train.py "${SPECS[$i]}" "$THREADS" "$BATCH" "$STEPS")
  rows+=("{\"model\": \"${NAMES[$i]}\", \"ours\": $ours, \"pytorch\": $theirs}")
  "$PY" - "$ours" "$theirs" "${NAMES[$i]}" <<'PYEOF'
import json, sys
o, t, name = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
print(f"{name:<20} {o['train_images_per_s']:10.0f} {t['train_images_per_s']:10.0f} {o['train_images_per_s']/t['train_images_per_s']:6.2f}x"
      f" {o['infer_images_per_s']:10.0f} {t['infer_images_per_s']:10.0f} {o['infer_images_per_s']/t['infer_images_per_s']:6.2f}x {o['forward_gflops']:9.1f}")
PYEOF
done
machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
{
  printf '{"machine": "%s", "threads": %s, "batch": %s, "training": [\n' "$machine" "$THREADS" "$BATCH"
  (IFS=$',\n'; echo "${rows[*]}")
  printf ']}\n'
} > "$BUILD/bench.json.tmp" && mv "$BUILD/bench.json.tmp" "$BUILD/bench.json"
echo "machine: $machine; wrote $BUILD/bench.json"
