# fastappkit_add_project's migrate check test: the consumer's ctest fails when a model is
# edited without a migration, passes again once the migration exists; NO_CHECK_TEST drops it.
source "$(dirname "$0")/lib.sh"
new_project
cat > "$SHOP/core/models.sql" <<'SQL'
CREATE TABLE core_item (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
SQL
configure configure -D "CMAKE_PREFIX_PATH=$PREFIX"

step "models and migrations disagree: migrate_check fails with the differences"
log=$WORK/logs/ctest_check_fails.log
run_fails "$log" "$CTEST" --test-dir "$BUILD" --output-on-failure -R '^migrate_check$'
assert_in_log "$log" "core_item" "the difference migrate check reports"

step "after makemigrations the check passes"
log=$WORK/logs/makemigrations.log
run_ok "$log" "$PREFIX/bin/fastappkit" --project-root "$SHOP" --database-url sqlite:// migrate core -m "add items"
log=$WORK/logs/ctest_check_passes.log
run_ok "$log" "$CTEST" --test-dir "$BUILD" --output-on-failure -R '^migrate_check$'
assert_in_log "$log" "100% tests passed, 0 tests failed out of 1" "migrate_check after makemigrations"

step "a checkpoint passes migrate_checkpoint; edited by hand, it fails"
log=$WORK/logs/squash.log
run_ok "$log" "$PREFIX/bin/fastappkit" --project-root "$SHOP" --database-url sqlite:// migrate squash --to head --no-data
checkpoint=$(ls "$SHOP"/core/db/migrations/versions/*_checkpoint.sql)
log=$WORK/logs/ctest_checkpoint_passes.log
run_ok "$log" "$CTEST" --test-dir "$BUILD" -V -R '^migrate_checkpoint$'
assert_in_log "$log" "builds what the replay of base" "migrate_checkpoint's verdict"
sed -i 's/CREATE TABLE core_item/CREATE TABLE core_itemx/' "$checkpoint"
log=$WORK/logs/ctest_checkpoint_fails.log
run_fails "$log" "$CTEST" --test-dir "$BUILD" --output-on-failure -R '^migrate_checkpoint$'
assert_in_log "$log" "core_item: the replay makes it, the checkpoint does not" "the difference"
rm "$checkpoint"

step "NO_CHECK_TEST and NO_CHECKPOINT_TEST drop the tests"
sed -i 's/fastappkit_add_project(\(.*\))/fastappkit_add_project(\1 NO_CHECK_TEST NO_CHECKPOINT_TEST)/' "$SHOP/CMakeLists.txt"
configure reconfigure -D "CMAKE_PREFIX_PATH=$PREFIX"
log=$WORK/logs/ctest_list.log
run_ok "$log" "$CTEST" --test-dir "$BUILD" -N
assert_not_in_log "$log" "migrate_check" "the consumer's tests with NO_CHECK_TEST"
echo "PASS"
