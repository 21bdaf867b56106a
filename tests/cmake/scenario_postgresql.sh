# The targets and a fixture on PostgreSQL (the server of FASTAPPKIT_TEST_POSTGRES_URL):
# migrate_all with DATABASE_URL from the build's environment; the migrate_<app> targets of
# independent apps in parallel under the runner's per-history locks; a fixture database
# created, migrated and dropped.
#   bash scenario_postgresql.sh ... <work dir> <server URL>
source "$(dirname "$0")/lib.sh"
SERVER_URL=$7
command -v psql >/dev/null || fail "psql is not installed"
RUNNER=$PREFIX/bin/fastappkit

# The URL of database <name> on the server.
database_url() {
  local base=${SERVER_URL%%\?*} query=
  [[ "$SERVER_URL" == *\?* ]] && query="?${SERVER_URL#*\?}"
  local scheme=${base%%://*} rest=${base#*://}
  echo "$scheme://${rest%%/*}/$1$query"
}
psql_server() { psql "$SERVER_URL" -X -q -t -A -v ON_ERROR_STOP=1 -c "$1"; }
password=$(sed -n 's#^[^:]*://[^:/@]*:\([^@]*\)@.*#\1#p' <<<"$SERVER_URL")

build_db=fastappkit_cmake_module_build
fixture_db=fastappkit_cmake_module_fixture
new_project
trap '"$RUNNER" -q --database-url "$(database_url $build_db)" db drop >/dev/null 2>&1 || true' EXIT

step "migrate_all on PostgreSQL"
run_ok "$WORK/logs/reset.log" "$RUNNER" -q --database-url "$(database_url $build_db)" db reset
cat >"$WORK/pg_fixture.cmake" <<'CMAKE'
fastappkit_add_test_fixture(pg_db DATABASE_URL "${PG_FIXTURE_URL}")
fastappkit_add_test(NAME sees_pg_db
  COMMAND sh "${CMAKE_CURRENT_SOURCE_DIR}/check_fixture.sh" pg_db
  FIXTURE pg_db)
# ISOLATED: each test writes to its own CREATE DATABASE ... TEMPLATE copy of the fixture's.
fastappkit_add_test_fixture(pg_iso DATABASE_URL "${PG_ISO_URL}")
foreach(n IN ITEMS 1 2 3)
  fastappkit_add_test(NAME pg_writes_${n}
    COMMAND sh -c "psql \"$DATABASE_URL\" -X -q -t -A -v ON_ERROR_STOP=1 -c 'INSERT INTO payment (id, event_id) VALUES (1000, 0)' -c 'SELECT pg_sleep(0.3)' -c 'SELECT count(*) FROM payment' | tail -n 1 | grep -x 2"
    FIXTURE pg_iso ISOLATED)
endforeach()
CMAKE
iso_db=fastappkit_cmake_module_iso
configure configure -D "CMAKE_PREFIX_PATH=$PREFIX" -D "CONSUMER_EXTRA_CODE=$WORK/pg_fixture.cmake" \
  -D "PG_FIXTURE_URL=$(database_url $fixture_db)" -D "PG_ISO_URL=$(database_url $iso_db)"
DATABASE_URL=$(database_url $build_db) build migrate_all migrate_all
DATABASE_URL=$(database_url $build_db) build migrate_all_again migrate_all
query() { psql "$(database_url $build_db)" -X -q -t -A -v ON_ERROR_STOP=1 -c "$1"; }
assert_eq "$(query 'SELECT version_num FROM alembic_version')" c0c0c0c0c002 "core + internal version row"
for row in analytics:a1a1a1a1a101 payments:b2b2b2b2b201 audit:d4d4d4d4d401; do
  assert_eq "$(query "SELECT version_num FROM alembic_version_${row%%:*}")" "${row#*:}" \
    "${row%%:*} version row"
done
assert_eq "$(query 'SELECT count(*) FROM payment')" 1 "rows payments copied from analytics"
assert_eq "$(query 'SELECT count(*) FROM fastappkit_history')" 5 "fastappkit_history rows"

step "migrate_payments and migrate_audit on PostgreSQL: analytics and audit in parallel"
run_ok "$WORK/logs/reset_again.log" "$RUNNER" -q --database-url "$(database_url $build_db)" db reset
DATABASE_URL=$(database_url $build_db) build per_app migrate_payments migrate_audit
for row in analytics:a1a1a1a1a101 payments:b2b2b2b2b201 audit:d4d4d4d4d401; do
  assert_eq "$(query "SELECT version_num FROM alembic_version_${row%%:*}")" "${row#*:}" \
    "${row%%:*} version row after the per-app targets"
done
assert_eq "$(query 'SELECT count(*) FROM fastappkit_history')" 5 \
  "fastappkit_history rows after the per-app targets"

step "a fixture on PostgreSQL"
log=$WORK/logs/ctest.log
run_ok "$log" "$CTEST" --test-dir "$BUILD" --output-on-failure -R '^sees_pg_db$'
assert_in_log "$log" "100% tests passed, 0 tests failed out of 3" "ctest -R sees_pg_db"
assert_eq "$(psql_server "SELECT count(*) FROM pg_database WHERE datname = '$fixture_db'")" 0 \
  "the fixture's database after cleanup"

step "ISOLATED tests on PostgreSQL: parallel, each on its own clone"
log=$WORK/logs/ctest_isolated.log
run_ok "$log" "$CTEST" --test-dir "$BUILD" --output-on-failure -j 3 -R '^pg_writes_[0-9]$'
assert_in_log "$log" "100% tests passed, 0 tests failed out of 11" "ctest -R pg_writes (3 tests, 6 clone steps, the fixture)"
assert_eq "$(psql_server "SELECT count(*) FROM pg_database WHERE datname LIKE '${iso_db}%'")" 0 \
  "the clones and the fixture's database after the run"

step "FASTAPPKIT_TEST_DATABASE_URL: every fixture gets <db>_<fixture> on that server"
base_db=fastappkit_cmake_module_base
configure reconfigure_server -D "FASTAPPKIT_TEST_DATABASE_URL=$(database_url $base_db)"
log=$WORK/logs/ctest_server.log
run_ok "$log" "$CTEST" --test-dir "$BUILD" --output-on-failure -R '^sees_migrated_db$' -FC shop_db
derived_url=$(database_url "${base_db}_shop_db")
assert_eq "$(psql "$derived_url" -X -q -t -A -c 'SELECT version_num FROM alembic_version')" c0c0c0c0c002 \
  "the core version row in ${base_db}_shop_db (cleanup held back)"
run_ok "$WORK/logs/ctest_server_cleanup.log" "$CTEST" --test-dir "$BUILD" -R '^shop_db_cleanup$' -FS shop_db
assert_eq "$(psql_server "SELECT count(*) FROM pg_database WHERE datname = '${base_db}_shop_db'")" 0 \
  "the derived fixture database after cleanup"

if [[ -n "$password" ]]; then
  step "the password appears in no output"
  for log in "$WORK"/logs/*.log; do  # (line 1 is this script's echo of the command)
    if tail -n +2 "$log" | grep -qF -- "$password"; then fail "$log shows the database password"; fi
  done
fi
echo "PASS"
