#!/usr/bin/env bash
# tests/bench/paper_weights.sh OUT.bin: a paper-topology weight file for make bench's engines (one epoch;
# its accuracy does not matter for speed), on 2,000 CIFAKE images when $CIFAKE_DIR holds the dataset,
# else on the shared samples (47 training images after validation's share: batches of 16, since
# cifake-train refuses fewer images than one batch). The training log goes to OUT.log.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
THREADS=${BENCH_THREADS:-2}
PAPER_SPEC="c128v,relu,mp,c128v,relu,mp,flat,d64,relu,d1"
out=${1:?usage: paper_weights.sh OUT.bin}
if [ -d "${CIFAKE_DIR:-}/train" ]; then
  train_data=("--data" "$CIFAKE_DIR" "--subset" "2000")
else
  samples=${CIFAKE_SAMPLE_DIR:-../shared/data/cifake-sample}
  if [ ! -d "$samples/REAL" ] || [ ! -d "$samples/FAKE" ]; then
    echo "paper_weights.sh: neither \$CIFAKE_DIR ($CIFAKE_DIR) nor the shared samples ($samples) are there" >&2
    exit 1
  fi
  tiny=$(mktemp -d)
  trap 'rm -rf "$tiny"' EXIT
  for label in REAL FAKE; do
    mkdir -p "$tiny/train/$label" "$tiny/test/$label"
    cp "$samples/$label/"*.jpg "$tiny/train/$label/"
  done
  train_data=("--data" "$tiny" "--batch" "16")
fi
"$BUILD/cifake-train" "${train_data[@]}" --model "$PAPER_SPEC" --epochs 1 --no-test --threads "$THREADS" \
  --out "$out" 2> "$out.log" || { echo "paper_weights.sh: cifake-train failed (log: $out.log):" >&2; tail -n 3 "$out.log" >&2; exit 1; }
