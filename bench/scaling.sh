#!/usr/bin/env bash
# Does the runner stay linear? One linear history of 1,000 and one of 10,000 revisions (SQLite):
#   plan:   `migrate status` on an empty database (reads every header, plans every revision)
#   no-op:  `migrate all` with everything applied
# each at 10,000 against 10x its cost at 1,000, and the peak RSS of both at 10,000 (under
# 30 MiB). Each migration creates a table and an index, and SQLite's own schema load (which
# `sqlite3` reading the version table shows, as the floor) grows faster than linearly with
# 20,000 objects; the table also gives the no-op minus that floor. Builds nothing:
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
# long 10,000-migration apply: the generated files are the same every time.
for n in 1000 10000; do
  /usr/bin/python3 "$bench_dir/gen_project.py" "$work/p$n" --core "$n" --apps 0 --no-alembic >/dev/null
  [[ ${FRESH:-0} == 1 ]] && rm -f "$work/p$n.db"
  echo "applying $n migrations (nothing when already applied)"
  "$runner" --project-root "$work/p$n" --database-url "sqlite:///$work/p$n.db" -q migrate all
done
sleep 2.1
for n in 1000 10000; do "$runner" --project-root "$work/p$n" --database-url "sqlite:///$work/p$n.db" -q migrate all; done

status() { echo "$runner --project-root $work/p$1 --database-url sqlite:///$work/empty$1.db migrate status"; }
noop() { echo "$runner --project-root $work/p$1 --database-url sqlite:///$work/p$1.db -q migrate all"; }
floor() { echo "sqlite3 $work/p$1.db 'SELECT version_num FROM alembic_version'"; }
hyperfine -N --warmup 2 --runs 20 --export-json "$work/scaling.json" \
  -n "plan 1000" "$(status 1000)" -n "plan 10000" "$(status 10000)" \
  -n "no-op 1000" "$(noop 1000)" -n "no-op 10000" "$(noop 10000)" \
  -n "floor 1000" "$(floor 1000)" -n "floor 10000" "$(floor 10000)" >/dev/null

rss_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
plan_rss=$(rss_kb $(status 10000))
noop_rss=$(rss_kb $(noop 10000))

/usr/bin/python3 - "$work/scaling.json" "$results/scaling.md" "$plan_rss" "$noop_rss" "$(nproc)" "$(uptime)" <<'PY'
import json, sys
runs = {r["command"]: r["median"] * 1000 for r in json.load(open(sys.argv[1]))["results"]}
rss = {"plan": int(sys.argv[3]) / 1024, "no-op": int(sys.argv[4]) / 1024}
lines = ["| What | 1,000 revisions | 10,000 revisions | Ratio (limit 10) | Peak RSS at 10,000 (limit 30 MiB) |",
         "|:---|---:|---:|---:|---:|"]
ok = True
floor_small, floor_large = runs["floor 1000"], runs["floor 10000"]
for what, title in (("plan", "plan: `migrate status` on an empty database"), ("no-op", "no-op `migrate all`")):
    small, large = runs[f"{what} 1000"], runs[f"{what} 10000"]
    ratio = large / small
    ok &= ratio <= 10 and rss[what] < 30
    lines.append(f"| {title} | {small:.1f} ms | {large:.1f} ms | {ratio:.2f} | {rss[what]:.1f} MiB |")
lines.append(f"| floor: `sqlite3` reading the version table | {floor_small:.1f} ms | {floor_large:.1f} ms | "
             f"{floor_large / floor_small:.2f} | |")
small, large = runs["no-op 1000"] - floor_small, runs["no-op 10000"] - floor_large
lines.append(f"| no-op minus the floor (the runner's own work) | {small:.1f} ms | {large:.1f} ms | "
             f"{large / small:.2f} | |")
lines += ["", f"hyperfine medians of 20 runs, header index built; {sys.argv[5]} CPUs; load at the end: "
          f"{sys.argv[6].split('load average:')[-1].strip()}."]
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
sys.exit(0 if ok else 1)
PY
