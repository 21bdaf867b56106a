# Shared by the scenario_*.sh drivers of the CMake module tests (tests/cmake/CMakeLists.txt).
# A scenario runs as:
#   bash scenario_<name>.sh <cmake> <ctest> <ninja> <fastappkit source dir> <install prefix> <work dir>
# and exits non-zero, with a FAIL: line saying what differed, when an assertion fails.
set -euo pipefail

CMAKE=$1 CTEST=$2 NINJA=$3 SOURCE_DIR=$4 PREFIX=$5 WORK=$6
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECTS=$TESTS_DIR/projects
SHOP=$WORK/shop    # the scratch project (a copy of projects/shop)
BUILD=$WORK/build  # its build tree

# Nothing from the caller's environment may change what the runner resolves.
unset DATABASE_URL FASTAPPKIT_APP_PATH CMAKE_PREFIX_PATH CMAKE_GENERATOR CMAKE_BUILD_TYPE
export NO_COLOR=1
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}  # nested builds share 2 cores

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo; echo "=== $*"; }

# run <log> <command...>: runs the command, output to <log> and to this test's output; returns
# the command's exit status without stopping the script.
run() {
  local log=$1; shift
  echo "\$ $*" >"$log"
  set +e
  "$@" >>"$log" 2>&1
  local status=$?
  set -e
  cat "$log"
  return $status
}
# run_ok <log> <command...>: the command must succeed.
run_ok() { run "$@" || fail "'${*:2}' failed (exit status $?); see above"; }
# run_fails <log> <command...>: the command must fail.
run_fails() { if run "$@"; then fail "'${*:2}' succeeded; it should have failed"; fi; }

assert_eq() {  # actual expected what
  [[ "$1" == "$2" ]] || fail "$3: expected '$2', got '$1'"
}
# CMake re-wraps the text of its messages, so logs are searched with every run of whitespace
# (line breaks included) read as one space.
squeeze() { tr -s ' \t\n' '   '; }
assert_in_log() {  # log text what
  squeeze <"$1" | grep -qF -- "$(squeeze <<<"$2" | sed 's/ $//')" \
    || fail "$3: the output does not contain '$2'"
}
assert_not_in_log() {  # log text what
  if squeeze <"$1" | grep -qF -- "$(squeeze <<<"$2" | sed 's/ $//')"; then
    fail "$3: the output contains '$2'"
  fi
}
assert_exists() { [[ -e "$1" ]] || fail "$2: $1 does not exist"; }
assert_missing() { [[ ! -e "$1" ]] || fail "$2: $1 exists"; }

# sql <database file> <query>: rows as a|b lines, through the sqlite3 CLI or python3.
sql() {
  if command -v sqlite3 >/dev/null 2>&1; then
    sqlite3 -batch -noheader "$1" "$2"
  elif command -v python3 >/dev/null 2>&1; then
    python3 -c 'import sqlite3, sys
for row in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print(*row, sep="|")' "$1" "$2"
  else
    fail "neither the sqlite3 CLI nor python3 is installed: cannot read $1"
  fi
}

# A fresh copy of the scratch project, with an empty work directory.
new_project() {
  rm -rf "$WORK"
  mkdir -p "$WORK/logs"
  cp -R "$PROJECTS/shop" "$SHOP"
}

# configure <log name> [cmake arguments...]: configures the project with Ninja (must succeed).
configure() {
  local log=$WORK/logs/$1.log; shift
  run_ok "$log" "$CMAKE" -S "$SHOP" -B "$BUILD" -G Ninja -D "CMAKE_MAKE_PROGRAM=$NINJA" "$@"
}
# build <log name> [targets...]: cmake --build (must succeed).
build() {
  local log=$WORK/logs/$1.log; shift
  run_ok "$log" "$CMAKE" --build "$BUILD" ${1:+--target} "$@"
}

# The migrate targets Ninja knows, sorted, on one line.
migrate_targets() {
  "$NINJA" -C "$BUILD" -t targets all | sed -n 's/^\([A-Za-z0-9_.+-]*migrate_[a-z0-9_]*\): phony$/\1/p' \
    | sort | tr '\n' ' ' | sed 's/ $//'
}
# Everything a migrate target's command waits for (its order-only inputs in build.ninja).
target_inputs() {
  "$NINJA" -C "$BUILD" -t query "CMakeFiles/$1" | sed -n 's/^ *|| //p' | sort
}
# The migrate targets a migrate target waits for, sorted, on one line.
target_dependencies() {
  target_inputs "$1" | grep -E '^[A-Za-z0-9_.+-]*migrate_' | tr '\n' ' ' | sed 's/ $//' || true
}
# The Ninja pool of a target's command: "console" (USES_TERMINAL) or "" (runs in parallel).
target_pool() {
  awk -v edge="build CMakeFiles/$1 " '
    index($0, edge) == 1 { inside = 1; next }
    inside && /^ *pool = / { sub(/^ *pool = /, ""); print; exit }
    inside && /^$/ { exit }' "$BUILD/build.ninja"
}

# Adds the app projects/extra_apps/<name> to the scratch project (after the others in `apps`).
add_app() {
  cp -R "$PROJECTS/extra_apps/$1" "$SHOP/external/$1"
  sed -i "s/^apps = \[\(.*\)\]$/apps = [\1, \"$1\"]/" "$SHOP/fastappkit.toml"
  grep -q "\"$1\"\]$" "$SHOP/fastappkit.toml" || fail "could not add $1 to fastappkit.toml"
}

# Asserts the scratch project's database after migrate_all: every history at its head, the apps'
# own data (payments read analytics' table), and analytics migrated before payments.
assert_shop_migrated() {
  local db=$1
  assert_exists "$db" "the database"
  assert_eq "$(sql "$db" 'SELECT version_num FROM alembic_version')" c0c0c0c0c002 \
    "core + internal version row"
  assert_eq "$(sql "$db" 'SELECT version_num FROM alembic_version_analytics')" a1a1a1a1a101 \
    "analytics version row"
  assert_eq "$(sql "$db" 'SELECT version_num FROM alembic_version_payments')" b2b2b2b2b201 \
    "payments version row"
  assert_eq "$(sql "$db" 'SELECT version_num FROM alembic_version_audit')" d4d4d4d4d401 \
    "audit version row"
  assert_eq "$(sql "$db" 'SELECT count(*) FROM payment')" 1 "rows payments copied from analytics"
  # fastappkit_history holds one row per applied revision, in the order they were applied.
  local order
  order=$(sql "$db" 'SELECT version_table FROM fastappkit_history ORDER BY rowid' | tr '\n' ' ')
  echo "history order: $order"
  [[ "$order" == "alembic_version alembic_version "* ]] || fail "core did not run first: $order"
  [[ "$order" == *alembic_version_analytics*alembic_version_payments* ]] \
    || fail "payments ran before analytics, which it requires: $order"
}
