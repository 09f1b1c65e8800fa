#!/usr/bin/env bash
# Runs every test: installs test dependencies (Debian packages; Go tools are built and cached
# outside the repo by the tests that need them), builds with -Werror, runs ctest (unit,
# integration, helm, e2e), then the bounded fuzz run under ASan/UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
stage() { echo "run-all: [$((SECONDS / 60))m$((SECONDS % 60))s] $*"; }
stage "installing test dependencies"
bash .ci/setup-deps.sh test

build=${GOPREFLIGHT_BUILD_DIR:-$root/build-ci}
cmake -S . -B "$build" -G Ninja -DGOPREFLIGHT_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
stage "building"
cmake --build "$build" -j"$(nproc)"

# Unit tests in parallel, then the tests that start servers, one at a time.
stage "unit tests"
ctest --test-dir "$build" --output-on-failure -L unit -j"$(nproc)"
stage "integration, container, helm and e2e tests"
ctest --test-dir "$build" --output-on-failure -LE unit

# Fuzzing (clang, libFuzzer, ASan+UBSan), bounded in time.
if [ -f tests/fuzz/run.sh ]; then
  stage "fuzzing"
  bash tests/fuzz/run.sh
fi
stage "every stage passed"
