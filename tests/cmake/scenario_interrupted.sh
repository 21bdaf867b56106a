# Ctrl-C during `cmake --build --target migrate_all`: the runner rolls the running migration
# back and exits 130 with its sentence in the build output, what ran before stays, and the
# next build finishes the work.
source "$(dirname "$0")/lib.sh"
new_project

# An external app whose only migration inserts rows until it is stopped.
slow=$SHOP/external/slow/slow
mkdir -p "$slow/migrations/versions"
printf '[tool.fastappkit]\nname = "slow"\nversion = "0.1.0"\nmigrations = "migrations"\nrequires = []\n' \
  >"$slow/fastappkit.toml"
write_slow_migration() {  # <row count>
  cat >"$slow/migrations/versions/e5e5e5e5e501_fill.sql" <<SQL
-- revision: e5e5e5e5e501
-- down_revision: none
-- message: fill
-- create_date: 2026-11-26T10:03:00Z

-- migrate:upgrade
CREATE TABLE filled (n INTEGER, pad TEXT);
INSERT INTO filled WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < $1)
SELECT n, 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' FROM c;

-- migrate:downgrade
DROP TABLE filled;
SQL
}
write_slow_migration 500000000
sed -i 's/^apps = \[\(.*\)\]$/apps = [\1, "slow"]/' "$SHOP/fastappkit.toml"
configure configure -D "CMAKE_PREFIX_PATH=$PREFIX"
db=$SHOP/shop.db

step "Ctrl-C while the slow migration runs"
log=$WORK/logs/migrate_all.log
# Its own process group, as a terminal's Ctrl-C reaches the whole foreground job.
setsid "$CMAKE" --build "$BUILD" --target migrate_all >"$log" 2>&1 &
build_pid=$!
for _ in $(seq 600); do
  if [[ -e $db-journal ]] && (( $(stat -c %s "$db") > 4000000 )); then break; fi
  sleep 0.1
done
(( $(stat -c %s "$db") > 4000000 )) || { cat "$log"; fail "the slow migration never started writing"; }
kill -INT -- "-$build_pid"
status=0
wait "$build_pid" || status=$?
cat "$log"
(( status != 0 )) || fail "the interrupted build succeeded"
# Ninja drops the output of a command it saw interrupted; the runner's own sentence is
# checked below, without Ninja.
assert_in_log "$log" "interrupted by user" "Ninja's report"

step "the database: the other histories stay, the slow migration is rolled back"
assert_eq "$(sql "$db" "SELECT count(*) FROM sqlite_master WHERE name = 'filled'")" 0 "the slow migration's table"
assert_eq "$(sql "$db" "SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version_slow'")" 0 \
  "the slow app's version table (created in the rolled-back transaction)"
assert_eq "$(sql "$db" 'SELECT version_num FROM alembic_version')" c0c0c0c0c002 "core + internal version row"
assert_missing "$db-journal" "the rollback journal"

step "the runner alone, interrupted the same way, says what it rolled back"
"$PREFIX/bin/fastappkit" --project-root "$SHOP" migrate app slow upgrade >"$WORK/runner.out" 2>"$WORK/runner.err" &
runner_pid=$!
for _ in $(seq 600); do
  if [[ -e $db-journal ]] && (( $(stat -c %s "$db") > 4000000 )); then break; fi
  sleep 0.1
done
kill -INT "$runner_pid"
status=0
wait "$runner_pid" || status=$?
assert_eq "$status" 130 "the runner's exit status after Ctrl-C"
assert_eq "$(cat "$WORK/runner.err")" \
  "Interrupted: rolled back the upgrade of slow revision e5e5e5e5e501; 0 migrations were applied before it" \
  "the runner's sentence"

step "the next build finishes the work"
write_slow_migration 1000
build migrate_all_again migrate_all
assert_shop_migrated "$db"
assert_eq "$(sql "$db" 'SELECT version_num FROM alembic_version_slow')" e5e5e5e5e501 "the slow app's version row"
echo "PASS"
