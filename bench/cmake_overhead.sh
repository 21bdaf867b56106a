#!/usr/bin/env bash
# What the CMake targets cost on top of the runner, on generated projects with 20 external apps
# (bench/gen_project.py; all migrations applied, so every run is the no-op of the inner loop):
#
#   1. no-op migrate_all: `cmake --build B --target migrate_all` (and `ninja -C B migrate_all`,
#      and `cmake --build` of a target that runs nothing: the floor of any target)
#      vs `fastappkit --project-root P migrate all`; target: ratio of medians <= 3;
#   2. re-configure: `cmake -S P -B B` (fastappkit_add_project runs `describe` and generates the
#      targets) vs `fastappkit describe` alone (reported, no target).
#
# Two projects: "small" (CORE core migrations + APPS apps x PER_APP: 50 + 20 x 5) and "large"
# (500 core + 20 apps x 25, the no-op bench's project of noop_floor.sh).
#
#   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build build
#   bench/cmake_overhead.sh
#
# Installs the package from FASTAPPKIT_BUILD (default <repo>/build) into a scratch prefix.
# Environment: FASTAPPKIT_BUILD, BENCH_WORK (default /tmp/fastappkit-bench-cmake), APPS (20),
# CORE (50), PER_APP (5), RUNS (30), BENCH_RESULTS (default bench/results). The header index
# lives in BENCH_WORK/cache and is built by a first run (files younger than 2 s are not indexed,
# so the script waits that long after generating). Needs hyperfine and ninja. Writes
# <results>/cmake_overhead.md (medians and ratios) and <results>/cmake_overhead-runs.md
# (hyperfine's tables), and exits 1 when a migrate_all ratio exceeds 3.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
build=${FASTAPPKIT_BUILD:-$repo_dir/build}
work=${BENCH_WORK:-/tmp/fastappkit-bench-cmake}
results=${BENCH_RESULTS:-$bench_dir/results}
apps=${APPS:-20} core=${CORE:-50} per_app=${PER_APP:-5} runs=${RUNS:-30}
prefix=$work/prefix
runner=$prefix/bin/fastappkit

[[ -f $build/CMakeCache.txt ]] || { echo "cmake_overhead.sh: no fastappkit build in $build; build it or set FASTAPPKIT_BUILD" >&2; exit 2; }
for tool in hyperfine ninja; do
  command -v "$tool" >/dev/null || { echo "cmake_overhead.sh: $tool is missing" >&2; exit 2; }
done
step() { printf '\n== %s\n' "$*"; }
unset DATABASE_URL FASTAPPKIT_APP_PATH
export NO_COLOR=1
export FASTAPPKIT_CACHE_DIR=$work/cache
cmake=$(command -v cmake) ninja=$(command -v ninja)

step "install fastappkit into $prefix"
rm -rf "$work"
mkdir -p "$work" "$results"
cmake --install "$build" --prefix "$prefix" >/dev/null

# project <name> <core> <apps> <per app>: generates the project, configures a consumer of it,
# applies everything and builds the header index.
project() {
  local name=$1 project=$work/$1 consumer=$work/$1-build
  step "generate the $name project: $2 core migrations, $3 external apps x $4"
  /usr/bin/python3 "$bench_dir/gen_project.py" "$project" --core "$2" --apps "$3" \
    --per-app "$4" --no-alembic >/dev/null
  cat >"$project/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(bench LANGUAGES NONE)
find_package(fastappkit CONFIG REQUIRED)
fastappkit_add_project()
add_custom_target(nothing)  # the floor: what `cmake --build` costs for a target that runs nothing
CMAKE
  cmake -S "$project" -B "$consumer" -G Ninja -D "CMAKE_PREFIX_PATH=$prefix" >/dev/null
  cmake --build "$consumer" --target migrate_all >/dev/null   # apply everything once
}
project small "$core" "$apps" "$per_app"
project large 500 20 25
sleep 2.1
for name in small large; do
  "$runner" -q --project-root "$work/$name" migrate all   # builds the header index
