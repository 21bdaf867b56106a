# Catalogs per embedding, through the installed package: two static libraries of one program
# each embed their own project (CATALOG name) and migrate their own database; two unnamed
# catalogs in one program fail to link instead of one being dropped; embedding twice on one
# target is one CMake error sentence.
source "$(dirname "$0")/lib.sh"
CONSUMER=$PROJECTS/catalogs
rm -rf "$WORK"
mkdir -p "$WORK/logs"
cp -R "$PROJECTS/shop" "$SHOP"
EXAMPLE=$WORK/example
cp -R "$SOURCE_DIR/example-project" "$EXAMPLE"
rm -rf "$EXAMPLE/build" "$EXAMPLE/.env" "$EXAMPLE"/*.db
configure_case() {  # <case> <build dir> <log>
  run "$3" "$CMAKE" -S "$CONSUMER" -B "$2" -G Ninja -D "CMAKE_MAKE_PROGRAM=$NINJA" \
    -D "CMAKE_PREFIX_PATH=$PREFIX" -D "SHOP_ROOT=$SHOP" -D "EXAMPLE_ROOT=$EXAMPLE" -D "CASE=$1"
}
count_files() { find "$1" -path '*/versions/*.sql' | wc -l | tr -d ' '; }

step "three libraries (one shared), three named catalogs, three databases"
configure_case two_catalogs "$BUILD" "$WORK/logs/configure.log" || fail "configure failed"
build build
run_ok "$WORK/logs/run.log" "$BUILD/two_catalogs" "sqlite:///$WORK/shop.db" \
  "sqlite:///$WORK/example.db" "sqlite:///$WORK/shared.db"
assert_in_log "$WORK/logs/run.log" "shop applied $(count_files "$SHOP")" "the shop library's migrations"
assert_in_log "$WORK/logs/run.log" "example applied $(count_files "$EXAMPLE")" \
  "the example library's migrations"
assert_in_log "$WORK/logs/run.log" "shared applied $(count_files "$SHOP")" \
  "the shared library's migrations"
assert_eq "$(sql "$WORK/shop.db" 'SELECT count(*) FROM fastappkit_history')" "$(count_files "$SHOP")" \
  "history rows of the shop database"
assert_eq "$(sql "$WORK/example.db" 'SELECT count(*) FROM fastappkit_history')" \
  "$(count_files "$EXAMPLE")" "history rows of the example database"
assert_eq "$(sql "$WORK/shop.db" "SELECT count(*) FROM sqlite_master WHERE name LIKE 'payments_charge'")" 0 \
  "an example table in the shop database"
assert_in_log "$WORK/logs/run.log" "migrate_all: 2 This program has no unnamed catalog of migrations" \
  "the one-line form in a program whose catalogs are all named"
run_ok "$WORK/logs/verify_shop.log" "$PREFIX/bin/fastappkit" --project-root "$SHOP" \
  --database-url "sqlite:///$WORK/shop.db" migrate verify
run_ok "$WORK/logs/verify_example.log" "$PREFIX/bin/fastappkit" --project-root "$EXAMPLE" \
  --database-url "sqlite:///$WORK/example.db" migrate verify

step "SQLite only: no libpqxx needed; COMPONENTS postgresql needs it"
# pkg-config that finds nothing stands for a machine without libpqxx.
PKG_CONFIG_LIBDIR=$WORK/no-pkgconfig PKG_CONFIG_PATH= \
  configure_case two_catalogs "$WORK/build_no_pqxx" "$WORK/logs/configure_no_pqxx.log" \
  || fail "a SQLite-only consumer did not configure without libpqxx"
if PKG_CONFIG_LIBDIR=$WORK/no-pkgconfig PKG_CONFIG_PATH= \
  configure_case postgresql_component "$WORK/build_no_pqxx_pg" "$WORK/logs/configure_no_pqxx_pg.log"; then
  fail "COMPONENTS postgresql configured without libpqxx"
fi
assert_in_log "$WORK/logs/configure_no_pqxx_pg.log" \
  "fastappkit: the postgresql component needs libpqxx, which pkg-config does not find" \
  "the missing component's sentence"
configure_case postgresql_component "$WORK/build_pg" "$WORK/logs/configure_pg.log" \
  || fail "COMPONENTS postgresql did not configure with libpqxx installed"

step "two unnamed catalogs in one program: a link error, never a silent choice"
configure_case two_unnamed "$WORK/build_unnamed" "$WORK/logs/configure_unnamed.log" \
  || fail "configure failed"
run_fails "$WORK/logs/link_unnamed.log" "$CMAKE" --build "$WORK/build_unnamed"
assert_in_log "$WORK/logs/link_unnamed.log" "multiple definition of \`fastappkit::catalog::embedded'" \
  "the linker's error"

step "embedding twice on one target: one CMake error"
if configure_case embed_twice "$WORK/build_twice" "$WORK/logs/configure_twice.log"; then
  fail "embedding twice configured"
fi
assert_in_log "$WORK/logs/configure_twice.log" \
  "fastappkit_embed_migrations(): 'twice' already embeds the migrations of $SHOP; a target holds one catalog." \
  "the error sentence"
echo "PASS"
