# FetchContent consumer (SOURCE_DIR: this source tree), reading the project with a given runner
# (FASTAPPKIT_RUNNER: no bootstrap); the targets still run the runner built in the tree.
source "$(dirname "$0")/lib.sh"
new_project

step "configure with FetchContent and FASTAPPKIT_RUNNER"
configure configure -D CONSUMER_MODE=fetchcontent -D "FASTAPPKIT_SOURCE_DIR=$SOURCE_DIR" \
  -D FASTAPPKIT_WITH_POSTGRESQL=OFF \
  -D "FASTAPPKIT_RUNNER=$PREFIX/bin/fastappkit"
assert_not_in_log "$WORK/logs/configure.log" "Building the fastappkit runner once" "the configure"
assert_missing "$BUILD/_fastappkit_bootstrap" "the bootstrap directory"
assert_eq "$(migrate_targets)" \
  "migrate_all migrate_analytics migrate_audit migrate_core migrate_drift migrate_payments migrate_preview migrate_status" \
  "the migrate targets"
assert_eq "$(target_dependencies migrate_audit)" "migrate_core" "migrate_audit's dependencies"
target_inputs migrate_audit | grep -qx _deps/fastappkit-build/tool/fastappkit \
  || fail "migrate_audit does not depend on the in-tree runner _deps/fastappkit-build/tool/fastappkit"

step "migrate_all builds the in-tree runner first, then migrates"
build migrate_all migrate_all
assert_in_log "$WORK/logs/migrate_all.log" "Linking CXX executable _deps/fastappkit-build/tool/fastappkit" \
  "the in-tree runner built by migrate_all"
assert_shop_migrated "$SHOP/shop.db"
echo "PASS"
