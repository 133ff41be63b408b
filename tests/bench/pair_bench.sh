#!/usr/bin/env bash
# pair_bench.sh - is one build of train_bench faster than another? On a shared machine a program's
# speed drifts by tens of percent from minute to minute, and the two cores need not be equally fast,
# so the two builds run at the same time, one thread each, pinned to different cores, and then again
# with the cores swapped. The geometric mean of the two speed ratios (NEW / OLD) of a swapped pair
# cancels the cores' difference and most of the drift. Timings only report.
#
#   tests/bench/pair_bench.sh OLD_TRAIN_BENCH NEW_TRAIN_BENCH [PAIRS] [SPEC]
# e.g. build an old commit's train_bench in a worktree (git worktree add /tmp/old REV && make -C
# /tmp/old build/train_bench) and compare it with build/train_bench.
set -euo pipefail
old=$1 new=$2 pairs=${3:-3}
spec=${4:-c32,bn,relu,c32,bn,relu,mp,c64,bn,relu,c64,bn,relu,mp,c128,bn,relu,c128,bn,relu,gap,d1}
steps=${BENCH_STEPS:-20}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
speed() { grep -o '"train_images_per_s": [0-9.]*' "$1" | cut -d' ' -f2; }
for _ in $(seq "$pairs"); do
  ratios=()
  for cores in "0 1" "1 0"; do
    read -r c_old c_new <<< "$cores"
    taskset -c "$c_old" "$old" "$spec" 1 128 "$steps" > "$tmp/old.json" &
    taskset -c "$c_new" "$new" "$spec" 1 128 "$steps" > "$tmp/new.json"
    wait
    ratios+=("$(awk -v a="$(speed "$tmp/old.json")" -v b="$(speed "$tmp/new.json")" 'BEGIN { printf "%.3f", b / a }')")
  done
  awk -v r1="${ratios[0]}" -v r2="${ratios[1]}" \
    'BEGIN { printf "new/old on cores (0,1): %s, swapped: %s, geometric mean %.3f\n", r1, r2, sqrt(r1 * r2) }'
done
