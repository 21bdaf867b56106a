# A program that migrates its own database (fastappkit_embed_migrations + fastappkit::migrate_all),
# built against fastappkit the way MODE says (find_package, add_subdirectory or fetchcontent: set
# by the scenario_embedded_<mode>.sh that sources this file); with a 7th argument, a PostgreSQL
# server URL, also on PostgreSQL. It embeds the
# example project's histories plus a revision whose SQL looks like the generated source's own
# delimiters, and takes turns with the runner on one database.
source "$(dirname "$0")/lib.sh"
PG_URL=${7:-}
CONSUMER=$PROJECTS/embedded
rm -rf "$WORK"
mkdir -p "$WORK/logs"
cp -R "$SOURCE_DIR/example-project" "$SHOP"
rm -rf "$SHOP/build" "$SHOP/.env" "$SHOP"/*.db
RUNNER=$PREFIX/bin/fastappkit
cli() { "$RUNNER" --project-root "$SHOP" "$@"; }
hex() { od -An -v -tx1 | tr -d ' \n' | tr a-f A-F; }
CORE=$SHOP/core/db/migrations/versions

# SQL a generated source could trip over: raw-string ends, quotes, backslashes, comment
# markers, a tab, a CR LF line ending and non-ASCII text.
{
  printf -- '-- revision: e0e0e0e0e0e1\n-- down_revision: 27ac5b9e0f43\n-- branch_labels:\n'
  printf -- '-- depends_on:\n-- message: text like the generated source delimiters\n'
  printf -- '-- create_date: 2026-12-01T00:00:00Z\n\n-- migrate:upgrade\n'
  printf -- 'CREATE TABLE embed_round_trip (body TEXT);\r\n'
  printf -- "INSERT INTO embed_round_trip VALUES (')\"');\n"
  printf -- "INSERT INTO embed_round_trip VALUES (')fastappkit\" R\"x( )x\" \\\\0 \\\\x41 */ /* \t é');\n"
  printf -- '\n-- migrate:downgrade\nDROP TABLE embed_round_trip;\n'
} >"$CORE/e0e0e0e0e0e1_delimiters.sql"

args=(-D CONSUMER_MODE="$MODE" -D "SHOP_ROOT=$SHOP")
case $MODE in
  find_package) args+=(-D "CMAKE_PREFIX_PATH=$PREFIX") ;;
  *) args+=(-D "FASTAPPKIT_SOURCE_DIR=$SOURCE_DIR" -D "FASTAPPKIT_RUNNER=$RUNNER") ;;
esac
if [[ -n "$PG_URL" ]]; then
  args+=(-D CONSUMER_POSTGRESQL=ON)
elif [[ $MODE != find_package ]]; then
  args+=(-D FASTAPPKIT_WITH_POSTGRESQL=OFF)
fi
step "configure and build the program ($MODE)"
run_ok "$WORK/logs/configure.log" "$CMAKE" -S "$CONSUMER" -B "$BUILD" -G Ninja \
  -D "CMAKE_MAKE_PROGRAM=$NINJA" "${args[@]}"
build build
PROGRAM=$BUILD/migrate_self
assert_exists "$PROGRAM" "the program"

versions() {  # the version rows of every history of a SQLite file
  sql "$1" "SELECT 'core', version_num FROM alembic_version UNION ALL
            SELECT 'analytics', version_num FROM alembic_version_analytics UNION ALL
            SELECT 'payments', version_num FROM alembic_version_payments" | sort | tr '\n' ' '
}
HEADS="analytics|8d3b6f0a2c71 core|e0e0e0e0e0e1 payments|3c9a8f1e6d24 "

step "a fresh database: the program migrates it; the runner finds it clean"
run_ok "$WORK/logs/fresh.log" "$PROGRAM" "sqlite:///$WORK/fresh.db"
assert_in_log "$WORK/logs/fresh.log" "returned 15" "what migrate_all returned"
assert_eq "$(grep -c '^applied ' "$WORK/logs/fresh.log")" 15 "on_applied calls"
assert_eq "$(versions "$WORK/fresh.db")" "$HEADS" "version rows"
assert_eq "$(sql "$WORK/fresh.db" 'SELECT count(*) FROM fastappkit_history')" 15 "history rows"
# The SQL ran byte for byte as written (the checksums below say the same).
assert_eq "$(sql "$WORK/fresh.db" "SELECT hex(body) FROM embed_round_trip ORDER BY rowid" | tr '\n' ' ')" \
  "$(printf ')"' | hex) $(printf ')fastappkit" R"x( )x" \\0 \\x41 */ /* \t é' | hex) " \
  "the text the delimiter-like revision inserted"
run_ok "$WORK/logs/verify.log" cli --database-url "sqlite:///$WORK/fresh.db" migrate verify
run_ok "$WORK/logs/status.log" cli --database-url "sqlite:///$WORK/fresh.db" migrate status
assert_not_in_log "$WORK/logs/status.log" "pending" "migrate status after the program"
run_ok "$WORK/logs/cli_noop.log" cli --database-url "sqlite:///$WORK/fresh.db" migrate all
assert_eq "$(sql "$WORK/fresh.db" 'SELECT count(*) FROM fastappkit_history')" 15 \
  "history rows after the runner's migrate all"
run_ok "$WORK/logs/noop.log" "$PROGRAM" "sqlite:///$WORK/fresh.db"
assert_in_log "$WORK/logs/noop.log" "returned 0" "the program on an up-to-date database"

step "a database the runner migrated part-way: the program continues it"
run_ok "$WORK/logs/partway.log" cli --database-url "sqlite:///$WORK/partway.db" migrate upgrade 5e8a2d47c3f0
run_ok "$WORK/logs/partway_app.log" cli --database-url "sqlite:///$WORK/partway.db" migrate app analytics upgrade 4a1e7c2d9b50
run_ok "$WORK/logs/continue.log" "$PROGRAM" "sqlite:///$WORK/partway.db"
assert_eq "$(versions "$WORK/partway.db")" "$HEADS" "version rows after the program continued"
assert_eq "$(sql "$WORK/partway.db" 'SELECT count(*) FROM fastappkit_history')" 15 "history rows"
run_ok "$WORK/logs/verify_partway.log" cli --database-url "sqlite:///$WORK/partway.db" migrate verify

step "a connection the program opened itself"
run_ok "$WORK/logs/handle.log" "$PROGRAM" --handle "$WORK/handle.db"
assert_eq "$(versions "$WORK/handle.db")" "$HEADS" "version rows (borrowed connection)"
run_ok "$WORK/logs/verify_handle.log" cli --database-url "sqlite:///$WORK/handle.db" migrate verify

step "racing processes apply each revision once"
pids=()
for i in 1 2 3 4 5 6 7 8; do
  "$PROGRAM" "sqlite:///$WORK/race.db" >"$WORK/logs/race_$i.log" 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || fail "a racing program failed; see $WORK/logs/race_*.log"; done
cat "$WORK"/logs/race_*.log
assert_eq "$(cat "$WORK"/logs/race_*.log | grep -c '^applied ')" 15 "revisions applied by all racers together"
assert_eq "$(sql "$WORK/race.db" 'SELECT count(*) FROM fastappkit_history')" 15 "history rows after the race"
assert_eq "$(sql "$WORK/race.db" 'SELECT count(DISTINCT revision) FROM fastappkit_history')" 15 \
  "distinct revisions in the history"
assert_eq "$(versions "$WORK/race.db")" "$HEADS" "version rows after the race"

step "racing threads of one process apply each revision once"
run_ok "$WORK/logs/threads.log" "$PROGRAM" --threads 8 "sqlite:///$WORK/threads.db"
assert_eq "$(grep -c '^applied ' "$WORK/logs/threads.log")" 15 "revisions applied by all threads together"
assert_eq "$(sql "$WORK/threads.db" "SELECT count(DISTINCT revision) || ' ' || count(*) FROM fastappkit_history")" \
  "15 15" "history rows after the threads"
assert_eq "$(versions "$WORK/threads.db")" "$HEADS" "version rows after the threads"

step "a database ahead of the program is refused and left unchanged"
cat >"$CORE/f0f0f0f0f0f1_newer.sql" <<'SQL'
-- revision: f0f0f0f0f0f1
-- down_revision: e0e0e0e0e0e1
-- message: a revision the built program does not have

-- migrate:upgrade
CREATE TABLE newer (id INTEGER PRIMARY KEY);

-- migrate:downgrade
DROP TABLE newer;
SQL
run_ok "$WORK/logs/ahead_cli.log" cli --database-url "sqlite:///$WORK/ahead.db" migrate all
cp "$WORK/ahead.db" "$WORK/ahead.before"
set +e
"$PROGRAM" "sqlite:///$WORK/ahead.db" >"$WORK/logs/ahead.log" 2>&1
status=$?
set -e
cat "$WORK/logs/ahead.log"
assert_eq "$status" 1 "the program's exit code on a database ahead of it"
assert_in_log "$WORK/logs/ahead.log" "Can't locate revision identified by 'f0f0f0f0f0f1'" "the refusal"
cmp "$WORK/ahead.db" "$WORK/ahead.before" || fail "the program changed a database it refused"

step "a new migration file: the build re-configures and embeds it"
build rebuild
assert_in_log "$WORK/logs/rebuild.log" "embedding the migrations" "the regenerated source"
run_ok "$WORK/logs/ahead_again.log" "$PROGRAM" "sqlite:///$WORK/ahead.db"
assert_in_log "$WORK/logs/ahead_again.log" "returned 0" "the rebuilt program on that database"
build unchanged
assert_not_in_log "$WORK/logs/unchanged.log" "embedding the migrations" "a build with nothing changed"

step "editing a migration regenerates the source"
sed -i 's/CREATE TABLE newer (id INTEGER PRIMARY KEY);/CREATE TABLE newer (id INTEGER PRIMARY KEY, note TEXT);/' \
  "$CORE/f0f0f0f0f0f1_newer.sql"
build edited
assert_in_log "$WORK/logs/edited.log" "embedding the migrations" "the source after an edit"
run_ok "$WORK/logs/edited_run.log" "$PROGRAM" "sqlite:///$WORK/edited.db"
assert_eq "$(sql "$WORK/edited.db" "SELECT count(*) FROM pragma_table_info('newer') WHERE name = 'note'")" 1 \
  "the edited revision's column"

step "a renamed migration file (mtime kept): the source is regenerated with the new name"
GENERATED=$BUILD/fastappkit_embedded/migrate_self_migrations.cpp
cp "$GENERATED" "$WORK/generated.before"
mv "$CORE/f0f0f0f0f0f1_newer.sql" "$CORE/f0f0f0f0f0f1_renamed.sql"
build renamed
assert_in_log "$WORK/logs/renamed.log" "embedding the migrations" "the source after a rename"
# Strings are byte arrays in the source: the file name is the only difference.
if cmp -s "$GENERATED" "$WORK/generated.before"; then
  fail "the source regenerated after the rename is the one from before"
fi

step "a deleted migration file (or another git branch) leaves the program"
rm "$CORE/f0f0f0f0f0f1_renamed.sql"
build deleted
assert_in_log "$WORK/logs/deleted.log" "embedding the migrations" "the source after a deletion"
run_ok "$WORK/logs/deleted_run.log" "$PROGRAM" "sqlite:///$WORK/deleted.db"
assert_eq "$(versions "$WORK/deleted.db")" "$HEADS" "version rows without the deleted revision"
assert_eq "$(sql "$WORK/deleted.db" "SELECT count(*) FROM sqlite_master WHERE name = 'newer'")" 0 \
  "the deleted revision's table"
cp "$WORK/ahead.db" "$WORK/ahead.before"
set +e
"$PROGRAM" "sqlite:///$WORK/ahead.db" >"$WORK/logs/deleted_ahead.log" 2>&1
status=$?
set -e
cat "$WORK/logs/deleted_ahead.log"
assert_eq "$status" 1 "the program on a database at the deleted revision"
assert_in_log "$WORK/logs/deleted_ahead.log" "Can't locate revision identified by 'f0f0f0f0f0f1'" \
  "the refusal after the deletion"
cmp "$WORK/ahead.db" "$WORK/ahead.before" || fail "the program changed a database it refused"
build deleted_unchanged
assert_not_in_log "$WORK/logs/deleted_unchanged.log" "embedding the migrations" \
  "a build with nothing changed after the deletion"

step "a malformed migration fails the build with path:line: message"
printf -- '-- revision: f0f0f0f0f0f2\n-- down_revision: e0e0e0e0e0e1\n-- message: no sections\n' \
  >"$CORE/f0f0f0f0f0f2_broken.sql"
run_fails "$WORK/logs/broken.log" "$CMAKE" --build "$BUILD"
assert_in_log "$WORK/logs/broken.log" \
  "$CORE/f0f0f0f0f0f2_broken.sql:1: missing '-- migrate:upgrade' section" "the build error"
rm "$CORE/f0f0f0f0f0f2_broken.sql"

step "a PostgreSQL URL without fastappkit::postgresql is bad input (exit 2)"
set +e
"$PROGRAM" "postgresql://user:secret@127.0.0.1:1/none" >"$WORK/logs/no_pg.log" 2>&1
status=$?
set -e
cat "$WORK/logs/no_pg.log"
assert_eq "$status" 2 "the exit code"
assert_in_log "$WORK/logs/no_pg.log" "link it with fastappkit::postgresql" "the message"
assert_not_in_log "$WORK/logs/no_pg.log" "secret" "the password"

if [[ -n "$PG_URL" ]]; then
  step "PostgreSQL: the program migrates, the runner verifies, racers apply each revision once"
  build pg_build
  PG_DB="${PG_URL%/*}/embedded_${MODE}"
  run_ok "$WORK/logs/pg_reset.log" cli --database-url "$PG_DB" db reset
  pids=()
  for i in 1 2 3 4; do
    "$BUILD/migrate_self_pg" "$PG_DB" >"$WORK/logs/pg_race_$i.log" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || fail "a racing program failed on PostgreSQL"; done
  assert_eq "$(cat "$WORK"/logs/pg_race_*.log | grep -c '^applied ')" 15 "revisions applied on PostgreSQL"
  run_ok "$WORK/logs/pg_verify.log" cli --database-url "$PG_DB" migrate verify
  run_ok "$WORK/logs/pg_status.log" cli --database-url "$PG_DB" migrate status
  assert_not_in_log "$WORK/logs/pg_status.log" "pending" "migrate status on PostgreSQL"
  run_ok "$WORK/logs/pg_drop.log" cli --database-url "$PG_DB" db drop
fi
echo "PASS"
