#!/usr/bin/env bash
# A fresh database in one commit (docs/databases.md, "A fresh database: one commit"), on 500
# migrations in one history (bench/gen_project.py: each creates a table and an index):
#
#   SQLite:     `migrate upgrade` on an empty file (one transaction, a savepoint per migration)
#               vs the floor, `sqlite3` running floor.sql (each migration and its version row
#               in a transaction of its own), vs the per-migration path (the same migrations
#               on a file whose version table already holds a row: one commit per migration);
#               strace -c -f counts of fsync/fdatasync per run of each
#   PostgreSQL: `migrate upgrade` on an empty database vs the per-migration path
#
# The per-migration path runs on a database that is not fresh: the project has one more
# revision, an empty root, which `migrate stamp` records (untimed) before each run; the fresh
# runs apply that root too. Runs are interleaved, each round in a random order
# (bench/interleaved.py --shuffle).
#
#   eval "$(bash tests/support/pg-start.sh)"   # optional: the PostgreSQL rows
#   bench/fresh.sh
#
# Environment: FASTAPPKIT (runner, default <repo>/build/tool/fastappkit), CORE (500), RUNS
# (interleaved runs, 10), BENCH_WORK (default /tmp/fastappkit-bench-fresh), BENCH_RESULTS
# (default bench/results), FASTAPPKIT_TEST_POSTGRES_URL (a server URL; without it only SQLite
# is measured). Writes <results>/fresh.md; exits 1 when the SQLite fresh apply is not within
# 0.25x the floor.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
results=${BENCH_RESULTS:-$bench_dir/results}
work=${BENCH_WORK:-/tmp/fastappkit-bench-fresh}
core=${CORE:-500}
runs=${RUNS:-10}
runner=$(realpath "${FASTAPPKIT:-$repo_dir/build/tool/fastappkit}")
for tool in sqlite3 strace; do
  command -v "$tool" >/dev/null || { echo "fresh.sh: $tool is missing" >&2; exit 2; }
done
unset DATABASE_URL FASTAPPKIT_APP_PATH
export FASTAPPKIT_CACHE_DIR=$work/cache

