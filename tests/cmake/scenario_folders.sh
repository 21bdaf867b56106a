# What IDEs see, read through the CMake File API: every migrate target in the folder
# "fastappkit" (shown when the project turns USE_FOLDERS on, which the module never forces) with
# fastappkit.toml or its app's manifest as a source.
source "$(dirname "$0")/lib.sh"
new_project
mkdir -p "$BUILD/.cmake/api/v1/query"
touch "$BUILD/.cmake/api/v1/query/codemodel-v2"

step "USE_FOLDERS ON"
configure folders_on -D "CMAKE_PREFIX_PATH=$PREFIX" -D CONSUMER_USE_FOLDERS=ON
run_ok "$WORK/logs/check_on.log" "$CMAKE" -D "BUILD_DIR=$BUILD" -D EXPECTED_FOLDER=fastappkit \
  -P "$TESTS_DIR/check_codemodel.cmake"

step "USE_FOLDERS OFF: the module does not turn it on"
# (CMake 3.25's File API reports FOLDER either way; IDE generators honour it only with
# USE_FOLDERS, which is the project's choice.)
cat >"$WORK/use_folders.cmake" <<'CMAKE'
get_property(use_folders GLOBAL PROPERTY USE_FOLDERS)
message(STATUS "USE_FOLDERS after fastappkit_add_project: '${use_folders}'")
CMAKE
configure folders_off -D CONSUMER_USE_FOLDERS=OFF -D "CONSUMER_EXTRA_CODE=$WORK/use_folders.cmake"
assert_in_log "$WORK/logs/folders_off.log" "USE_FOLDERS after fastappkit_add_project: ''" \
  "the USE_FOLDERS global property"
echo "PASS"
