#!/bin/sh
# The CIFAKE thumbnail model (weights/cifake.bin) on 32x32 copies of the wild crops (weights/WILD.md,
# "The CIFAKE model on shrunk images"): every crop of both classes shrunk to 32x32 with each common
# resampler (scripts/wild-thumbs.c), then scored through the detector's own path, scope rules and UNSURE
# band included (cifake-eval --real --fake). Writes OUT/<resampler>/{real,fake}/<group>/*.png and the
# table OUT/<resampler>.md; a resampler whose table exists is skipped.
# Usage: scripts/wild-scope32.sh [RESAMPLER...] (default: area bilinear bicubic nearest-bilinear), with
# WILD_DIR (default ../shared/data/wild), OUT (default build/wild-scope32), WEIGHTS (default
# weights/cifake.bin) and THREADS (default 1). Needs build/cifake-eval (make build/cifake-eval).
set -eu
WILD_DIR=${WILD_DIR:-../shared/data/wild}
OUT=${OUT:-build/wild-scope32}
WEIGHTS=${WEIGHTS:-weights/cifake.bin}
THREADS=${THREADS:-1}
STB=${STB:-/usr/include/stb}
mkdir -p "$OUT"
cc -std=c11 -O2 -Wall -Wextra -Werror -I"$STB" scripts/wild-thumbs.c -lm -o "$OUT/wild-thumbs.tmp"
mv "$OUT/wild-thumbs.tmp" "$OUT/wild-thumbs"
(cd "$WILD_DIR" && find real fake -type f \( -name '*.jpg' -o -name '*.png' \) | LC_ALL=C sort) >"$OUT/list.tmp"
mv "$OUT/list.tmp" "$OUT/list"
for kind in ${*:-area bilinear bicubic nearest-bilinear}; do
    if [ -f "$OUT/$kind.md" ]; then echo "$kind: done"; continue; fi
    rm -rf "$OUT/$kind"
    nice -n 5 "$OUT/wild-thumbs" "$kind" "$WILD_DIR" "$OUT/$kind" <"$OUT/list"
    nice -n 5 build/cifake-eval --weights "$WEIGHTS" --real "$OUT/$kind/real" --fake "$OUT/$kind/fake" \
        --threads "$THREADS" >"$OUT/$kind.md.tmp"
    mv "$OUT/$kind.md.tmp" "$OUT/$kind.md"
    echo "$kind: $OUT/$kind.md"
done
