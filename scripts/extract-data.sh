#!/usr/bin/env bash
# Makes the CIFAKE dataset available as data/cifake (git-ignored) in its Kaggle layout, from the
# team's archives in ../shared when they are there. Without them, tests that need the full dataset
# say they are skipped; point CIFAKE_DIR at your own copy to run them.
set -euo pipefail
cd "$(dirname "$0")/.."
src=../shared/data/cifake
dst=data/cifake
if [ -d "$dst/train/REAL" ] && [ -d "$dst/test/FAKE" ]; then exit 0; fi
if [ ! -f "$src/train.tar.gz" ]; then
  echo "note: $src not found; dataset tests will be skipped unless CIFAKE_DIR points at CIFAKE"
  exit 0
fi
echo "extracting CIFAKE into $dst"
if [ -f "$src/SHA256SUMS" ]; then (cd "$src" && sha256sum --quiet -c SHA256SUMS); fi
mkdir -p "$dst.partial"
tar -xzf "$src/train.tar.gz" -C "$dst.partial"
tar -xzf "$src/test.tar.gz" -C "$dst.partial"
rm -rf "$dst" && mv "$dst.partial" "$dst"
