#!/usr/bin/env bash
# The no-op `migrate all` of two builds side by side: an older one (BASELINE_BUILD, e.g. the
# commit before the runner facade, fastappkit::Migrator and runner/run_connection) and this
# one (BUILD), on the same generated project and the same up-to-date database:
#
#   (1) the CLI, `fastappkit migrate all`, on SQLite;
#   (2) the same on PostgreSQL, with FASTAPPKIT_TEST_POSTGRES_URL (database fastappkit_bench_facade,
#       created and dropped here);
#   (3) a program built with fastappkit_embed_migrations (bench/embedded/bench_migrate) calling
#       migrate_all() at start-up on the SQLite database, built once against each build's
#       installed package.
#
# Builds nothing but the programs of (3):
#
#   git worktree add --detach ../baseline <commit> && cmake --preset default (in both trees)
#   cmake --build --preset default (in both trees)
#   BASELINE_BUILD=../baseline/build bench/facade_noop.sh
#
# Each measurement times both builds in turn (bench/interleaved.py: baseline, current, baseline,
# ...), so that the load of a shared machine falls on both alike; the target is on the ratio of
# those medians. hyperfine then times the same two commands in its blocks of runs, for
# reference. The whole set is repeated REPEATS times to show whether the ratio is stable. With
# valgrind installed, each command also runs once under callgrind: the instructions it executes
# do not depend on the load.
# Each build keeps its own header index (the two formats may differ): the project is reached
# through one symbolic link per build, and the index is keyed by the path it was read under.
#
# Environment: BASELINE_BUILD (required), BUILD (default <repo>/build), RUNS (runs of each
# command per measurement, default 200), REPEATS (default 2), CORE (default 500), APPS (default
# 4), PER_APP (default 25), BENCH_WORK (default /tmp/fastappkit-bench-facade), BENCH_RESULTS
# (default bench/results). Writes <results>/facade-noop.md and exits 1 when current/baseline
# exceeds 1.05 in any measurement of any repetition.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
results=${BENCH_RESULTS:-$bench_dir/results}
work=${BENCH_WORK:-/tmp/fastappkit-bench-facade}
baseline_build=$(realpath "${BASELINE_BUILD:?set it to the build tree of the older runner}")
current_build=$(realpath "${BUILD:-$repo_dir/build}")
runs=${RUNS:-200}
repeats=${REPEATS:-2}
core=${CORE:-500}
apps=${APPS:-4}
per_app=${PER_APP:-25}
server=${FASTAPPKIT_TEST_POSTGRES_URL:-}
python=/usr/bin/python3
for tool in hyperfine sqlite3 cmake ninja; do
  command -v "$tool" >/dev/null || { echo "facade_noop.sh: $tool is missing" >&2; exit 2; }
done
for build in "$baseline_build" "$current_build"; do
  [[ -x $build/tool/fastappkit ]] || { echo "facade_noop.sh: build $build first" >&2; exit 2; }
done
unset DATABASE_URL FASTAPPKIT_APP_PATH
export FASTAPPKIT_CACHE_DIR=$work/cache

step() { printf '\n== %s\n' "$*"; }
sides=(baseline current)
declare -A build_of=([baseline]=$baseline_build [current]=$current_build)
# The commit a build tree was configured from, for the result table.
commit_of() {
  local source
  source=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$1/CMakeCache.txt")
  git -C "$source" describe --always --dirty --abbrev=10 2>/dev/null || echo unknown
}

rm -rf "$work" && mkdir -p "$work" "$results"
project=$work/project empty=$work/empty db=$work/project/bench.db
step "installing both builds and generating the project ($core core + $apps apps x $per_app)"
for side in "${sides[@]}"; do
  cmake --install "${build_of[$side]}" --prefix "$work/$side/prefix" >/dev/null
  ln -s project "$work/$side-root"
done
$python "$bench_dir/gen_project.py" "$project" --core "$core" --apps "$apps" --per-app "$per_app" \
  --no-alembic >/dev/null
$python "$bench_dir/gen_project.py" "$empty" --core 1 --apps 0 --no-alembic >/dev/null
# The older runner creates the database, so that its tables are the ones both know.
"$work/baseline/prefix/bin/fastappkit" --project-root "$work/baseline-root" -q migrate all

step "building bench/embedded against each installed package"
for side in "${sides[@]}"; do
  cmake -S "$bench_dir/embedded" -B "$work/$side/programs" -G Ninja -D CMAKE_BUILD_TYPE=Release \
    -D "CMAKE_PREFIX_PATH=$work/$side/prefix" -D "BENCH_PROJECT=$project" \
    -D "BENCH_EMPTY_PROJECT=$empty" >/dev/null
  cmake --build "$work/$side/programs" --target bench_migrate >/dev/null
done

if [[ -n $server ]]; then
  base=${server%%\?*} query=
  [[ "$server" == *\?* ]] && query="?${server#*\?}"
  pg_url="${base%/*}/fastappkit_bench_facade$query"
  trap '"$work/current/prefix/bin/fastappkit" -q --database-url "$pg_url" db drop' EXIT
  "$work/current/prefix/bin/fastappkit" -q --database-url "$pg_url" db reset
  "$work/baseline/prefix/bin/fastappkit" --project-root "$work/baseline-root" \
    --database-url "$pg_url" -q migrate all
fi

# The commands of each measurement, baseline then current.
declare -A command_of
for side in "${sides[@]}"; do
  runner="$work/$side/prefix/bin/fastappkit --project-root $work/$side-root -q"
  command_of[cli-sqlite,$side]="$runner migrate all"
  [[ -n $server ]] && command_of[cli-postgresql,$side]="$runner --database-url $pg_url migrate all"
  command_of[embedded-sqlite,$side]="$work/$side/programs/bench_migrate sqlite:///$db"
