# The safety nets in a consumer: fastappkit_add_project's migrate_lint and migrate_test tests
# (label fastappkit, opt-outs NO_LINT_TEST / NO_ROUNDTRIP_TEST), and ISOLATED tests, each on its
# own clone of the fixture's database, running in parallel under ctest -j.
source "$(dirname "$0")/lib.sh"
new_project
# Four tests that each add a payment to their database and expect to see only their own next to
# the one the migrations insert: they pass only if no test sees another's row.
cat > "$WORK/isolated.cmake" <<'CMAKE'
foreach(n IN ITEMS 1 2 3 4)
  fastappkit_add_test(NAME writes_${n}
    COMMAND sh -c "python3 -c 'import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
db.execute(\"INSERT INTO payment (event_id) VALUES (0)\"); db.commit(); time.sleep(0.5)
n = db.execute(\"SELECT count(*) FROM payment\").fetchone()[0]
print(\"payments seen:\", n); sys.exit(0 if n == 2 else 1)' \"\${DATABASE_URL#sqlite:///}\""
    FIXTURE shop_db ISOLATED)
endforeach()
CMAKE
configure configure -D "CMAKE_PREFIX_PATH=$PREFIX" -D "CONSUMER_EXTRA_CODE=$WORK/isolated.cmake"

step "the gates are tests labelled fastappkit"
log=$WORK/logs/ctest_gates.log
run_ok "$log" "$CTEST" --test-dir "$BUILD" -N -L '^fastappkit$'
for test in migrate_check migrate_checkpoint migrate_lint migrate_test; do
  assert_in_log "$log" ": $test" "the fastappkit-labelled tests"
done
assert_in_log "$log" "Total Tests: 4" "the fastappkit-labelled tests"

step "ctest -j 4: the gates pass, ISOLATED tests each see their own database"
log=$WORK/logs/ctest.log
run_ok "$log" "$CTEST" --test-dir "$BUILD" --output-on-failure -j 4
for n in 1 2 3 4; do
  assert_in_log "$log" "writes_${n}_clone" "the clone made before writes_$n"
  assert_in_log "$log" "writes_${n}_unclone" "the clone dropped after writes_$n"
  assert_missing "$BUILD/fastappkit_fixtures/shop_db.writes_${n}.db" "the clone of writes_$n after the run"
done
assert_missing "$BUILD/fastappkit_fixtures/shop_db.db" "the fixture's database after the run"

step "a migration lint rejects fails migrate_lint; lint:ignore with a reason accepts it"
cat > "$SHOP/core/db/migrations/versions/c0c0c0c0c003_drop_blog_post.sql" <<'SQL'
-- revision: c0c0c0c0c003
-- down_revision: c0c0c0c0c002

-- migrate:upgrade
DROP TABLE blog_post;

-- migrate:downgrade
CREATE TABLE blog_post (id INTEGER PRIMARY KEY);
SQL
log=$WORK/logs/ctest_lint_fails.log
run_fails "$log" "$CTEST" --test-dir "$BUILD" --output-on-failure -R '^migrate_lint$'
assert_in_log "$log" "core/db/migrations/versions/c0c0c0c0c003_drop_blog_post.sql:5: drop-table: DROP TABLE blog_post" \
  "migrate_lint's finding"
sed -i 's/^-- down_revision: c0c0c0c0c002$/&\n-- lint:ignore drop-table blog moved to its own service/' \
  "$SHOP/core/db/migrations/versions/c0c0c0c0c003_drop_blog_post.sql"
log=$WORK/logs/ctest_lint_passes.log
run_ok "$log" "$CTEST" --test-dir "$BUILD" --output-on-failure -R '^migrate_lint$'

step "a downgrade that does not restore the schema fails migrate_test"
log=$WORK/logs/ctest_roundtrip_fails.log
run_fails "$log" "$CTEST" --test-dir "$BUILD" --output-on-failure -R '^migrate_test$'
assert_in_log "$log" "core: revision c0c0c0c0c003" "migrate_test's failure"

step "NO_LINT_TEST and NO_ROUNDTRIP_TEST drop the tests"
sed -i 's/fastappkit_add_project(\(.*\))/fastappkit_add_project(\1 NO_LINT_TEST NO_ROUNDTRIP_TEST)/' "$SHOP/CMakeLists.txt"
configure reconfigure -D "CMAKE_PREFIX_PATH=$PREFIX"
log=$WORK/logs/ctest_list.log
run_ok "$log" "$CTEST" --test-dir "$BUILD" -N
assert_not_in_log "$log" "migrate_lint" "the consumer's tests with NO_LINT_TEST"
assert_not_in_log "$log" "migrate_test" "the consumer's tests with NO_ROUNDTRIP_TEST"
assert_in_log "$log" "migrate_check" "the consumer's tests with only the other opt-outs"
echo "PASS"
