#!/usr/bin/env bash
# Builds the `sanitize` preset (clang with AddressSanitizer and
# UndefinedBehaviorSanitizer over our code, the tools and the runtime; LLVM,
# MLIR and generated models are not instrumented) into build-sanitize/, runs
# the unit tests and every lit test (hostile-model corpus included) with it,
# then each libFuzzer target for FUZZ_SECONDS (default 60). Any report fails.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export CCACHE_BASEDIR="$repo"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake --preset sanitize "${launcher[@]}" >/dev/null
ninja -C build-sanitize

# LLVM and MLIR keep some allocations for the process's lifetime on
# purpose, so leaks are not reported; every other finding aborts the test.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
build-sanitize/bin/ds-unit-tests
lit=/usr/lib/llvm-19/build/utils/lit/lit.py
python3 "$lit" -sv build-sanitize/test
"$repo/scripts/run-fuzzers.sh" "${FUZZ_SECONDS:-60}"
