#!/usr/bin/env bash
# Fuzzes mogo's parsers (fuzz/harnesses.hpp): libFuzzer, coverage-guided, when clang is installed;
# otherwise the built-in mutator. Both run under AddressSanitizer + UndefinedBehaviorSanitizer.
#   scripts/fuzz.sh                          every target, 100000 inputs each
#   scripts/fuzz.sh bvh -max_total_time=3600 one target for an hour (any libFuzzer flags)
# Builds into build-fuzz/. A crash leaves its input as crash-<hash> in the current folder.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target=${1:-all}
shift || true
flags=("$@")
[ ${#flags[@]} -eq 0 ] && flags=(-runs=100000)
compilers=()
if command -v clang++ >/dev/null 2>&1; then compilers=(-DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang); fi
cmake -S "$root" -B "$root/build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMOGO_FUZZ=ON -DMOGO_BUILD_TESTS=OFF "${compilers[@]}" >/dev/null
cmake --build "$root/build-fuzz" --target mogo_fuzz -j"$(nproc)" >/dev/null
export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
targets=("$target")
[ "$target" = all ] && targets=(npy bvh captions mapping model-file server-request)
for t in "${targets[@]}"; do
  echo "== $t"
  regressions=()
  [ -d "$root/fuzz/regressions/$t" ] && regressions=("$root/fuzz/regressions/$t")
  "$root/build-fuzz/mogo_fuzz" "$t" "${flags[@]}" "${regressions[@]}" 2>&1 | grep -E "^(Done|#[0-9]+ +DONE|==|SUMMARY|mogo_fuzz|[a-z-]+: [0-9]+ inputs)|ERROR|crash" || true
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "fuzz target $t failed"; exit 1; }
done
