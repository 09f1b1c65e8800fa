#!/usr/bin/env bash
# Runs every test, what CI runs (.ci/run): installs test dependencies (Debian packages and a Go;
# Go tools are built and cached outside the repo by the tests that need them), builds with
# -Werror, runs the unit tests, the unit tests again under ASan/UBSan, the performance gates
# (tests/bench/gates), ctest's integration, container, helm and e2e tests, then the bounded fuzz
# run. Stops at the first failing stage; a table of the stages and their times ends the output
# (on failure too). See docs/testing.md.
#   GOPREFLIGHT_BUILD_DIR       build directory (default build-ci; build-ci-asan beside it)
#   GOPREFLIGHT_SKIP_STAGES     space-separated stage keys to skip (asan gates integration fuzz)
#   FUZZ_SECONDS                seconds per fuzz target (default here 30)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# --- stage bookkeeping: name, seconds, result; the table is printed on exit, whatever happens.
stage_names=() stage_secs=() stage_results=()
current= current_start=0
stage() { # KEY NAME: ends the running stage (passed), starts NAME; returns 1 if KEY is skipped
  end_stage passed
  case " ${GOPREFLIGHT_SKIP_STAGES:-} " in
    *" $1 "*) stage_names+=("$2"); stage_secs+=(0); stage_results+=(skipped); echo "run-all: skipping $2"; return 1 ;;
  esac
  current=$2 current_start=$SECONDS
  echo "run-all: [$((SECONDS / 60))m$((SECONDS % 60))s] $2"
}
end_stage() {
  [ -n "$current" ] || return 0
  stage_names+=("$current"); stage_secs+=($((SECONDS - current_start))); stage_results+=("$1")
  current=
}
print_table() {
  local i
  echo
  echo "run-all: stages"
  printf '  %-44s %8s  %s\n' stage time result
  for i in "${!stage_names[@]}"; do
    printf '  %-44s %5dm%02ds  %s\n' "${stage_names[$i]}" $((stage_secs[i] / 60)) $((stage_secs[i] % 60)) "${stage_results[$i]}"
  done
  printf '  %-44s %5dm%02ds\n' total $((SECONDS / 60)) $((SECONDS % 60))
}
on_exit() {
  local rc=$?
  if [ "$rc" -eq 0 ]; then end_stage passed; else end_stage FAILED; fi
  print_table
  [ "$rc" -eq 0 ] && echo "run-all: every stage passed" || echo "run-all: FAILED (exit $rc)"
}
trap on_exit EXIT

stage deps "dependencies (.ci/setup-deps.sh test)" && bash .ci/setup-deps.sh test

# ccache, when installed, for every configure below (CMake reads CMAKE_CXX_COMPILER_LAUNCHER from
# the environment), with its cache outside the repo.
if command -v ccache >/dev/null 2>&1; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache
  export CCACHE_DIR=${CCACHE_DIR:-/var/cache/gopreflight/ccache} CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
  mkdir -p "$CCACHE_DIR"
fi
build=${GOPREFLIGHT_BUILD_DIR:-$root/build-ci}
asan_build=$build-asan
jobs=$(nproc)

stage build "build (-Werror, RelWithDebInfo)"
cmake -S . -B "$build" -G Ninja -DGOPREFLIGHT_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$jobs"

# --no-tests=error: a label or filter that matches nothing fails instead of passing.
stage unit "unit tests"
ctest --test-dir "$build" --output-on-failure --no-tests=error -L unit -j"$jobs"

# The unit tests again, built with ASan and UBSan (no benchmarks: all that is built is the two
# programs and the tests). Without -Werror: the build above holds the warnings; with
# -fsanitize, g++ 12 warns "may be used uninitialized" inside libstdc++'s <regex> (false
# positives in std::function moves) and would stop this build.
if stage asan "unit tests and the server integration tests under ASan/UBSan"; then
  cmake -S . -B "$asan_build" -G Ninja -DGOPREFLIGHT_WERROR=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DGOPREFLIGHT_SANITIZE=ON -DGOPREFLIGHT_BENCH=OFF >/dev/null
  cmake --build "$asan_build" -j"$jobs"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    ctest --test-dir "$asan_build" --output-on-failure --no-tests=error -L unit -j"$jobs"
  # The webhook server under hostile and ordinary clients (framing, deadlines, reload, shutdown).
  # Our operator new is left out of sanitizer builds, so ASan sees every allocation. Not
  # it_flood: its 128 MiB RSS bound is for the release build (ASan's shadow memory alone exceeds it).
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    ctest --test-dir "$asan_build" --output-on-failure --no-tests=error -L integration -R '^server_' -E flood
fi

# Figures the README states, as ratios measured in this run or as instruction counts.
stage gates "performance gates (tests/bench/gates)" && bash tests/bench/gates/run.sh "$build"

# Integration, container, helm and e2e tests start servers: one at a time.
stage integration "integration, container, helm and e2e tests" &&
  ctest --test-dir "$build" --output-on-failure --no-tests=error -LE unit

# Fuzzing (clang, libFuzzer, ASan+UBSan), bounded in time.
if [ -f tests/fuzz/run.sh ] && stage fuzz "fuzzing (${FUZZ_SECONDS:-30} s per target)"; then
  FUZZ_SECONDS=${FUZZ_SECONDS:-30} bash tests/fuzz/run.sh
fi
