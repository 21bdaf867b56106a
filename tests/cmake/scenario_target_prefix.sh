# TARGET_PREFIX renames every target (and the dependencies between them); two projects in one
# build without it clash with a clear error.
source "$(dirname "$0")/lib.sh"
new_project

step "TARGET_PREFIX shop_"
configure configure -D "CMAKE_PREFIX_PATH=$PREFIX" -D CONSUMER_TARGET_PREFIX=shop_
assert_eq "$(migrate_targets)" \
  "shop_migrate_all shop_migrate_analytics shop_migrate_audit shop_migrate_core shop_migrate_payments shop_migrate_preview shop_migrate_status" \
  "the prefixed targets"
assert_eq "$(target_dependencies shop_migrate_payments)" "shop_migrate_analytics shop_migrate_core" \
  "shop_migrate_payments's dependencies"
build migrate_all shop_migrate_all
assert_shop_migrated "$SHOP/shop.db"

step "a second fastappkit_add_project() with another prefix and its own DATABASE_URL"
cat >"$WORK/second_project.cmake" <<'CMAKE'
fastappkit_add_project(TARGET_PREFIX again_ DATABASE_URL sqlite:///again.db)
CMAKE
configure second -D "CONSUMER_EXTRA_CODE=$WORK/second_project.cmake"
[[ " $(migrate_targets) " == *" again_migrate_all "* ]] || fail "again_migrate_all is missing"
assert_not_in_log "$WORK/logs/second.log" "CMake Warning" "the configure"
build again again_migrate_all
assert_shop_migrated "$SHOP/again.db"

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
