# example-project/ against the installed package: configure, build, migrate_all, ctest.
source "$(dirname "$0")/lib.sh"
EXAMPLE=$SOURCE_DIR/example-project
[[ -f "$EXAMPLE/CMakeLists.txt" ]] || fail "$EXAMPLE/CMakeLists.txt does not exist"
rm -rf "$WORK"
mkdir -p "$WORK/logs"
# A copy: the project's own .env database is relative to its root.
cp -R "$EXAMPLE" "$WORK/example"
rm -f "$WORK/example/"*.db
SHOP=$WORK/example

step "configure and build"
configure configure -D "CMAKE_PREFIX_PATH=$PREFIX"
build build

step "migrate_all into a scratch SQLite database"
db=$WORK/example.db
DATABASE_URL="sqlite:///$db" build migrate_all migrate_all
apps=$(migrate_targets | tr ' ' '\n' | sed 's/^migrate_//' | grep -vxE 'core|all|status|preview|drift|fleet' || true)
[[ $(wc -w <<<"$apps") -ge 2 ]] || fail "example-project has fewer than 2 external apps: $apps"
assert_eq "$(sql "$db" 'SELECT count(*) FROM alembic_version')" 1 "core + internal version rows"
for app in $apps; do
  assert_eq "$(sql "$db" "SELECT count(*) FROM alembic_version_$app")" 1 "$app's version rows"
done
DATABASE_URL="sqlite:///$db" build status migrate_status

step "shop_report migrates a fresh database itself at start"
run_ok "$WORK/logs/shop_report.log" "$BUILD/shop_report" --check-schema \
  --database-url "sqlite:///$WORK/self.db" --project-root "$SHOP"
assert_in_log "$WORK/logs/shop_report.log" "migrated payments 3c9a8f1e6d24" "shop_report's own migration"
assert_eq "$(sql "$WORK/self.db" 'SELECT version_num FROM alembic_version')" 27ac5b9e0f43 \
  "core version row after shop_report"
run_ok "$WORK/logs/shop_report_verify.log" "$PREFIX/bin/fastappkit" --project-root "$SHOP" \
  --database-url "sqlite:///$WORK/self.db" migrate verify

step "ctest"
run_ok "$WORK/logs/ctest.log" "$CTEST" --test-dir "$BUILD" --output-on-failure
assert_in_log "$WORK/logs/ctest.log" "100% tests passed" "example-project's tests"
echo "PASS"
