#!/usr/bin/env bash
# Installs every Debian package mogo needs to build, test and run. Idempotent; run as root
# (or with sudo available) on a fresh Debian 12 machine.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libtorch-dev            # LibTorch C++ frontend (CPU, 1.13.1)
  libopenblas0-pthread    # without it LibTorch falls back to reference BLAS (~15x slower)
  libgtest-dev libgmock-dev
  libcli11-dev nlohmann-json3-dev libsentencepiece-dev libcpp-httplib-dev
  libprotobuf-dev xz-utils zlib1g-dev
  libtinygltf-dev         # glTF 2.0 export (.glb / .gltf + .bin)
  wordnet-base wordnet-dev  # WordNet 3.0: paraphrase augmentation and prompt alignment (src/text/lexicon)
  libgloo-dev             # distributed training: c10d's Gloo process group (src/train/distributed)
  chromium                # the web viewer's browser test (driven by puppeteer-core from npm)
  clang libclang-rt-14-dev  # libFuzzer: coverage-guided fuzzing of the parsers (scripts/fuzz.sh)
)

# With --bench: the peer of bench_hct_peer (PyTorch eager from Debian), not needed to build or test.
if [ "${1:-}" = "--bench" ]; then PACKAGES+=(python3-torch); fi

# npm packages of the web viewer (three.js) and its browser test (puppeteer-core, which drives
# Debian's chromium and downloads no browser), pinned by web/package-lock.json.
install_web() {
  local root
  root="$(cd "$(dirname "$0")/.." && pwd)"
  if [ ! -d "$root/web/node_modules/three" ] || [ ! -d "$root/web/node_modules/puppeteer-core" ]; then
    (cd "$root/web" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js + npm (three.js checks of BVH exports, web viewer): Debian's, unless some are present.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  install_web
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
echo "mogo setup: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
install_web
