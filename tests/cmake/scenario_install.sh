# Installs the fastappkit build tree into <install prefix> (the fixture the consumer scenarios
# require), and checks the package's files are where find_package looks.
#   bash scenario_install.sh ... <work dir> <build dir> <config>
source "$(dirname "$0")/lib.sh"
FASTAPPKIT_BUILD=$7 CONFIG=${8:-Release}

step "cmake --install into $PREFIX"
rm -rf "$PREFIX" "$WORK"
mkdir -p "$WORK"
run_ok "$WORK/install.log" "$CMAKE" --install "$FASTAPPKIT_BUILD" --prefix "$PREFIX" --config "$CONFIG"
for file in bin/fastappkit \
            lib/cmake/fastappkit/fastappkitConfig.cmake \
            lib/cmake/fastappkit/fastappkitConfigVersion.cmake \
            lib/cmake/fastappkit/fastappkitTargets.cmake \
            lib/cmake/fastappkit/fastappkit.cmake \
            lib/cmake/fastappkit/fastappkit-fixture-setup.cmake \
            share/fastappkit/apps; do
  assert_exists "$PREFIX/$file" "the installed package"
done

step "the installed runner runs"
run_ok "$WORK/version.log" "$PREFIX/bin/fastappkit" --version
assert_in_log "$WORK/version.log" "fastappkit " "fastappkit --version"

step "the package's version file: SameMinorVersion, not architecture-independent"
assert_in_log "$PREFIX/lib/cmake/fastappkit/fastappkitConfigVersion.cmake" \
  'CMAKE_SIZEOF_VOID_P' "fastappkitConfigVersion.cmake checks the architecture"
echo "PASS"
