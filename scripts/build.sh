#!/usr/bin/env bash
# Configures and builds mogo into ./build (Release; pass -DCMAKE_BUILD_TYPE=RelWithDebInfo for debug info). Extra args go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j"$(nproc)"
