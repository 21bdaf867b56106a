# fastappkit_add_test_fixture / fastappkit_add_test: ctest in the consumer creates and migrates
# one database per fixture, hands it to the test in DATABASE_URL, and removes it afterwards.
source "$(dirname "$0")/lib.sh"
new_project
configure configure -D "CMAKE_PREFIX_PATH=$PREFIX"

shop_db=$BUILD/fastappkit_fixtures/shop_db.db
custom_db=$BUILD/custom.db

step "the fixture tests"
log=$WORK/logs/ctest_list.log
run_ok "$log" "$CTEST" --test-dir "$BUILD" -N
for test in shop_db_setup shop_db_cleanup sees_migrated_db custom_db_setup custom_db_cleanup sees_custom_db; do
  assert_in_log "$log" ": $test" "the consumer's tests"
done

step "ctest: setup, test, cleanup"
log=$WORK/logs/ctest.log
run_ok "$log" "$CTEST" --test-dir "$BUILD" --output-on-failure -V -j 2
assert_in_log "$log" "fixture shop_db: DATABASE_URL=sqlite:///$shop_db core=c0c0c0c0c002 payments=1" \
  "what the test saw of the default fixture"
assert_in_log "$log" "fixture custom_db: DATABASE_URL=sqlite:///$custom_db core=c0c0c0c0c002 payments=1" \
  "what the test saw of the DATABASE_URL fixture"
assert_missing "$shop_db" "the default fixture's database after cleanup"
assert_missing "$custom_db" "the DATABASE_URL fixture's database after cleanup"
assert_missing "$SHOP/shop.db" "the project's own database (.env) after the tests"

step "one test alone pulls in its fixture's setup and cleanup"
log=$WORK/logs/ctest_one.log
run_ok "$log" "$CTEST" --test-dir "$BUILD" --output-on-failure -R '^sees_migrated_db$'
assert_in_log "$log" "shop_db_setup" "ctest -R sees_migrated_db"
assert_in_log "$log" "shop_db_cleanup" "ctest -R sees_migrated_db"
assert_not_in_log "$log" "custom_db_setup" "ctest -R sees_migrated_db"
assert_in_log "$log" "100% tests passed, 0 tests failed out of 3" "ctest -R sees_migrated_db"

step "a setup that fails skips the tests that need it"
cp -R "$PROJECTS/extra_apps/broken" "$SHOP/external/broken"
sed -i 's/^apps = \[\(.*\)\]$/apps = [\1, "broken"]/' "$SHOP/fastappkit.toml"
log=$WORK/logs/ctest_broken.log
run_fails "$log" "$CTEST" --test-dir "$BUILD" --output-on-failure -R '^sees_migrated_db$'
assert_in_log "$log" "shop_db_setup" "the failed setup"
assert_in_log "$log" "f6f6f6f6f601_create_broken.sql" "the runner's message in the setup's output"
assert_in_log "$log" "sees_migrated_db .................***Not Run" "the test after a failed setup"
echo "PASS"
