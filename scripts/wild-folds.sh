#!/bin/sh
# Leave-group-out experiments of the native-resolution patch models (weights/WILD.md): three folds over
# the groups of the wild data set, so every group is scored by a model that never saw it, each fold
# choosing its epoch on validation groups of its own. Resumable: a finished run (its .bin exists) is
# skipped, an interrupted one continues from its checkpoint. Usage: scripts/wild-folds.sh [RUN...]
# (default: the first comparison, in order; f0-* is the final split), with WILD_DIR (default ../shared/data/wild) and OUT (default build/wild).
set -eu
WILD_DIR=${WILD_DIR:-../shared/data/wild}
OUT=${OUT:-build/wild}
THREADS=${THREADS:-2}
PLAIN="c16,bn,relu,mp,c32,bn,relu,mp,c64,bn,relu,mp,c64,bn,relu,gap,d1"
NPR="npr,$PLAIN"

# fold: test groups (never loaded) and validation groups
F1_TEST=imagenet_samples,kolors_repo,hunyuandit_repo,kandinsky3_repo
F1_VAL=exif_samples,immich_test_assets,infinity_repo
F2_TEST=metadata_extractor_cameras,exif_samples,immich_test_assets,exifr_fixtures,lychee_samples,opensfm_berlin,sharp_fixtures,dcsan_imagen
F2_VAL=sceaux_castle,kandinsky3_repo,hunyuandit_repo
F3_TEST=strecha_mvs2008,sceaux_castle,sd35l_artists,comfyui_examples,infinity_repo
F3_VAL=exif_samples,immich_test_assets,hunyuandit_repo
# the final split, fixed before any result was seen: its test groups are kept for the model card
F0_TEST=metadata_extractor_cameras,sceaux_castle,kolors_repo,comfyui_examples,infinity_repo
F0_VAL=exif_samples,immich_test_assets,hunyuandit_repo,kandinsky3_repo

train() { # name fold spec patch steps-per-epoch epochs [more cifake-train options]
    name=$1; fold=$2; spec=$3; patch=$4; steps=$5; epochs=$6; shift 6
    eval "test=\$F${fold}_TEST; val=\$F${fold}_VAL"
    bin=$OUT/$name.bin
    if [ -f "$bin" ]; then echo "$name: done"; return 0; fi
    resume=""
    if [ -f "$bin.ckpt" ]; then resume="--resume $bin.ckpt"; fi
    echo "$name: training"
    nice -n 5 build/cifake-train --folders "$WILD_DIR" --patch "$patch" --model "$spec" --val-groups "$val" \
        --exclude-groups "$test" --epochs "$epochs" --steps-per-epoch "$steps" --threads "$THREADS" --seed 1 \
        --out "$bin" $resume "$@" >"$OUT/$name.log" 2>&1
    nice -n 5 build/cifake-eval --weights "$bin" --folders "$WILD_DIR" --groups "$test" --threads "$THREADS" \
        --scores "$OUT/$name.scores.tsv" >"$OUT/$name.eval.md" 2>>"$OUT/$name.log" || echo "$name: evaluation failed"
}

mkdir -p "$OUT"
runs=${*:-"f1-npr64 f1-plain64 f2-npr64 f2-plain64 f3-npr64 f3-plain64 f1-npr32 f2-npr32 f3-npr32"}
for r in $runs; do
    fold=$(echo "$r" | sed 's/^f\([0-9]\).*/\1/')
    case $r in
    *-npr64) train "$r" "$fold" "$NPR" 64 40 8 ;;
    *-plain64) train "$r" "$fold" "$PLAIN" 64 40 8 ;;
    *-npr32) train "$r" "$fold" "$NPR" 32 160 8 ;;
    *-plain32) train "$r" "$fold" "$PLAIN" 32 160 8 ;;
    *-npr64long) train "$r" "$fold" "$NPR" 64 40 16 ;;   # twice the steps
    *-npr32long) train "$r" "$fold" "$NPR" 32 160 16 ;;
    *-npr32rs) train "$r" "$fold" "$NPR" 32 160 8 --rescale-prob 0.3 ;;   # shrinking both classes at times
    *) echo "unknown run $r" >&2; exit 2 ;;
    esac
done
