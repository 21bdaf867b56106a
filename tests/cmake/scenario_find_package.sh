# find_package(fastappkit) consumer: the targets, their dependencies and pools, migrate_all on
# SQLite (version rows and order), an up-to-date re-run, the read-only targets, and a dependency
# the project adds to a migrate_<app> target, carried over to migrate_all.
source "$(dirname "$0")/lib.sh"
new_project

step "configure against the installed package"
configure configure -D "CMAKE_PREFIX_PATH=$PREFIX"
assert_eq "$(migrate_targets)" \
  "migrate_all migrate_analytics migrate_audit migrate_core migrate_drift migrate_payments migrate_preview migrate_status" \
  "the migrate targets"

step "dependencies follow the runner's external_order"
assert_eq "$(target_dependencies migrate_core)" "" "migrate_core's dependencies"
assert_eq "$(target_dependencies migrate_analytics)" "migrate_core" "migrate_analytics's dependencies"
assert_eq "$(target_dependencies migrate_audit)" "migrate_core" "migrate_audit's dependencies"
assert_eq "$(target_dependencies migrate_payments)" "migrate_analytics migrate_core" \
  "migrate_payments's dependencies"
assert_eq "$(target_dependencies migrate_all)" "" \
  "migrate_all's dependencies (one runner migrates every history; no per-history target runs)"

step "core, all, status and preview stream (console pool); app targets can run in parallel"
assert_eq "$(target_pool migrate_core)" console "migrate_core's pool"
assert_eq "$(target_pool migrate_all)" console "migrate_all's pool"
assert_eq "$(target_pool migrate_status)" console "migrate_status's pool"
assert_eq "$(target_pool migrate_preview)" console "migrate_preview's pool"
assert_eq "$(target_pool migrate_drift)" console "migrate_drift's pool"
for app in analytics payments audit; do
  assert_eq "$(target_pool migrate_$app)" "" "migrate_$app's pool"
done

step "a plain build and the read-only targets leave the database alone"
build plain
build readonly migrate_status migrate_preview
assert_missing "$SHOP/shop.db" "the database after a plain build, migrate_status and migrate_preview"

step "migrate_all"
build migrate_all migrate_all
assert_in_log "$WORK/logs/migrate_all.log" a1a1a1a1a101 "the runner's progress in the build output"
assert_in_log "$WORK/logs/migrate_all.log" "fastappkit: migrating every history" "migrate_all's comment"
assert_not_in_log "$WORK/logs/migrate_all.log" "fastappkit: migrating payments" \
  "the build output (migrate_payments ran)"
assert_shop_migrated "$SHOP/shop.db"
history_rows=$(sql "$SHOP/shop.db" 'SELECT count(*) FROM fastappkit_history')
assert_eq "$history_rows" 5 "fastappkit_history rows"

step "migrate_drift: the migrated database is what its migrations build"
build drift migrate_drift
assert_in_log "$WORK/logs/drift.log" "core: no drift from the schema its" "migrate_drift's output"
assert_not_in_log "$WORK/logs/drift.log" "drift: " "migrate_drift's output"

step "migrate_all again: nothing to do"
build migrate_all_again migrate_all
assert_eq "$(sql "$SHOP/shop.db" 'SELECT count(*) FROM fastappkit_history')" 5 \
  "fastappkit_history rows after an up-to-date migrate_all"

step "one app alone: its dependencies run first"
rm "$SHOP/shop.db"
build payments_alone migrate_payments
assert_eq "$(sql "$SHOP/shop.db" 'SELECT version_num FROM alembic_version_analytics')" a1a1a1a1a101 \
  "analytics, which payments requires"
assert_eq "$(sql "$SHOP/shop.db" "SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version_audit'")" 0 \
  "audit (independent of payments) was not migrated"

step "status and preview on a migrated database"
build status migrate_status migrate_preview

step "FASTAPPKIT_STREAM_APP_OUTPUT=ON: app targets stream too (console pool)"
configure stream -D FASTAPPKIT_STREAM_APP_OUTPUT=ON
for app in analytics payments audit; do
  assert_eq "$(target_pool migrate_$app)" console "migrate_$app's pool"
done
build migrate_all_streamed migrate_all

step "a dependency added to migrate_payments runs before migrate_all too"
cat >"$WORK/marker.cmake" <<'CMAKE'
add_custom_target(write_marker COMMAND "${CMAKE_COMMAND}" -E touch "${CMAKE_BINARY_DIR}/marker")
add_dependencies(migrate_payments write_marker)
CMAKE
configure marker -D FASTAPPKIT_STREAM_APP_OUTPUT=OFF -D "CONSUMER_EXTRA_CODE=$WORK/marker.cmake"
target_inputs migrate_all | grep -qx write_marker || fail "write_marker is not among migrate_all's inputs"
assert_eq "$(target_dependencies migrate_all)" "" "migrate_all's migrate dependencies"
assert_eq "$(target_dependencies migrate_payments)" "migrate_analytics migrate_core" \
  "migrate_payments's dependencies"
rm "$SHOP/shop.db"
assert_missing "$BUILD/marker" "the marker before migrate_all"
build migrate_all_marker migrate_all
assert_exists "$BUILD/marker" "the marker written by write_marker"
assert_shop_migrated "$SHOP/shop.db"
assert_eq "$(sql "$SHOP/shop.db" 'SELECT count(*) FROM fastappkit_history')" 5 \
  "fastappkit_history rows"
assert_not_in_log "$WORK/logs/migrate_all_marker.log" "fastappkit: migrating payments" \
  "the build output (migrate_payments ran)"
echo "PASS"
