#!/usr/bin/env bash
# Installs what cifake needs on a Debian machine, skipping what is already there.
#   scripts/install-deps.sh build   what plain `make` needs: gcc, make, libstb-dev, libwebp-dev, libssl-dev
#   scripts/install-deps.sh serve   what `make serve` needs: the above, emscripten (the module),
#                                   python3 (the web server), nodejs and npm (the page's C2PA
#                                   verifier, fetched alone); no test tools
#   scripts/install-deps.sh         what `make test` needs: the above, python3-torch (reference
#                                   checks), clang and libclang-rt-14-dev (libFuzzer targets),
#                                   pkg-config (the installed library's test); for the WebAssembly and
#                                   page tests emscripten, nodejs, npm, chromium and the npm dev packages
#                                   (not with CIFAKE_NATIVE_ONLY=1)
set -euo pipefail
cd "$(dirname "$0")/.."
scope=${1:-all}
case $scope in build | serve | all) ;; *) echo "usage: $0 [build|serve|all]" >&2; exit 2 ;; esac

want=()
# need PACKAGE CHECK...: installs PACKAGE unless the check command succeeds (a tool may come from
# elsewhere than Debian, e.g. Node.js from nodesource, so look for the tool, not the package).
need() { local pkg=$1; shift; "$@" >/dev/null 2>&1 || want+=("$pkg"); }
install_wanted() {
  [ ${#want[@]} -gt 0 ] || return 0
  echo "installing Debian packages: ${want[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
      --no-install-recommends "${want[@]}" >/dev/null; }; then
    echo "cifake: could not install ${want[*]}; install them with: sudo apt-get install ${want[*]}" >&2
    exit 1
  fi
}
need gcc command -v gcc
need make command -v make
need libstb-dev test -f /usr/include/stb/stb_image.h
need libwebp-dev test -f /usr/include/webp/decode.h
need libssl-dev test -f /usr/include/openssl/evp.h
if [ "$scope" = serve ]; then
  need emscripten command -v emcc
  need python3 command -v python3
  need nodejs command -v node
  need npm command -v npm
fi
if [ "$scope" != all ]; then
  install_wanted
  exit 0
fi
need python3-torch /usr/bin/python3 -c 'import torch'
need pkg-config command -v pkg-config
# fuzzing (make fuzz, and the short fuzz run in make test): clang 14 with libFuzzer's runtime
need clang command -v clang
need libclang-rt-14-dev sh -c 'ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a'
if [ "${CIFAKE_NATIVE_ONLY:-0}" != 1 ]; then
  need emscripten command -v emcc
  need nodejs command -v node
  need npm command -v npm
  need chromium test -x /usr/bin/chromium
fi
install_wanted
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
