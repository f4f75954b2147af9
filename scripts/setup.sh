#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for r2end: system packages (libtorch + OpenMP OpenBLAS
# for the numeric engine, chromium for the browser test), the pinned npm dependencies, the
# native addon and the TypeScript build.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# chromium: the browser test of the web page (driven by playwright-core, never downloaded).
PACKAGES=(libtorch-dev libopenblas0-openmp chromium)
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

npm ci --no-audit --no-fund
npm run build:native
npm run build
