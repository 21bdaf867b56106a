#!/usr/bin/env bash
# What the CMake targets cost on top of the runner, on a generated project with 20 external apps
# (bench/gen_project.py; all migrations applied, so every run is the no-op of the inner loop):
#
#   1. no-op migrate_all: `cmake --build B --target migrate_all` (and `ninja -C B migrate_all`,
#      -j1 and the default -j) vs `fastappkit --project-root P migrate all`;
#   2. re-configure: `cmake -S P -B B` (fastappkit_add_project runs `describe` and generates 25
#      targets) vs `fastappkit describe` alone.
#
#   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build build
#   bench/cmake_overhead.sh
#
# Installs the package from FASTAPPKIT_BUILD (default <repo>/build) into a scratch prefix.
# Environment: FASTAPPKIT_BUILD, BENCH_WORK (default /tmp/fastappkit-bench-cmake), APPS (20),
# CORE (50), PER_APP (5), BENCH_RESULTS (default bench/results). Uses hyperfine when installed,
# else a shell loop. Writes <results>/cmake_overhead.md.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
build=${FASTAPPKIT_BUILD:-$repo_dir/build}
work=${BENCH_WORK:-/tmp/fastappkit-bench-cmake}
results=${BENCH_RESULTS:-$bench_dir/results}
apps=${APPS:-20} core=${CORE:-50} per_app=${PER_APP:-5}
project=$work/project
consumer=$work/build
prefix=$work/prefix
runner=$prefix/bin/fastappkit

[[ -f $build/CMakeCache.txt ]] || { echo "cmake_overhead.sh: no fastappkit build in $build; build it or set FASTAPPKIT_BUILD" >&2; exit 2; }
command -v ninja >/dev/null || { echo "cmake_overhead.sh: ninja is missing" >&2; exit 2; }
step() { printf '\n== %s\n' "$*"; }
unset DATABASE_URL FASTAPPKIT_APP_PATH
export NO_COLOR=1

step "install fastappkit into $prefix; generate a project with $apps external apps"
rm -rf "$work"
mkdir -p "$work" "$results"
cmake --install "$build" --prefix "$prefix" >/dev/null
/usr/bin/python3 "$bench_dir/gen_project.py" "$project" --core "$core" --apps "$apps" \
  --per-app "$per_app" --no-alembic >/dev/null
cat >"$project/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(bench LANGUAGES NONE)
find_package(fastappkit CONFIG REQUIRED)
fastappkit_add_project()
CMAKE
cmake -S "$project" -B "$consumer" -G Ninja -D "CMAKE_PREFIX_PATH=$prefix" >/dev/null
targets=$(ninja -C "$consumer" -t targets all | grep -c '^migrate_.*: phony$')
echo "$targets migrate targets"
cmake --build "$consumer" --target migrate_all >/dev/null   # apply everything once

direct=("$runner" -q --project-root "$project" migrate all)
describe=("$runner" --project-root "$project" --app-path "$prefix/share/fastappkit/apps" describe)
commands=(
  "no-op: fastappkit migrate all (direct)"          "${direct[*]}"
  "no-op: cmake --build --target migrate_all"       "cmake --build $consumer --target migrate_all"
  "no-op: ninja migrate_all"                        "ninja -C $consumer migrate_all"
  "no-op: ninja -j1 migrate_all"                    "ninja -j1 -C $consumer migrate_all"
  "fastappkit describe (direct)"                    "${describe[*]}"
  "re-configure: cmake -S P -B B"                   "cmake -S $project -B $consumer"
)
out=$results/cmake_overhead.md

if command -v hyperfine >/dev/null; then
  step "hyperfine"
  args=()
  for ((i = 0; i < ${#commands[@]}; i += 2)); do
    args+=(--command-name "${commands[i]}" "${commands[i + 1]} >/dev/null")
  done
  hyperfine --warmup 2 --min-runs 10 --export-markdown "$out" "${args[@]}"
else
  step "shell loop (hyperfine is not installed): mean of 10 runs"
  { echo "| Command | Mean [ms] |"; echo "|:---|---:|"; } >"$out"
  for ((i = 0; i < ${#commands[@]}; i += 2)); do
    bash -c "${commands[i + 1]}" >/dev/null 2>&1
    start=$(date +%s%N)
    for _ in 1 2 3 4 5 6 7 8 9 10; do bash -c "${commands[i + 1]}" >/dev/null 2>&1; done
    mean=$(( ($(date +%s%N) - start) / 10000000 ))
    printf '| %s | %d |\n' "${commands[i]}" "$mean" | tee -a "$out"
  done
fi
{
  echo
  echo "Project: core $core migrations, $apps external apps x $per_app, all applied;"
  echo "$targets migrate targets; $(nproc) CPUs. migrate_all runs one runner per history"
  echo "(core + $apps apps), independent apps in parallel."
} >>"$out"
echo "results: $out"
