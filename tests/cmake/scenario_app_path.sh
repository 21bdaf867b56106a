# Where external apps are found besides the project's app_path: APP_PATH (relative to the
# consumer's source directory) and <prefix>/share/fastappkit/apps of every CMAKE_PREFIX_PATH
# entry (an installed app: <dir>/<app>/fastappkit.toml). Both at configure and at build time.
source "$(dirname "$0")/lib.sh"
new_project
other_prefix=$WORK/other_prefix

step "newsletter in ../more_apps (source layout), coupons installed in another prefix"
mkdir -p "$WORK/more_apps" "$other_prefix/share/fastappkit/apps"
cp -R "$PROJECTS/extra_apps/newsletter" "$WORK/more_apps/newsletter"
cp -R "$PROJECTS/extra_apps/coupons/coupons" "$other_prefix/share/fastappkit/apps/coupons"
sed -i 's/^apps = \[\(.*\)\]$/apps = [\1, "newsletter", "coupons"]/' "$SHOP/fastappkit.toml"

step "without them the project cannot be read"
log=$WORK/logs/not_found.log
run_fails "$log" "$CMAKE" -S "$SHOP" -B "$BUILD" -G Ninja -D "CMAKE_MAKE_PROGRAM=$NINJA" \
  -D "CMAKE_PREFIX_PATH=$PREFIX"
assert_in_log "$log" "external app 'newsletter'" "the configure error without APP_PATH"
rm -rf "$BUILD"

step "with APP_PATH ../more_apps and CMAKE_PREFIX_PATH <installed>;<other prefix>"
configure configure -D "CMAKE_PREFIX_PATH=$PREFIX;$other_prefix" -D "CONSUMER_APP_PATH=../more_apps"
assert_eq "$(migrate_targets)" \
  "migrate_all migrate_analytics migrate_audit migrate_core migrate_coupons migrate_drift migrate_newsletter migrate_payments migrate_preview migrate_status" \
  "the migrate targets"
"$NINJA" -C "$BUILD" -t commands migrate_core | tail -n 1 >"$WORK/logs/command.log"
assert_in_log "$WORK/logs/command.log" \
  "--app-path $WORK/more_apps --app-path $PREFIX/share/fastappkit/apps --app-path $other_prefix/share/fastappkit/apps migrate upgrade" \
  "migrate_core's command (APP_PATH first, then the prefixes in CMAKE_PREFIX_PATH order)"

step "migrate_all finds them at build time too"
build migrate_all migrate_all
assert_shop_migrated "$SHOP/shop.db"
assert_eq "$(sql "$SHOP/shop.db" 'SELECT version_num FROM alembic_version_newsletter')" e5e5e5e5e501 \
  "newsletter version row"
assert_eq "$(sql "$SHOP/shop.db" 'SELECT version_num FROM alembic_version_coupons')" c7c7c7c7c701 \
  "coupons version row"
echo "PASS"
