# add_subdirectory(<fastappkit source>) consumer: the first configure builds a runner once into
# _fastappkit_bootstrap to read the project, later ones reuse it; the targets build the in-tree
# runner first, and migrate as with the installed package.
source "$(dirname "$0")/lib.sh"
new_project
bootstrap_runner=$BUILD/_fastappkit_bootstrap/bin/fastappkit

step "first configure: the runner is bootstrapped"
configure configure -D CONSUMER_MODE=add_subdirectory -D "FASTAPPKIT_SOURCE_DIR=$SOURCE_DIR" \
  -D FASTAPPKIT_WITH_POSTGRESQL=OFF
assert_in_log "$WORK/logs/configure.log" "Building the fastappkit runner once" "the first configure"
assert_exists "$bootstrap_runner" "the bootstrapped runner"
assert_eq "$(migrate_targets)" \
  "migrate_all migrate_analytics migrate_audit migrate_core migrate_drift migrate_payments migrate_preview migrate_status" \
  "the migrate targets"
assert_eq "$(target_dependencies migrate_payments)" "migrate_analytics migrate_core" \
  "migrate_payments's dependencies"
# The targets depend on the in-tree runner: building them builds it.
for target in migrate_core migrate_payments migrate_status; do
  target_inputs $target | grep -qx fastappkit/tool/fastappkit \
    || fail "$target does not depend on the in-tree runner fastappkit/tool/fastappkit"
done
if "$NINJA" -C "$BUILD" -t targets all | grep -q '^fastappkit_unit_tests:'; then
  fail "the consumer's build has fastappkit's unit tests"
fi

step "migrate_all builds the in-tree runner first, then migrates"
build migrate_all migrate_all
assert_in_log "$WORK/logs/migrate_all.log" "Linking CXX executable fastappkit/tool/fastappkit" \
  "the in-tree runner built by migrate_all"
assert_shop_migrated "$SHOP/shop.db"

step "fixtures run the in-tree runner; fastappkit's own tests are not the consumer's"
run_ok "$WORK/logs/ctest.log" "$CTEST" --test-dir "$BUILD" --output-on-failure
assert_in_log "$WORK/logs/ctest.log" "100% tests passed, 0 tests failed out of 10" "the consumer's ctest (6 fixture tests and the migrate_check, migrate_checkpoint, migrate_lint and migrate_test gates)"
grep -q "$BUILD/fastappkit/tool/fastappkit" "$BUILD/CTestTestfile.cmake" \
  || fail "the fixture tests do not run the in-tree runner"

step "reconfigure: the bootstrapped runner is reused"
touch "$SHOP/fastappkit.toml"
build reconfigure
assert_in_log "$WORK/logs/reconfigure.log" "Re-running CMake" "the build after touching fastappkit.toml"
assert_not_in_log "$WORK/logs/reconfigure.log" "Building the fastappkit runner once" "the reconfigure"
echo "PASS"
