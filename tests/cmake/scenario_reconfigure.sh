# Editing fastappkit.toml or an app manifest re-runs CMake on the next build, and the targets
# follow: a new app gets its target, a changed `requires` changes the dependencies.
source "$(dirname "$0")/lib.sh"
new_project
configure configure -D "CMAKE_PREFIX_PATH=$PREFIX"
build first_build

step "add the app newsletter (no requires key) to fastappkit.toml; build"
add_app newsletter
build add_app
assert_in_log "$WORK/logs/add_app.log" "Re-running CMake" "the build after editing fastappkit.toml"
assert_eq "$(migrate_targets)" \
  "migrate_all migrate_analytics migrate_audit migrate_core migrate_drift migrate_newsletter migrate_payments migrate_preview migrate_status" \
  "the migrate targets after adding newsletter"
# Without `requires`, an app comes after the external app before it (audit).
assert_eq "$(target_dependencies migrate_newsletter)" "migrate_audit migrate_core" \
  "migrate_newsletter's dependencies"

step "audit's manifest now requires analytics; build"
sed -i 's/^requires = \[\]$/requires = ["analytics"]/' "$SHOP/external/audit/audit/fastappkit.toml"
build edit_manifest
assert_in_log "$WORK/logs/edit_manifest.log" "Re-running CMake" "the build after editing a manifest"
assert_eq "$(target_dependencies migrate_audit)" "migrate_analytics migrate_core" \
  "migrate_audit's dependencies after the manifest edit"

step "no edit: no re-run"
build no_edit
assert_not_in_log "$WORK/logs/no_edit.log" "Re-running CMake" "a build without edits"

step "migrate_all migrates the new app"
build migrate_all migrate_all
assert_shop_migrated "$SHOP/shop.db"
assert_eq "$(sql "$SHOP/shop.db" 'SELECT version_num FROM alembic_version_newsletter')" e5e5e5e5e501 \
  "newsletter version row"
echo "PASS"
