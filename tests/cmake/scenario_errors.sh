# Configuration errors stop CMake with the runner's exact sentence and a Help: line; bad
# arguments to the module's functions get one precise error each.
source "$(dirname "$0")/lib.sh"
new_project
RUNNER=$PREFIX/bin/fastappkit

# expect_configure_error <name> <expected text> [cmake arguments...]
expect_configure_error() {
  local log=$WORK/logs/$1.log expected=$2; shift 2
  run_fails "$log" "$CMAKE" -S "$SHOP" -B "$BUILD" -G Ninja -D "CMAKE_MAKE_PROGRAM=$NINJA" \
    -D "CMAKE_PREFIX_PATH=$PREFIX" "$@"
  assert_in_log "$log" "$expected" "the configure error"
  assert_in_log "$log" "Help: " "the configure error's Help: line"
  assert_in_log "$log" "-- Configuring incomplete, errors occurred!" "CMake's verdict"
}

# The runner's own sentence for the project as it is now (exit status 2).
runner_sentence() {
  local status=0
  "$RUNNER" --project-root "$SHOP" --app-path "$PREFIX/share/fastappkit/apps" describe \
    >"$WORK/describe.out" 2>"$WORK/describe.err" || status=$?
  assert_eq "$status" 2 "the runner's exit status on a bad configuration"
  [[ -s "$WORK/describe.err" ]] || fail "the runner printed no error"
  head -n 1 "$WORK/describe.err"
}

step "an internal app whose directory is missing"
cp "$SHOP/fastappkit.toml" "$WORK/fastappkit.toml.good"
sed -i 's/"apps.blog"/"apps.missing"/' "$SHOP/fastappkit.toml"
sentence=$(runner_sentence)
echo "the runner says: $sentence"
expect_configure_error missing_app "  $sentence"
assert_in_log "$WORK/logs/missing_app.log" "fastappkit cannot read the project in $SHOP:" \
  "the configure error's first line"

step "a TOML syntax error"
printf '[tool.fastappkit]\napps = ["apps.blog"\n' >"$SHOP/fastappkit.toml"
sentence=$(runner_sentence)
echo "the runner says: $sentence"
expect_configure_error syntax_error "  $sentence"

step "an external app that cannot be found"
cp "$WORK/fastappkit.toml.good" "$SHOP/fastappkit.toml"
rm -rf "$SHOP/external/audit"
sentence=$(runner_sentence)
echo "the runner says: $sentence"
expect_configure_error unknown_app "  $sentence"

step "fixed: configure succeeds"
cp -R "$PROJECTS/shop/external/audit" "$SHOP/external/audit"
configure fixed -D "CMAKE_PREFIX_PATH=$PREFIX"

step "bad arguments"
# bad_call <name> <cmake code> <expected error>
bad_call() {
  printf '%s\n' "$2" >"$WORK/$1.cmake"
  expect_configure_error "$1" "$3" -D "CONSUMER_EXTRA_CODE=$WORK/$1.cmake"
}
bad_call unknown_keyword 'fastappkit_add_project(TARGET_PREFIX x_ ROOTS .)' \
  "fastappkit_add_project() does not take the arguments: ROOTS ."
bad_call missing_value 'fastappkit_add_project(TARGET_PREFIX x_ DATABASE_URL)' \
  "fastappkit_add_project(): DATABASE_URL given without a value."
bad_call bad_root 'fastappkit_add_project(ROOT no/such/dir TARGET_PREFIX x_)' \
  "fastappkit_add_project(): the project root $SHOP/no/such/dir is not a directory."
bad_call no_fixture 'fastappkit_add_test(NAME t COMMAND true FIXTURE nope)' \
  "fastappkit_add_test(t): there is no fixture 'nope'."
bad_call no_command 'fastappkit_add_test(NAME t FIXTURE shop_db)' \
  "fastappkit_add_test(): COMMAND is missing."
bad_call fixture_twice 'fastappkit_add_test_fixture(shop_db)' \
  "fastappkit_add_test_fixture(): the fixture 'shop_db' already exists."
bad_call fixture_keyword 'fastappkit_add_test_fixture(other URL x)' \
  "fastappkit_add_test_fixture() does not take the arguments: URL x"
bad_call bad_runner 'set(FASTAPPKIT_RUNNER /no/such/fastappkit)
fastappkit_add_project(TARGET_PREFIX x_)' \
  "FASTAPPKIT_RUNNER is /no/such/fastappkit, which is not a file."
echo "PASS"
