#!/usr/bin/env bash
# Installs what fastappkit needs on Debian 12: the build toolchain and libraries, the test
# tools (GoogleTest, PostgreSQL server, Alembic for the interoperability tests, clang with its
# sanitizer and libFuzzer runtimes for the checking build), and the benchmark tools. Safe to
# run again.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libsqlite3-dev sqlite3 libpqxx-dev libpq-dev libssl-dev
  libtomlplusplus-dev libcli11-dev libfmt-dev nlohmann-json3-dev libgtest-dev
  postgresql pgbouncer python3 python3-alembic python3-sqlalchemy python3-psycopg2
  hyperfine time ccache
  clang-14 libclang-rt-14-dev llvm-14
)

run() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  run apt-get update -qq
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "fastappkit dependencies are installed."
