#!/usr/bin/env bash
# The no-op `migrate all` on SQLite against its floor: `sqlite3` reading the version table of the
# same database (SQLite loads the whole schema to do that, as the runner must). Two projects,
# everything applied: 500 migrations in one history, and 1,000 in 21 histories (500 core + 20
# apps x 25). Builds nothing:
#
#   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build build
#   bench/noop_floor.sh
#
# Environment: FASTAPPKIT (runner, default <repo>/build/tool/fastappkit), BENCH_WORK (default
# /tmp/fastappkit-bench-noop), BENCH_RESULTS (default bench/results). The header index lives in
# BENCH_WORK/cache and is built by a first run (files younger than 2 s are not indexed, so the
# script waits that long after generating). Writes <results>/noop-floor.md and exits 1 when a
# ratio of medians exceeds 1.5.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
results=${BENCH_RESULTS:-$bench_dir/results}
work=${BENCH_WORK:-/tmp/fastappkit-bench-noop}
runner=$(realpath "${FASTAPPKIT:-$repo_dir/build/tool/fastappkit}")
for tool in hyperfine sqlite3; do
  command -v "$tool" >/dev/null || { echo "noop_floor.sh: $tool is missing" >&2; exit 2; }
done
unset DATABASE_URL FASTAPPKIT_APP_PATH
export FASTAPPKIT_CACHE_DIR=$work/cache

mkdir -p "$work" "$results"
one=$work/one
many=$work/many
/usr/bin/python3 "$bench_dir/gen_project.py" "$one" --core 500 --apps 0 --no-alembic >/dev/null
/usr/bin/python3 "$bench_dir/gen_project.py" "$many" --core 500 --apps 20 --per-app 25 --no-alembic >/dev/null
rm -rf "$FASTAPPKIT_CACHE_DIR" "$one/bench.db" "$many/bench.db"
"$runner" --project-root "$one" -q migrate all
"$runner" --project-root "$many" -q migrate all
sleep 2.1
"$runner" --project-root "$one" -q migrate all   # builds the header index
"$runner" --project-root "$many" -q migrate all

read_version="SELECT version_num FROM alembic_version"
hyperfine -N --warmup 5 --runs 100 \
  --export-markdown "$results/noop-floor-runs.md" --export-json "$work/noop-floor.json" \
  -n "sqlite3: 500 in 1 history" "sqlite3 $one/bench.db '$read_version'" \
  -n "fastappkit: 500 in 1 history" "$runner --project-root $one -q migrate all" \
  -n "sqlite3: 1,000 in 21 histories" "sqlite3 $many/bench.db '$read_version'" \
  -n "fastappkit: 1,000 in 21 histories" "$runner --project-root $many -q migrate all"

/usr/bin/python3 - "$work/noop-floor.json" "$results/noop-floor.md" "$(nproc)" "$(uptime)" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["results"]
median = {r["command"]: r["median"] * 1000 for r in runs}
cpu = {r["command"]: (r["user"] + r["system"]) * 1000 for r in runs}
lines = ["| Project (all applied) | `sqlite3` floor: median (CPU) | `fastappkit migrate all`: median (CPU) | Ratio of medians | Target |",
         "|:---|---:|---:|---:|:---:|"]
ok = True
for label in ("500 in 1 history", "1,000 in 21 histories"):
    floor, runner = f"sqlite3: {label}", f"fastappkit: {label}"
    ratio = median[runner] / median[floor]
    ok &= ratio <= 1.5
    lines.append(f"| {label} | {median[floor]:.1f} ms ({cpu[floor]:.1f} ms) | {median[runner]:.1f} ms "
                 f"({cpu[runner]:.1f} ms) | {ratio:.2f} | {'met' if ratio <= 1.5 else 'NOT met'} (1.5) |")
lines += ["", f"hyperfine medians of 100 runs; CPU is hyperfine's mean user + system time. {sys.argv[3]} CPUs; "
          f"load at the end: {sys.argv[4].split('load average:')[-1].strip()}."]
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
sys.exit(0 if ok else 1)
PY