done
measurements=(cli-sqlite)
[[ -n $server ]] && measurements+=(cli-postgresql)
measurements+=(embedded-sqlite)

# Files younger than 2 s are not indexed: wait, then let each build write its index and check
# that every command is a no-op that leaves the database as it is.
sleep 2.1
for measurement in "${measurements[@]}"; do
  for side in "${sides[@]}"; do ${command_of[$measurement,$side]}; done
done
before=$(sha256sum "$db")

for repeat in $(seq "$repeats"); do
  for measurement in "${measurements[@]}"; do
    step "repetition $repeat: $measurement"
    out=$work/$measurement-$repeat
    $python "$bench_dir/interleaved.py" --warmup 10 --runs "$runs" \
      --export-json "$out-interleaved.json" --export-markdown "$out-interleaved.md" \
      -n baseline "${command_of[$measurement,baseline]}" \
      -n current "${command_of[$measurement,current]}"
    hyperfine -N --warmup 10 --runs "$runs" --style none \
      --export-json "$out-hyperfine.json" \
      -n baseline "${command_of[$measurement,baseline]}" \
      -n current "${command_of[$measurement,current]}"
  done
done
[[ $(sha256sum "$db") == "$before" ]] || { echo "facade_noop.sh: a no-op changed $db" >&2; exit 1; }

# Instructions the process executes (callgrind, one run each): what load does not change.
if command -v valgrind >/dev/null; then
  step "instructions executed (callgrind)"
  for measurement in "${measurements[@]}"; do
    for side in "${sides[@]}"; do
      valgrind --tool=callgrind --callgrind-out-file="$work/$measurement-$side.callgrind" \
        --log-file="$work/$measurement-$side.valgrind" ${command_of[$measurement,$side]}
      sed -n 's/.*Collected : //p' "$work/$measurement-$side.valgrind" >"$work/$measurement-$side.instructions"
    done
  done
fi

step "results"
$python - "$work" "$results/facade-noop.md" "$repeats" "$runs" "$(nproc)" "$(uptime)" \
  "$(commit_of "$baseline_build")" "$(commit_of "$current_build")" "$core" "$apps" "$per_app" \
  "${measurements[@]}" <<'PY'
import json, sys
work, out, repeats, runs, cpus, load, base_commit, current_commit, core, apps, per_app = sys.argv[1:12]
measurements = sys.argv[12:]
titles = {
    "cli-sqlite": "CLI `migrate all`, SQLite",
    "cli-postgresql": "CLI `migrate all`, PostgreSQL",
    "embedded-sqlite": "embedded `migrate_all()` at start-up, SQLite",
}
limit = 1.05

def runs_of(measurement, repeat, tool):
    with open(f"{work}/{measurement}-{repeat}-{tool}.json") as file:
        return {run["command"]: run for run in json.load(file)["results"]}

ms = lambda seconds: f"{seconds * 1000:.2f} ms"
lines = [f"No-op on an up-to-date database: baseline `{base_commit}` vs current `{current_commit}`, "
         f"{core} core revisions + {apps} apps x {per_app}. Target: current/baseline <= {limit} "
         "(medians of the interleaved runs).", "",
         "| No-op | Rep. | Baseline: median (CPU) | Current: median (CPU) | Ratio | "
         "hyperfine blocks: baseline / current | hyperfine ratio | Target |",
         "|:---|---:|---:|---:|---:|---:|---:|:---:|"]
ok = True
for measurement in measurements:
    for repeat in range(1, int(repeats) + 1):
        turn = runs_of(measurement, repeat, "interleaved")
        block = runs_of(measurement, repeat, "hyperfine")
        base, current = turn["baseline"], turn["current"]
        ratio = current["median"] / base["median"]
        block_ratio = block["current"]["median"] / block["baseline"]["median"]
        ok &= ratio <= limit
        lines.append(
            f"| {titles[measurement]} | {repeat} | {ms(base['median'])} ({ms(base['cpu_median'])}) "
            f"| {ms(current['median'])} ({ms(current['cpu_median'])}) | {ratio:.3f} "
            f"| {ms(block['baseline']['median'])} / {ms(block['current']['median'])} "
            f"| {block_ratio:.3f} | {'met' if ratio <= limit else 'NOT met'} |")

def instructions(measurement, side):
    try:
        with open(f"{work}/{measurement}-{side}.instructions") as file:
            return int(file.read())
    except (OSError, ValueError):
        return None

counted = {m: (instructions(m, "baseline"), instructions(m, "current")) for m in measurements}
if all(None not in pair for pair in counted.values()):
    lines += ["", "| No-op, one run under callgrind | Baseline: instructions | Current: instructions | Ratio |",
              "|:---|---:|---:|---:|"]
    for measurement, (base, current) in counted.items():
        lines.append(f"| {titles[measurement]} | {base:,} | {current:,} | {current / base:.3f} |")
lines += ["", f"{runs} runs of each command per repetition after 10 warm-up runs, timed in turn by "
          "bench/interleaved.py (wall-clock median; CPU: median user + system); hyperfine then "
          f"ran the same commands in blocks, for reference. {cpus} CPUs; load at the end: "
          f"{load.split('load average:')[-1].strip()}. The instruction counts (valgrind's callgrind, "
          "the whole process, for the PostgreSQL row the client only) do not depend on the load."]
with open(out, "w") as file:
    file.write("\n".join(lines) + "\n")
print("\n".join(lines))
sys.exit(0 if ok else 1)
PY
