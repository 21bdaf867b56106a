#!/usr/bin/env bash
# Runs the whole test suite: unit tests, CLI and interoperability tests on SQLite and on a
# throwaway PostgreSQL server (started here unless FASTAPPKIT_TEST_POSTGRES_URL is set), and
# the CMake-module tests that configure, build and test consumer projects. Then a second build
# with clang in build-check/, instrumented with AddressSanitizer + UndefinedBehaviorSanitizer
# and holding the libFuzzer targets: the unit and SQLite CLI tests run again under the
# sanitizers, and each fuzzer runs FASTAPPKIT_FUZZ_SECONDS (default 20) seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${FASTAPPKIT_TEST_POSTGRES_URL:-}" ]; then
  eval "$(bash tests/support/pg-start.sh)"
  trap 'bash tests/support/pg-stop.sh >/dev/null 2>&1 || true' EXIT
fi

cmake --preset default -DFASTAPPKIT_BUILD_TESTS=ON -DFASTAPPKIT_WARNINGS_AS_ERRORS=ON \
      -DFASTAPPKIT_TEST_POSTGRES_URL="$FASTAPPKIT_TEST_POSTGRES_URL"
cmake --build --preset default
ctest --preset default

cmake -S . -B build-check -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-g1 -O1" -DFASTAPPKIT_BUILD_TESTS=ON -DFASTAPPKIT_SANITIZE=ON -DFASTAPPKIT_FUZZ=ON \
  -DFASTAPPKIT_TEST_POSTGRES_URL="$FASTAPPKIT_TEST_POSTGRES_URL"
cmake --build build-check
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
ctest --test-dir build-check --output-on-failure -j 2 -L unit
ctest --test-dir build-check --output-on-failure -j 2 -L cli -R '_sqlite$'
bash fuzz/run.sh build-check "${FASTAPPKIT_FUZZ_SECONDS:-20}"
