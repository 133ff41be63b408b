#!/usr/bin/env bash
# Installs what cifake needs on a Debian machine, skipping what is already there.
#   native build and tests: gcc, make, libstb-dev, python3-torch (reference checks),
#   clang and libclang-rt-14-dev (libFuzzer targets)
#   WebAssembly and page tests: emscripten, nodejs, npm, chromium, and the npm dev packages
set -euo pipefail
cd "$(dirname "$0")/.."

want=()
# need PACKAGE CHECK...: installs PACKAGE unless the check command succeeds (a tool may come from
# elsewhere than Debian, e.g. Node.js from nodesource, so look for the tool, not the package).
need() { local pkg=$1; shift; "$@" >/dev/null 2>&1 || want+=("$pkg"); }
need gcc command -v gcc
need make command -v make
need libstb-dev test -f /usr/include/stb/stb_image.h
need python3-torch /usr/bin/python3 -c 'import torch'
# fuzzing (make fuzz, and the short fuzz run in make test): clang 14 with libFuzzer's runtime
need clang command -v clang
need libclang-rt-14-dev sh -c 'ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a'
if [ "${CIFAKE_NATIVE_ONLY:-0}" != 1 ]; then
  need emscripten command -v emcc
  need nodejs command -v node
  need npm command -v npm
  need chromium test -x /usr/bin/chromium
fi
if [ ${#want[@]} -gt 0 ]; then
  echo "installing Debian packages: ${want[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
fi
# Every devDependency of package.json present in node_modules? (a checkout from before one was added
# still has node_modules, without it)
npm_complete() {
  node -e 'const fs = require("fs"); const deps = Object.keys(require("./package.json").devDependencies || {});
    process.exit(deps.every((d) => fs.existsSync(`node_modules/${d}/package.json`)) ? 0 : 1)' 2>/dev/null
}
if [ "${CIFAKE_NATIVE_ONLY:-0}" != 1 ] && [ -f package.json ] && ! npm_complete; then
  echo "installing npm dev packages"
  npm install --no-audit --no-fund --loglevel=error
fi
