#!/usr/bin/env bash
# Installs what cifake needs on a Debian machine, skipping what is already there.
#   native build and tests: gcc, make, libstb-dev, python3-torch (reference checks)
#   WebAssembly and page tests: emscripten, nodejs, npm, chromium, and the npm dev packages
set -euo pipefail
cd "$(dirname "$0")/.."

want=()
need_pkg() { dpkg -s "$1" >/dev/null 2>&1 || want+=("$1"); }
for p in gcc make libstb-dev python3 python3-torch; do need_pkg "$p"; done
if [ "${CIFAKE_NATIVE_ONLY:-0}" != 1 ]; then
  for p in emscripten nodejs npm chromium; do need_pkg "$p"; done
fi
if [ ${#want[@]} -gt 0 ]; then
  echo "installing Debian packages: ${want[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
fi
if [ "${CIFAKE_NATIVE_ONLY:-0}" != 1 ] && [ -f package.json ] && [ ! -d node_modules ]; then
  echo "installing npm dev packages"
  npm install --no-audit --no-fund --loglevel=error
fi
