#!/usr/bin/env bash
# Fleets (docs/fleet.md), two measurements:
#
# 1. The no-op over 1,000 SQLite databases at head (a 40-revision core history and an app of 5),
#    `migrate fleet --parallel 2`, against its floor: 1,000 `sqlite3` processes, each reading one
#    database's version table (`xargs -P 2`); and against 1,000 separate `fastappkit migrate all`
#    runs (`xargs -P 2`). Target: the fleet within 3x the floor.
# 2. The same history applied to 100 fresh PostgreSQL databases, `--parallel 4` against
#    `--parallel 1` (one after another). Target: at most 0.5x. Needs FASTAPPKIT_TEST_POSTGRES_URL
#    (a role that may create databases), as `eval "$(bash tests/support/pg-start.sh)"` sets it;
#    skipped without it.
#
#   cmake --preset default && cmake --build --preset default && bench/fleet.sh
#
# Environment: FASTAPPKIT (runner, default <repo>/build/tool/fastappkit), BENCH_WORK (default
# /tmp/fastappkit-bench-fleet), BENCH_RESULTS (default bench/results), FLEET_SIZE (default 1000),
# PG_FLEET_SIZE (default 100). Writes <results>/fleet.md; exits 1 when a target is not met.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
results=${BENCH_RESULTS:-$bench_dir/results}
work=${BENCH_WORK:-/tmp/fastappkit-bench-fleet}
runner=$(realpath "${FASTAPPKIT:-$repo_dir/build/tool/fastappkit}")
size=${FLEET_SIZE:-1000}
pg_size=${PG_FLEET_SIZE:-100}
for tool in hyperfine sqlite3; do
  command -v "$tool" >/dev/null || { echo "fleet.sh: $tool is missing" >&2; exit 2; }
done
unset DATABASE_URL FASTAPPKIT_APP_PATH

rm -rf "$work"
mkdir -p "$work/tenants" "$results"
project=$work/project
/usr/bin/python3 "$bench_dir/gen_project.py" "$project" --core 40 --apps 1 --per-app 5 --no-alembic >/dev/null

# 1. SQLite no-op ---------------------------------------------------------------------------------
for i in $(seq -w 1 "$size"); do echo "sqlite:///$work/tenants/t$i.db"; done >"$work/targets.txt"
"$runner" --project-root "$project" -q migrate fleet --targets "$work/targets.txt" --parallel 2
ls "$work"/tenants/*.db >"$work/files.txt"
hyperfine -N --warmup 1 --runs 10 --export-json "$work/sqlite.json" \
  -n "sqlite3 x $size" "xargs -a $work/files.txt -P 2 -I{} sqlite3 {} 'SELECT version_num FROM alembic_version'" \
  -n "fleet --parallel 2" "$runner --project-root $project -q migrate fleet --targets $work/targets.txt --parallel 2" \
  -n "migrate all x $size" "xargs -a $work/targets.txt -P 2 -I{} $runner --project-root $project -q --database-url {} migrate all"

# 2. PostgreSQL apply -----------------------------------------------------------------------------
pg_json=""
if [[ -n "${FASTAPPKIT_TEST_POSTGRES_URL:-}" ]]; then
  base=${FASTAPPKIT_TEST_POSTGRES_URL%/*}
  for i in $(seq -w 1 "$pg_size"); do echo "$base/fk_fleet_$i"; done >"$work/pg-targets.txt"
  prepare="xargs -a $work/pg-targets.txt -P 1 -I{} $runner -q --database-url {} db reset"
  hyperfine -N --runs 5 --export-json "$work/pg.json" \
    --prepare "$prepare" \
    -n "fleet --parallel 1" "$runner --project-root $project -q migrate fleet --targets $work/pg-targets.txt --parallel 1" \
    --prepare "$prepare" \
    -n "fleet --parallel 4" "$runner --project-root $project -q migrate fleet --targets $work/pg-targets.txt --parallel 4"
  # Cleanup only: a failed drop (say, a busy autovacuum worker) does not void the figures.
  xargs -a "$work/pg-targets.txt" -P 1 -I{} "$runner" -q --database-url {} db drop ||
    echo "fleet.sh: some benchmark databases fk_fleet_* were not dropped" >&2
  pg_json=$work/pg.json
fi

/usr/bin/python3 - "$work/sqlite.json" "$pg_json" "$results/fleet.md" "$size" "$pg_size" "$(nproc)" "$(uptime)" <<'PY'
import json, sys
sqlite_json, pg_json, out, size, pg_size, cpus, load = sys.argv[1:]
med = {r["command"]: r["median"] for r in json.load(open(sqlite_json))["results"]}
floor, fleet, singles = med[f"sqlite3 x {size}"], med["fleet --parallel 2"], med[f"migrate all x {size}"]
ok = fleet / floor <= 3
lines = [f"No-op over {size} SQLite databases at head (45 revisions in 2 histories), 2 at a time:", "",
         "| Run | median | / floor |", "|:---|---:|---:|",
         f"| `sqlite3` reading each version table (floor) | {floor:.2f} s | 1.00 |",
         f"| `migrate fleet --parallel 2` | {fleet:.2f} s | **{fleet / floor:.2f}** |",
         f"| `migrate all` per database | {singles:.2f} s | {singles / floor:.2f} |", "",
         f"Target: the fleet within 3x the floor: {'met' if ok else 'NOT met'}."]
if pg_json:
    pg = {r["command"]: r["median"] for r in json.load(open(pg_json))["results"]}
    one, four = pg["fleet --parallel 1"], pg["fleet --parallel 4"]
    ok_pg = four / one <= 0.5
    ok &= ok_pg
    lines += ["", f"Applying the same history to {pg_size} fresh PostgreSQL databases:", "",
              "| Run | median | / one after another |", "|:---|---:|---:|",
              f"| `--parallel 1` | {one:.2f} s | 1.00 |",
              f"| `--parallel 4` | {four:.2f} s | **{four / one:.2f}** |", "",
              f"Target: at most 0.5x: {'met' if ok_pg else 'NOT met'}."]
lines += ["", f"hyperfine medians (10 runs SQLite, 5 PostgreSQL). {cpus} CPUs; load at the end: "
          f"{load.split('load average:')[-1].strip()}."]
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
sys.exit(0 if ok else 1)
PY