mkdir -p "$work" "$results"
project=$work/project
/usr/bin/python3 "$bench_dir/gen_project.py" "$project" --core "$core" --apps 0 --no-alembic >/dev/null
# The empty root revision under the first generated one.
versions=$project/core/db/migrations/versions
root=f0000000root
first=$(grep -l '^-- down_revision: none$' "$versions"/*.sql)
sed -i "s/^-- down_revision: none$/-- down_revision: $root/" "$first"
printf -- '-- revision: %s\n-- down_revision: none\n-- message: empty root\n\n-- migrate:upgrade\nSELECT 1;\n\n-- migrate:downgrade\n' \
  "$root" >"$versions/${root}_root.sql"
sleep 2.1  # files younger than 2 s are not indexed
rm -rf "$FASTAPPKIT_CACHE_DIR"
fk() { echo "$runner --project-root $project --database-url $1 -q"; }

step() { printf '\n== %s\n' "$*"; }
json=()

step "SQLite: $core migrations on an empty file"
db() { echo "$work/$1.db"; }
sqlite3=$(command -v sqlite3)
clean="rm -f $(db fresh) $(db fresh)-journal $(db per) $(db per)-journal $(db floor) $(db floor)-journal"
/usr/bin/python3 "$bench_dir/interleaved.py" --warmup 1 --runs "$runs" --shuffle \
  --prepare "$clean && $(fk "sqlite:///$(db per)") migrate stamp $root" \
  --export-json "$work/sqlite.json" --export-markdown "$work/sqlite.md" \
  -n "fresh" "$(fk "sqlite:///$(db fresh)") migrate upgrade" \
  -n "per-migration" "$(fk "sqlite:///$(db per)") migrate upgrade" \
  -n "floor" "$sqlite3 $(db floor) '.read $project/floor.sql'"
json+=("SQLite" "$work/sqlite.json")

step "SQLite: fsync and fdatasync calls per run (strace -c -f)"
syncs() {  # calls of fsync and fdatasync by the command "$@"
  strace -c -f -o "$work/strace.txt" "$@" >/dev/null
  awk '$NF == "fsync" || $NF == "fdatasync" { n += $4 } END { print n + 0 }' "$work/strace.txt"
}
eval "$clean"
sync_fresh=$(syncs $(fk "sqlite:///$(db fresh)") migrate upgrade)
$(fk "sqlite:///$(db per)") migrate stamp "$root"
sync_per=$(syncs $(fk "sqlite:///$(db per)") migrate upgrade)
sync_floor=$(syncs "$sqlite3" "$(db floor)" ".read $project/floor.sql")
echo "fresh $sync_fresh, per-migration $sync_per, floor $sync_floor"

step "checks: every table and version row (of the strace runs)"
tables() { sqlite3 "$1" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'core_t%'"; }
for name in fresh per floor; do
  [[ $(tables "$(db $name)") == "$core" ]] || { echo "fresh.sh: $(db $name) lacks tables" >&2; exit 1; }
done
[[ $(sqlite3 "$(db fresh)" "SELECT count(*) FROM fastappkit_history") == $((core + 1)) ]] ||
  { echo "fresh.sh: $(db fresh) lacks history rows" >&2; exit 1; }


if [[ -n ${FASTAPPKIT_TEST_POSTGRES_URL:-} ]]; then
  server=$FASTAPPKIT_TEST_POSTGRES_URL
  pg() { local base=${server%%\?*}; echo "${base%/*}/$1"; }
  trap 'for d in fastappkit_bench_fresh fastappkit_bench_per; do "$runner" -q --database-url "$(pg $d)" db drop || true; done' EXIT
  # Retried: an autovacuum worker may still be connected right after a run.
  reset() { echo "for i in 1 2 3 4 5 6 7 8 9 10; do $runner -q --database-url $(pg "$1") db reset 2>/dev/null && break; sleep 1; done"; }
  step "PostgreSQL: $core migrations on an empty database"
  /usr/bin/python3 "$bench_dir/interleaved.py" --warmup 1 --runs "$runs" --shuffle \
    --prepare "$(reset fastappkit_bench_fresh); $(reset fastappkit_bench_per); $(fk "$(pg fastappkit_bench_per)") migrate stamp $root" \
    --export-json "$work/pg.json" --export-markdown "$work/pg.md" \
    -n "fresh" "$(fk "$(pg fastappkit_bench_fresh)") migrate upgrade" \
    -n "per-migration" "$(fk "$(pg fastappkit_bench_per)") migrate upgrade"
  json+=("PostgreSQL" "$work/pg.json")
fi

/usr/bin/python3 - "$results/fresh.md" "$core" "$runs" "$(nproc)" "$(uptime)" \
  "$sync_fresh" "$sync_per" "$sync_floor" "${json[@]}" <<'PY'
import json, sys
out, core, runs, cpus, uptime, s_fresh, s_per, s_floor, pairs = (*sys.argv[1:9], sys.argv[9:])
lines = ["| Database | fresh (one commit) | per-migration path | floor (`sqlite3`, a transaction each) | fresh / per-migration | fresh / floor | Target |",
         "|:---|---:|---:|---:|---:|---:|:---|"]
ok = True
def show(seconds):
    return f"{seconds:.3f} s" if seconds >= 1 else f"{seconds * 1000:.1f} ms"
for title, path in zip(pairs[0::2], pairs[1::2]):
    median = {r["command"]: r["median"] for r in json.load(open(path))["results"]}
    fresh, per = median["fresh"], median["per-migration"]
    floor = median.get("floor")
    target = ""
    if floor:
        met = fresh / floor <= 0.25
        ok &= met
        target = f"fresh ≤ 0.25× floor: {'met' if met else 'NOT met'}"
    lines.append(f"| {title} | {show(fresh)} | {show(per)} | {show(floor) if floor else '—'} | "
                 f"{fresh / per:.3f} | {f'{fresh / floor:.3f}' if floor else '—'} | {target} |")
lines += ["", f"fsync + fdatasync calls per SQLite run (strace -c -f): fresh {s_fresh}, per-migration "
          f"{s_per}, floor {s_floor}.", "",
          f"{core} migrations in one history, each creating a table and an index, plus an empty root "
          f"revision (stamped before each per-migration run, applied by the fresh runs); medians of "
          f"{runs} interleaved runs, each round in a random order (interleaved.py --shuffle). "
          f"{cpus} CPUs; load at the end: "
          f"{uptime.split('load average:')[-1].strip()}. A PostgreSQL server started by "
          f"tests/support/pg-start.sh runs with fsync and synchronous_commit off: there a commit "
          f"costs little, and the fresh path gains from fewer round trips and transactions only."]
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
sys.exit(0 if ok else 1)
PY
