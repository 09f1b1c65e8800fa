#!/usr/bin/env bash
# Runs every test: installs test dependencies (Debian packages; Go tools are built and cached
# outside the repo by the tests that need them), builds with -Werror, runs ctest (unit,
# integration, helm, e2e), then the bounded fuzz run under ASan/UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash .ci/setup-deps.sh test

build=${GOPREFLIGHT_BUILD_DIR:-$root/build-ci}
cmake -S . -B "$build" -G Ninja -DGOPREFLIGHT_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j"$(nproc)"

# Unit tests in parallel, then the tests that start servers, one at a time.
ctest --test-dir "$build" --output-on-failure -L unit -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -LE unit

# Fuzzing (clang, libFuzzer, ASan+UBSan), bounded in time.
if [ -f tests/fuzz/run.sh ]; then
  bash tests/fuzz/run.sh
fi
echo "run-all: every stage passed"
