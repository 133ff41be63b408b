#!/usr/bin/env bash
# Copies the C2PA project's verifier (@contentauth/c2pa-wasm, the version package.json pins) into
# web/vendor/c2pa/ (git-ignored), which web/c2pa.js loads when a file carries Content Credentials.
# Taken from node_modules when `npm install` put it there, else fetched alone with `npm pack` (no
# other package is installed: serving the page needs nothing else from npm).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=web/vendor/c2pa
FILES=(c2pa.js c2pa_bg.wasm)
version=$(node -p 'require("./package.json").devDependencies["@contentauth/c2pa-wasm"]')
src=node_modules/@contentauth/c2pa-wasm
if [ -f "$src/package.json" ] && [ "$(node -p "require('./$src/package.json').version")" = "$version" ]; then
  pkg=$src/pkg
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "cifake: fetching @contentauth/c2pa-wasm@$version (the page's Content Credentials verifier)"
  if ! (cd "$tmp" && npm pack --silent "@contentauth/c2pa-wasm@$version" >/dev/null 2>&1 && tar -xzf ./*.tgz); then
    echo "cifake: could not fetch @contentauth/c2pa-wasm@$version: the page will say Content Credentials were not checked" >&2
    exit 0
  fi
  pkg=$tmp/package/pkg
fi
mkdir -p "$OUT"
for f in "${FILES[@]}"; do
  cp "$pkg/$f" "$OUT/$f.tmp"
  mv "$OUT/$f.tmp" "$OUT/$f"
done
