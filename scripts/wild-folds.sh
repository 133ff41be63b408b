#!/bin/sh
# Leave-group-out experiments of the native-resolution patch models (weights/WILD.md): three folds over
# the groups of the wild data set, so every group is scored by a model that never saw it, each fold
# choosing its epoch on validation groups of its own. Resumable: a finished run (its .bin exists) is
# skipped, an interrupted one continues from its checkpoint. Usage: scripts/wild-folds.sh [RUN...]
# (default: the first comparison, in order; f0-* is the first final split, f4-* the final split of the
# enlarged data set), with WILD_DIR (default ../shared/data/wild), OUT (default build/wild) and
# THREADS (default 1). A run whose evaluation (NAME.eval.md: as they are, re-encoded as JPEG 90, and as
# delivered on the web, cifake-eval --web) is missing is evaluated again.
set -eu
WILD_DIR=${WILD_DIR:-../shared/data/wild}
OUT=${OUT:-build/wild}
THREADS=${THREADS:-1}
PLAIN="c16,bn,relu,mp,c32,bn,relu,mp,c64,bn,relu,mp,c64,bn,relu,gap,d1"
NPR="npr,$PLAIN"
# four times the parameters (twice the channels): 241,665 while training
WIDE="npr,c32,bn,relu,mp,c64,bn,relu,mp,c128,bn,relu,mp,c128,bn,relu,gap,d1"
XWIDE="npr,c64,bn,relu,mp,c128,bn,relu,mp,c256,bn,relu,mp,c256,bn,relu,gap,d1"

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
# the final split of the enlarged data set (new groups since f0), fixed before any result was seen.
# Test: whole multi-view sets (buddha_png, lossless PNG; monstree_iphone7; openmvg_drone_dji), downsized
# photos (dreambooth_subjects), older cameras (exif_samples); new, mostly photographic fakes, the JPEG
# tiles of swarmui_model_docs among them. Validation: the small camera groups and sceaux_castle;
# four fake groups of recent models. Training: everything else (imagenet_samples,
# metadata_extractor_cameras, strecha_mvs2008, urban100_png; dcsan_imagen, sd35l_artists, kolors_repo,
# infinity_repo, kandinsky3_repo, comfyui_examples).
F4_TEST=buddha_png,monstree_iphone7,openmvg_drone_dji,dreambooth_subjects,exif_samples,jaredturck_site,swarmui_model_docs,hunyuanimage3_repo,qwen_image_repo,gpt_image_gallery,nano_banana_gallery
# Candidates on f4, in this order: f4-nprw32, f4-nprw32g, f4-nprx32. The one shipped or reported is
# chosen on validation alone: the best selection score (mean of the validation AUROCs as they are and
# re-encoded as JPEG 90, at its chosen epoch, in NAME.log); test figures decide only the ship rule.
F4_VAL=sceaux_castle,immich_test_assets,exifr_fixtures,lychee_samples,opensfm_berlin,sharp_fixtures,exiv2_testdata,meissonic_repo,omnigen_repo,xflux_repo,hunyuandit_repo

train() { # name fold spec patch steps-per-epoch epochs [more cifake-train options]
    name=$1; fold=$2; spec=$3; patch=$4; steps=$5; epochs=$6; shift 6
    eval "test=\$F${fold}_TEST; val=\$F${fold}_VAL"
    bin=$OUT/$name.bin
    if [ -f "$bin" ] && [ -f "$OUT/$name.eval.md" ]; then echo "$name: done"; return 0; fi
    if [ ! -f "$bin" ]; then
        resume=""
        if [ -f "$bin.ckpt" ]; then resume="--resume $bin.ckpt"; fi
        echo "$name: training"
        nice -n 5 build/cifake-train --folders "$WILD_DIR" --patch "$patch" --model "$spec" --val-groups "$val" \
            --exclude-groups "$test" --epochs "$epochs" --steps-per-epoch "$steps" --threads "$THREADS" --seed 1 \
            --out "$bin" $resume "$@" >>"$OUT/$name.log" 2>&1
    fi
    echo "$name: evaluating"
    if nice -n 5 build/cifake-eval --weights "$bin" --folders "$WILD_DIR" --groups "$test" --threads "$THREADS" \
        --web --seed 1 --scores "$OUT/$name.scores.tsv" >"$OUT/$name.eval.md.tmp" 2>>"$OUT/$name.log"; then
        mv "$OUT/$name.eval.md.tmp" "$OUT/$name.eval.md"   # only a complete evaluation counts as done
    else
        echo "$name: evaluation failed"
    fi
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
    # wide NPR, 32 px, 30 x 250 batches, JPEG (default 90% of patches) and shrinking (40%) of both classes
    *-nprw32) train "$r" "$fold" "$WIDE" 32 250 30 --rescale-prob 0.4 ;;
    # the same, images drawn by generator rather than by group within a class
    *-nprw32g) train "$r" "$fold" "$WIDE" 32 250 30 --rescale-prob 0.4 --balance generator ;;
    # twice as wide again (sixteen times the first models' parameters), 20 x 250 batches
    *-nprx32) train "$r" "$fold" "$XWIDE" 32 250 20 --rescale-prob 0.4 ;;
    *) echo "unknown run $r" >&2; exit 2 ;;
    esac
done
