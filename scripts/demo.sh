#!/usr/bin/env bash
# The main job: build fastappkit and install it into build/prefix, then migrate example-project/
# on SQLite through its CMake targets (cmake --build … --target migrate_all) and show what
# migrate_status reports. Safe to run again: the second run builds nothing and migrates nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

# With the warnings setting scripts/test.sh checks, so that the suite's build (README command 2)
# reuses these objects instead of compiling the runner again.
cmake --preset default -DFASTAPPKIT_WARNINGS_AS_ERRORS=ON
# Everything the package installs (the runner, its PostgreSQL plugin, the embedding libraries).
cmake --build --preset default --target fastappkit_package
cmake --install build --prefix build/prefix

# The example consumes the installed package, as a user's project does.
example_build=build/example-project
cmake -S example-project -B "$example_build" -G Ninja -DCMAKE_PREFIX_PATH="$PWD/build/prefix"
cmake --build "$example_build" --target migrate_all
cmake --build "$example_build" --target migrate_status
