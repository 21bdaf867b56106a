# TARGET_PREFIX renames every target (and the dependencies between them); two projects in one
# build without it clash with a clear error. Dependencies added to a project's migrate targets
# reach that project's migrate_all only, also when the project is added in a subdirectory.
source "$(dirname "$0")/lib.sh"
new_project

step "TARGET_PREFIX shop_"
configure configure -D "CMAKE_PREFIX_PATH=$PREFIX" -D CONSUMER_TARGET_PREFIX=shop_
assert_eq "$(migrate_targets)" \
  "shop_migrate_all shop_migrate_analytics shop_migrate_audit shop_migrate_core shop_migrate_drift shop_migrate_payments shop_migrate_preview shop_migrate_status" \
  "the prefixed targets"
assert_eq "$(target_dependencies shop_migrate_payments)" "shop_migrate_analytics shop_migrate_core" \
  "shop_migrate_payments's dependencies"
build migrate_all shop_migrate_all
assert_shop_migrated "$SHOP/shop.db"

step "a second fastappkit_add_project() with another prefix and its own DATABASE_URL"
cat >"$WORK/second_project.cmake" <<'CMAKE'
fastappkit_add_project(TARGET_PREFIX again_ DATABASE_URL sqlite:///again.db)
foreach(name IN ITEMS shop_marker again_marker)
  add_custom_target(${name} COMMAND "${CMAKE_COMMAND}" -E touch "${CMAKE_BINARY_DIR}/${name}")
endforeach()
add_dependencies(shop_migrate_core shop_marker)
add_dependencies(again_migrate_audit again_marker)
CMAKE
configure second -D "CONSUMER_EXTRA_CODE=$WORK/second_project.cmake"
[[ " $(migrate_targets) " == *" again_migrate_all "* ]] || fail "again_migrate_all is missing"
assert_not_in_log "$WORK/logs/second.log" "CMake Warning" "the configure"
assert_eq "$(target_inputs shop_migrate_all | grep marker || true)" shop_marker \
  "the markers among shop_migrate_all's inputs"
assert_eq "$(target_inputs again_migrate_all | grep marker || true)" again_marker \
  "the markers among again_migrate_all's inputs"
build again again_migrate_all
assert_shop_migrated "$SHOP/again.db"
assert_exists "$BUILD/again_marker" "again_marker's file"
assert_missing "$BUILD/shop_marker" "shop_marker's file after again_migrate_all"

step "a project added in a subdirectory; the top level adds a dependency to its migrate_payments"
outer=$WORK/outer
mkdir -p "$outer/sub"
cat >"$outer/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(outer LANGUAGES NONE)
find_package(fastappkit CONFIG REQUIRED)
add_subdirectory(sub)
add_custom_target(outer_marker COMMAND "\${CMAKE_COMMAND}" -E touch "\${CMAKE_BINARY_DIR}/outer_marker")
add_dependencies(sub_migrate_payments outer_marker)
CMAKE
cat >"$outer/sub/CMakeLists.txt" <<CMAKE
fastappkit_add_project(ROOT "$SHOP" TARGET_PREFIX sub_ DATABASE_URL sqlite:///sub.db
  NO_CHECK_TEST NO_LINT_TEST NO_ROUNDTRIP_TEST)
CMAKE
run_ok "$WORK/logs/outer.log" "$CMAKE" -S "$outer" -B "$WORK/outer-build" -G Ninja \
  -D "CMAKE_MAKE_PROGRAM=$NINJA" -D "CMAKE_PREFIX_PATH=$PREFIX"
run_ok "$WORK/logs/outer_migrate_all.log" "$CMAKE" --build "$WORK/outer-build" --target sub_migrate_all
assert_exists "$WORK/outer-build/outer_marker" "outer_marker's file"
assert_shop_migrated "$SHOP/sub.db"

step "FLEET: migrate_fleet migrates every database of the targets file"
fleet=$WORK/fleet
mkdir -p "$fleet"
printf '# tenants\nsqlite:///%s\n\nsqlite:///%s\n' "$fleet/a.db" "$fleet/b.db" >"$fleet/targets.txt"
cat >"$fleet/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(fleet LANGUAGES NONE)
find_package(fastappkit CONFIG REQUIRED)
fastappkit_add_project(ROOT "$SHOP" FLEET targets.txt NO_CHECK_TEST NO_LINT_TEST NO_ROUNDTRIP_TEST)
CMAKE
run_ok "$WORK/logs/fleet.log" "$CMAKE" -S "$fleet" -B "$WORK/fleet-build" -G Ninja \
  -D "CMAKE_MAKE_PROGRAM=$NINJA" -D "CMAKE_PREFIX_PATH=$PREFIX"
run_ok "$WORK/logs/fleet_migrate.log" "$CMAKE" --build "$WORK/fleet-build" --target migrate_fleet
assert_shop_migrated "$fleet/a.db"
assert_shop_migrated "$fleet/b.db"
assert_in_log "$WORK/logs/fleet_migrate.log" "Fleet of 2 targets: 2 applied" "migrate_fleet's output"

step "a DATABASE_URL holding a password: a warning"
cat >"$WORK/password.cmake" <<'CMAKE'
fastappkit_add_project(TARGET_PREFIX pw_ DATABASE_URL postgresql://shop:s3cret@localhost/shop)
CMAKE
configure password -D "CONSUMER_EXTRA_CODE=$WORK/password.cmake"
assert_in_log "$WORK/logs/password.log" \
  "fastappkit_add_project(): the DATABASE_URL holds a password, which is now written into the build files." \
  "the password warning"

step "a second fastappkit_add_project() with the same names fails"
cat >"$WORK/clash.cmake" <<'CMAKE'
fastappkit_add_project(TARGET_PREFIX shop_)
CMAKE
log=$WORK/logs/clash.log
run_fails "$log" "$CMAKE" -S "$SHOP" -B "$BUILD" -D "CONSUMER_EXTRA_CODE=$WORK/clash.cmake"
assert_in_log "$log" "fastappkit cannot add the target shop_migrate_core: a target of that name already exists." \
  "the clash error"
assert_in_log "$log" "Help: pass TARGET_PREFIX" "the clash error's help"
echo "PASS"
