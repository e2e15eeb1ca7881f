#!/usr/bin/env bash
# Runs each libFuzzer target of the `sanitize` build (build-sanitize/bin/
# ds-fuzz-*) for SECONDS (default 60), starting from the committed seeds in
# test/fuzz/corpus/<target> plus what earlier runs found (kept in
# build-sanitize/fuzz/<target>/corpus; the committed seeds are never
# written). A crash, sanitizer report, timeout or out-of-memory fails the
# script and leaves the input in build-sanitize/fuzz/<target>/ (crash-*,
# timeout-*, oom-*). The mutations follow FUZZ_SEED (default 1), so a run
# of the same length from the same corpus tries the same inputs: a test
# command that fails, fails again on a rerun. docs/fuzzing.md says how to
# run them for hours with fresh seeds.
set -euo pipefail

seconds=${1:-60}
seed=${FUZZ_SEED:-1}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${DS_SANITIZE_BUILD_DIR:-$repo/build-sanitize}
# Leaks are not checked for the reason check-sanitizers.sh gives.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
for target in import tensor; do
  fuzzer=$build/bin/ds-fuzz-$target
  work=$build/fuzz/$target
  mkdir -p "$work/corpus"
  echo "run-fuzzers: ds-fuzz-$target for ${seconds}s, seed $seed"
  # -timeout: an input taking over 30 s is a hang. -rss_limit_mb: the
  # importer fuzzer caps models at 64 MiB, so 4 GiB means a runaway.
  if ! "$fuzzer" -seed="$seed" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
      -print_final_stats=1 -artifact_prefix="$work/" \
      "$work/corpus" "$repo/test/fuzz/corpus/$target" \
      >"$work/log.txt" 2>&1; then
    echo "run-fuzzers: ds-fuzz-$target found a problem; last lines of $work/log.txt:"
    tail -n 40 "$work/log.txt"
    status=1
    continue
  fi
  grep -E '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' \
    "$work/log.txt" | sed "s/^/run-fuzzers: ds-fuzz-$target /"
done
exit $status
