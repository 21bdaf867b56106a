#!/usr/bin/env bash
# Does the runner stay linear? Linear histories of 1,000 and 10,000 revisions (SQLite), of two
# kinds: "schema", where each migration creates a table and an index (20,000 schema objects at
# 10,000), and "data", where each adds a row to one table (the schema stays small):
#   plan:   `migrate status` on an empty database (reads every header, plans every revision)
#   no-op:  `migrate all` with everything applied
#   floor:  `sqlite3` reading the version table of the same database
# each at 10,000 against 10x its cost at 1,000, and the peak RSS at 10,000 (under 30 MiB).
# SQLite's own schema load grows faster than linearly with the schema objects (the schema
# kind's floor shows it), so for that kind the no-op's multiple of its floor must not grow
# from 1,000 to 10,000; the data kind measures the whole no-op. Builds nothing:
#
#   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build build
#   bench/scaling.sh
#
# Environment: FASTAPPKIT (runner), BENCH_WORK (default /tmp/fastappkit-bench-scaling),
# BENCH_RESULTS (default bench/results). Applying the 10,000 migrations once takes a while
# (SQLite fsyncs each). Writes <results>/scaling.md; exits 1 when a target is missed.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
results=${BENCH_RESULTS:-$bench_dir/results}
work=${BENCH_WORK:-/tmp/fastappkit-bench-scaling}
runner=$(realpath "${FASTAPPKIT:-$repo_dir/build/tool/fastappkit}")
for tool in hyperfine /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "scaling.sh: $tool is missing" >&2; exit 2; }
done
unset DATABASE_URL FASTAPPKIT_APP_PATH
export FASTAPPKIT_CACHE_DIR=$work/cache

mkdir -p "$work" "$results"
rm -rf "$FASTAPPKIT_CACHE_DIR"
# The databases live beside the projects, so that a re-run (FRESH=1 to start over) keeps the
# long 10,000-migration applies: the generated files are the same every time.
kinds=(schema data)
for kind in "${kinds[@]}"; do
  flag=(); [[ $kind == data ]] && flag=(--data)
  for n in 1000 10000; do
    /usr/bin/python3 "$bench_dir/gen_project.py" "$work/$kind$n" --core "$n" --apps 0 \
      --no-alembic "${flag[@]}" >/dev/null
    [[ ${FRESH:-0} == 1 ]] && rm -f "$work/$kind$n.db"
    echo "applying $n $kind migrations (nothing when already applied)"
    "$runner" --project-root "$work/$kind$n" --database-url "sqlite:///$work/$kind$n.db" -q migrate all
  done
done
sleep 2.1
for kind in "${kinds[@]}"; do
  for n in 1000 10000; do
    "$runner" --project-root "$work/$kind$n" --database-url "sqlite:///$work/$kind$n.db" -q migrate all
  done
done

status() { echo "$runner --project-root $work/$1$2 --database-url sqlite:///$work/empty-$1$2.db migrate status"; }
noop() { echo "$runner --project-root $work/$1$2 --database-url sqlite:///$work/$1$2.db -q migrate all"; }
floor() { echo "sqlite3 $work/$1$2.db 'SELECT version_num FROM alembic_version'"; }
commands=()
for kind in "${kinds[@]}"; do
  for n in 1000 10000; do
    commands+=(-n "$kind plan $n" "$(status $kind $n)" -n "$kind no-op $n" "$(noop $kind $n)"
               -n "$kind floor $n" "$(floor $kind $n)")
  done
done
hyperfine -N --warmup 2 --runs 30 --export-json "$work/scaling.json" "${commands[@]}" >/dev/null

rss_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
rss=()
for kind in "${kinds[@]}"; do
  rss+=("$(rss_kb $(status $kind 10000))" "$(rss_kb $(noop $kind 10000))")
done

/usr/bin/python3 - "$work/scaling.json" "$results/scaling.md" "$(nproc)" "$(uptime)" "${rss[@]}" <<'PY'
import json, sys
runs = {r["command"]: r["median"] * 1000 for r in json.load(open(sys.argv[1]))["results"]}
rss = dict(zip(["schema plan", "schema no-op", "data plan", "data no-op"],
               (int(kb) / 1024 for kb in sys.argv[5:9])))
lines = ["| Kind | What | 1,000 revisions | 10,000 revisions | Ratio | Target | Peak RSS at 10,000 (limit 30 MiB) |",
         "|:---|:---|---:|---:|---:|:---:|---:|"]
ok = True
def row(kind, title, small, large, target, peak=None):
    global ok
    ratio = large / small
    met = ratio <= 10 and (peak is None or peak < 30)
    if target:
        ok &= met
    verdict = ("met" if met else "NOT met") + " (10)" if target else "reported"
    lines.append(f"| {kind} | {title} | {small:.1f} ms | {large:.1f} ms | {ratio:.2f} | {verdict} | "
                 + (f"{peak:.1f} MiB |" if peak is not None else "|"))
for kind in ("schema", "data"):
    plan = (runs[f"{kind} plan 1000"], runs[f"{kind} plan 10000"])
    noop = (runs[f"{kind} no-op 1000"], runs[f"{kind} no-op 10000"])
    floor = (runs[f"{kind} floor 1000"], runs[f"{kind} floor 10000"])
    row(kind, "plan: `migrate status` on an empty database", *plan, True, rss[f"{kind} plan"])
    row(kind, "no-op `migrate all`", *noop, kind == "data", rss[f"{kind} no-op"])
    row(kind, "floor: `sqlite3` reading the version table", *floor, False)
    if kind == "data":
        row(kind, "no-op minus the floor (the runner's own work)", noop[0] - floor[0],
            noop[1] - floor[1], False)
    else:
        # What the runner adds to SQLite's own read, as a multiple of it: at 10,000 it must not
        # be more than at 1,000 (the runner's work is then no worse than linear on top).
        small, large = noop[0] / floor[0], noop[1] / floor[1]
        met = large <= small
        ok &= met
        lines.append(f"| {kind} | no-op / floor (what the runner adds to SQLite's read) | {small:.2f} | "
                     f"{large:.2f} | | {'met' if met else 'NOT met'} (no growth) | |")
lines += ["", "schema: each migration creates a table and an index; data: each adds a row to one "
          "table. The no-op target applies to the whole no-op on data; on schema, whose SQLite schema "
          "load is not linear in its objects, the no-op's multiple of that floor must not grow.",
          "", f"hyperfine medians of 30 runs, header index built; {sys.argv[3]} CPUs; load at the end: "
          f"{sys.argv[4].split('load average:')[-1].strip()}."]
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
sys.exit(0 if ok else 1)
PY
