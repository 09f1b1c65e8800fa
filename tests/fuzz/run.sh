#!/usr/bin/env bash
# Builds the libFuzzer targets with clang++ under ASan/UBSan in their own build directory and runs
# each for a bounded time from seed corpora (tests/testdata and tests/fuzz/seeds). Fails on any
# crash, leak, sanitizer report or timeout.
#   FUZZ_SECONDS   seconds per target (default 60)
#   FUZZ_BUILD_DIR build directory (default <repo>/build-fuzz)
#   FUZZ_TARGETS   space-separated subset (default: all six)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
targets=${FUZZ_TARGETS:-"fuzz_admission fuzz_quantity fuzz_policy fuzz_manifest fuzz_json fuzz_framing"}

if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: clang++ not found; install clang and libclang-rt-14-dev (bash .ci/setup-deps.sh test)" >&2
  exit 1
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '#include <cstddef>\n#include <cstdint>\nextern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }\n' >"$probe/p.cpp"
if ! clang++ -fsanitize=fuzzer,address,undefined "$probe/p.cpp" -o "$probe/p" 2>"$probe/err"; then
  echo "fuzz: clang++ cannot link -fsanitize=fuzzer (libFuzzer missing: install libclang-rt-14-dev)" >&2
  cat "$probe/err" >&2
  exit 1
fi

# The libraries get coverage instrumentation and sanitizers too; only the fuzz targets link libFuzzer.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DGOPREFLIGHT_FUZZ=ON -DGOPREFLIGHT_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
  >"$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
# shellcheck disable=SC2086
cmake --build "$build" --target $targets -j2

work=$(mktemp -d)
trap 'rm -rf "$probe" "$work"' EXIT
seeds_for() {
  case $1 in
    fuzz_admission) echo "$root/tests/testdata/admission" ;;
    fuzz_quantity) echo "$root/tests/fuzz/seeds/quantity" ;;
    fuzz_policy) echo "$root/tests/testdata/policy" ;;
    fuzz_manifest) echo "$root/tests/testdata/review $root/tests/testdata/review/dir" ;;
    fuzz_json) echo "$root/tests/testdata/admission $root/tests/fuzz/seeds/json" ;;
    fuzz_framing) echo "$root/tests/fuzz/seeds/framing" ;;
  esac
}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
for t in $targets; do
  corpus="$work/$t"
  mkdir -p "$corpus" "$work/artifacts"
  seed_dirs=()
  for d in $(seeds_for "$t"); do
    [ -d "$d" ] && seed_dirs+=("$d")
  done
  echo "fuzz: $t for ${seconds}s (seeds: ${seed_dirs[*]:-none})"
  if ! "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$work/artifacts/$t-" "$corpus" "${seed_dirs[@]}" \
      >"$work/$t.log" 2>&1; then
    echo "fuzz: $t FAILED"
    # The report from its first line (sanitizer, libFuzzer timeout/leak/deadly signal) on.
    sed -n '/==ERROR\|runtime error\|ERROR: libFuzzer\|deadly signal/,$p' "$work/$t.log" | head -80
    for a in "$work/artifacts/$t-"*; do
      [ -f "$a" ] && { echo "--- reproducer $a (base64):"; base64 "$a" | head -40; }
    done
    failed=1
  else
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$work/$t.log" | sed "s/^/fuzz: $t /"
  fi
done
exit $failed
