#!/usr/bin/env bash
# The deeper checks, apart from the test command: a second build with clang 14 in build-check/,
# instrumented with AddressSanitizer + UndefinedBehaviorSanitizer and holding the libFuzzer
# targets; the unit and SQLite CLI tests run again under the sanitizers, and each fuzzer runs
# FASTAPPKIT_FUZZ_SECONDS (default 20) seconds. Starts its own PostgreSQL server like test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${FASTAPPKIT_TEST_POSTGRES_URL:-}" ]; then
  eval "$(bash tests/support/pg-start.sh)"
  trap 'bash tests/support/pg-stop.sh >/dev/null 2>&1 || true' EXIT
fi

cmake -S . -B build-check -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-g1 -O1" -DFASTAPPKIT_BUILD_TESTS=ON -DFASTAPPKIT_SANITIZE=ON -DFASTAPPKIT_FUZZ=ON \
  -DFASTAPPKIT_TEST_POSTGRES_URL="$FASTAPPKIT_TEST_POSTGRES_URL"
cmake --build build-check
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS="suppressions=$PWD/tests/support/lsan.supp"
ctest --test-dir build-check --output-on-failure -j 2 -L unit
ctest --test-dir build-check --output-on-failure -j 2 -L cli -R '_sqlite$'
bash fuzz/run.sh build-check "${FASTAPPKIT_FUZZ_SECONDS:-20}"