done

: >"$results/cmake_overhead-runs.md"
for name in small large; do
  project=$work/$name consumer=$work/$name-build
  step "hyperfine: the $name project"
  hyperfine -N --warmup 3 --runs "$runs" \
    --export-json "$work/$name.json" --export-markdown "$work/$name-runs.md" \
    -n "no-op: fastappkit migrate all (direct)" "$runner -q --project-root $project migrate all" \
    -n "no-op: cmake --build --target migrate_all" "$cmake --build $consumer --target migrate_all" \
    -n "no-op: ninja migrate_all" "$ninja -C $consumer migrate_all" \
    -n "floor: cmake --build --target nothing" "$cmake --build $consumer --target nothing" \
    -n "fastappkit describe (direct)" \
    "$runner --project-root $project --app-path $prefix/share/fastappkit/apps describe" \
    -n "re-configure: cmake -S P -B B" "$cmake -S $project -B $consumer"
  { echo "### $name project"; echo; cat "$work/$name-runs.md"; echo; } >>"$results/cmake_overhead-runs.md"
done

/usr/bin/python3 - "$work" "$results/cmake_overhead.md" "$(nproc)" "$(uptime)" \
  "$core + $apps apps x $per_app" <<'PY'
import json, sys
work, out, cpus, uptime, small = sys.argv[1:6]
sizes = {"small": small, "large": "500 + 20 apps x 25"}
lines = ["| Project (core + apps, all applied) | `fastappkit migrate all`: median (CPU) | "
         "`cmake --build --target migrate_all`: median (CPU) | Ratio of medians | Target | "
         "`ninja migrate_all`: median (CPU) | floor: `cmake --build` of an empty target: "
         "median (CPU) | `describe` / re-configure: medians |",
         "|:---|---:|---:|---:|:---:|---:|---:|---:|"]
ok = True
for name, label in sizes.items():
    runs = json.load(open(f"{work}/{name}.json"))["results"]
    median = {r["command"]: r["median"] * 1000 for r in runs}
    cpu = {r["command"]: (r["user"] + r["system"]) * 1000 for r in runs}
    direct_cpu = cpu["no-op: fastappkit migrate all (direct)"]
    build_cpu = cpu["no-op: cmake --build --target migrate_all"]
    direct = median["no-op: fastappkit migrate all (direct)"]
    build = median["no-op: cmake --build --target migrate_all"]
    ratio = build / direct
    ok &= ratio <= 3
    lines.append(f"| {label} | {direct:.1f} ms ({direct_cpu:.1f} ms) | {build:.1f} ms "
                 f"({build_cpu:.1f} ms) | {ratio:.2f} | {'met' if ratio <= 3 else 'NOT met'} (3) | "
                 f"{median['no-op: ninja migrate_all']:.1f} ms "
                 f"({cpu['no-op: ninja migrate_all']:.1f} ms) | "
                 f"{median['floor: cmake --build --target nothing']:.1f} ms "
                 f"({cpu['floor: cmake --build --target nothing']:.1f} ms) | "
                 f"{median['fastappkit describe (direct)']:.1f} / "
                 f"{median['re-configure: cmake -S P -B B']:.1f} ms |")
lines += ["", f"hyperfine -N medians of {runs[0]['times'].__len__()} runs; CPU is hyperfine's mean "
          "user + system time (`cmake_overhead-runs.md` has the full tables). migrate_all runs one "
          "`fastappkit migrate all`; the rest of its time is `cmake --build` (the `cmake` "
          "executable loads some 45 shared libraries before it starts Ninja) and Ninja; the floor is what "
          "any target costs, so migrate_all minus the floor is the runner and the shell Ninja starts it "
          "with, and the ratio cannot be under floor / runner + 1. "
          f"{cpus} CPUs; load at the end: {uptime.split('load average:')[-1].strip()}."]
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
sys.exit(0 if ok else 1)
PY
