# A migration that fails fails the build with the runner's message; what ran before stays, the
# failed migration is rolled back.
source "$(dirname "$0")/lib.sh"
new_project
add_app broken
configure configure -D "CMAKE_PREFIX_PATH=$PREFIX"

step "migrate_all fails"
log=$WORK/logs/migrate_all.log
run_fails "$log" "$CMAKE" --build "$BUILD" --target migrate_all
assert_in_log "$log" "FAILED: CMakeFiles/migrate_all" "Ninja names the failed target"

step "the build output has the runner's message"
status=0
"$PREFIX/bin/fastappkit" --project-root "$SHOP" migrate all \
  >"$WORK/runner.out" 2>"$WORK/runner.err" || status=$?
assert_eq "$status" 1 "the runner's exit status for a failed migration"
message=$(grep -m 1 'f6f6f6f6f601_create_broken.sql:[0-9]' "$WORK/runner.err" || true)
[[ -n "$message" ]] || { cat "$WORK/runner.err"; fail "the runner's message does not name the file and line"; }
[[ "$message" == "broken: upgrade of revision f6f6f6f6f601 failed at "* ]] \
  || fail "the runner's message does not name the app and revision: $message"
echo "the runner says: $message"
assert_in_log "$log" "$message" "the build output"
assert_in_log "$log" "syntax error" "the database's message in the build output"

step "the database: the histories before it migrated, the broken migration rolled back"
assert_eq "$(sql "$SHOP/shop.db" 'SELECT version_num FROM alembic_version')" c0c0c0c0c002 \
  "core + internal version row"
assert_eq "$(sql "$SHOP/shop.db" 'SELECT version_num FROM alembic_version_audit')" d4d4d4d4d401 \
  "audit version row (the app before broken)"
assert_eq "$(sql "$SHOP/shop.db" "SELECT count(*) FROM sqlite_master WHERE name = 'broken_ok'")" 0 \
  "the broken migration's first table (rolled back)"
assert_eq "$(sql "$SHOP/shop.db" "SELECT count(*) FROM fastappkit_history WHERE version_table = 'alembic_version_broken'")" 0 \
  "history rows of the broken app"
echo "PASS"
