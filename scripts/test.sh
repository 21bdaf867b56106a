#!/usr/bin/env bash
# Runs the whole test suite: unit tests, CLI and interoperability tests on SQLite and on a
# throwaway PostgreSQL server (started here, with a PgBouncer in front of it, unless
# FASTAPPKIT_TEST_POSTGRES_URL is set), and the CMake-module tests that configure, build and
# test consumer projects. The sanitizer and fuzzer stage is scripts/check.sh.
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
