#!/usr/bin/env bash
# fastappkit against dbmate (https://github.com/amacneil/dbmate), the SQL-file migration tool
# closest to it, and against the database's own floor, on the same 500 migrations (one linear
# history; each creates a table and an index), side by side in one run:
#
#   apply:  every migration to an empty database (SQLite file; PostgreSQL database)
#   no-op:  `migrate all` / `dbmate migrate` with everything applied
#   floor:  `sqlite3` / `psql` running floor.sql (bench/gen_project.py: each migration and its
#           version row in one transaction, nothing else) and, for the no-op, reading the
#           version table
#
# dbmate is not a Debian package; its release is on the npm registry:
#
#   npm install --prefix /tmp/dbmate dbmate@2.36.0   # DBMATE=/tmp/dbmate/node_modules/.bin/dbmate
#   eval "$(bash tests/support/pg-start.sh)"          # optional: the PostgreSQL rows
#   bench/dbmate.sh
#
# Environment: FASTAPPKIT (runner, default <repo>/build/tool/fastappkit), DBMATE, CORE (500),
# APPLY_RUNS (interleaved runs of each apply, 10),
# BENCH_WORK (default /tmp/fastappkit-bench-dbmate), BENCH_RESULTS (default bench/results),
# FASTAPPKIT_TEST_POSTGRES_URL (a server URL; without it only SQLite is measured). Writes
# <results>/dbmate.md; exits 1 when an apply is not within 1.15x its floor or not ahead of
# dbmate, or a no-op is not ahead of dbmate.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
results=${BENCH_RESULTS:-$bench_dir/results}
work=${BENCH_WORK:-/tmp/fastappkit-bench-dbmate}
core=${CORE:-500}
runner=$(realpath "${FASTAPPKIT:-$repo_dir/build/tool/fastappkit}")
dbmate=${DBMATE:-$(command -v dbmate || true)}
[[ -n $dbmate && -x $dbmate ]] || { echo "dbmate.sh: set DBMATE to a dbmate executable (see the top of this file)" >&2; exit 2; }
for tool in hyperfine sqlite3; do
  command -v "$tool" >/dev/null || { echo "dbmate.sh: $tool is missing" >&2; exit 2; }
done
unset DATABASE_URL FASTAPPKIT_APP_PATH
export FASTAPPKIT_CACHE_DIR=$work/cache

mkdir -p "$work" "$results"
project=$work/project
/usr/bin/python3 "$bench_dir/gen_project.py" "$project" --core "$core" --apps 0 --no-alembic --dbmate >/dev/null
sleep 2.1  # files younger than 2 s are not indexed
rm -rf "$FASTAPPKIT_CACHE_DIR"
dbmate_run() { echo "$dbmate --url $1 --migrations-dir $project/dbmate --no-dump-schema $2"; }

step() { printf '\n== %s\n' "$*"; }
json=()

step "SQLite: apply $core migrations to an empty file"
db() { echo "$work/$1.db"; }
# Applies run in turn (interleaved.py), not in hyperfine's blocks: they are bound by fsync (on
# SQLite) and commits, whose latency drifts over minutes, and a block would catch one phase of it.
sqlite3=$(command -v sqlite3)
/usr/bin/python3 "$bench_dir/interleaved.py" --warmup 1 --runs "${APPLY_RUNS:-10}" \
  --prepare "rm -f $(db fk) $(db fk)-journal $(db dbmate) $(db dbmate)-journal $(db floor) $(db floor)-journal" \
  --export-json "$work/sqlite-apply.json" --export-markdown "$work/sqlite-apply.md" \
  -n "fastappkit" "$runner --project-root $project --database-url sqlite:///$(db fk) -q migrate all" \
  -n "dbmate" "$(dbmate_run "sqlite:$(db dbmate)" up)" \
  -n "floor" "$sqlite3 $(db floor) '.read $project/floor.sql'"
json+=("SQLite apply" "$work/sqlite-apply.json")

step "SQLite: no-op"
"$runner" --project-root "$project" --database-url "sqlite:///$(db fk)" -q migrate all  # the header index
hyperfine -N --warmup 5 --runs 50 --export-json "$work/sqlite-noop.json" \
  -n "fastappkit" "$runner --project-root $project --database-url sqlite:///$(db fk) -q migrate all" \
  -n "dbmate" "$(dbmate_run "sqlite:$(db dbmate)" migrate)" \
  -n "floor" "sqlite3 $(db floor) 'SELECT version_num FROM alembic_version'"
json+=("SQLite no-op" "$work/sqlite-noop.json")

if [[ -n ${FASTAPPKIT_TEST_POSTGRES_URL:-} ]]; then
  command -v psql >/dev/null || { echo "dbmate.sh: psql is missing" >&2; exit 2; }
  server=$FASTAPPKIT_TEST_POSTGRES_URL
  pg() {  # the URL of database $1 on the server, with dbmate's sslmode when $2 is set
    local base=${server%%\?*}
    echo "${base%/*}/$1${2:+?sslmode=disable}"
  }
  trap 'for d in fastappkit_bench_fk fastappkit_bench_dbmate fastappkit_bench_floor; do "$runner" -q --database-url "$(pg $d)" db drop || true; done' EXIT
  # Retried: right after a run, an autovacuum worker may still be connected to the database,
  # and `db reset` cannot end that server process (it is not the user's).
  reset() { echo "for i in 1 2 3 4 5 6 7 8 9 10; do $runner -q --database-url $(pg "$1") db reset 2>/dev/null && break; sleep 1; done"; }

  step "PostgreSQL: apply $core migrations to an empty database"
  /usr/bin/python3 "$bench_dir/interleaved.py" --warmup 1 --runs "${APPLY_RUNS:-10}" \
    --prepare "$(reset fastappkit_bench_fk); $(reset fastappkit_bench_dbmate); $(reset fastappkit_bench_floor)" \
    --export-json "$work/pg-apply.json" --export-markdown "$work/pg-apply.md" \
    -n "fastappkit" "$runner --project-root $project --database-url $(pg fastappkit_bench_fk) -q migrate all" \
    -n "dbmate" "$(dbmate_run "$(pg fastappkit_bench_dbmate 1)" migrate)" \
    -n "floor" "$(command -v psql) $(pg fastappkit_bench_floor) -X -q -v ON_ERROR_STOP=1 -f $project/floor.sql"
  json+=("PostgreSQL apply" "$work/pg-apply.json")

  step "PostgreSQL: no-op"
  hyperfine -N --warmup 3 --runs 30 --export-json "$work/pg-noop.json" \
    -n "fastappkit" "$runner --project-root $project --database-url $(pg fastappkit_bench_fk) -q migrate all" \
    -n "dbmate" "$(dbmate_run "$(pg fastappkit_bench_dbmate 1)" migrate)" \
    -n "floor" "psql $(pg fastappkit_bench_floor) -X -q -t -c 'SELECT version_num FROM alembic_version'"
  json+=("PostgreSQL no-op" "$work/pg-noop.json")
fi

step "checks: the same tables on every database"
tables() { sqlite3 "$1" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'core_t%'"; }
for name in fk dbmate floor; do
  [[ $(tables "$(db $name)") == "$core" ]] || { echo "dbmate.sh: $(db $name) lacks tables" >&2; exit 1; }
done

/usr/bin/python3 - "$results/dbmate.md" "$core" "$(nproc)" "$(uptime)" "${json[@]}" <<'PY'
import json, os, sys
out, core, cpus, uptime, pairs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
lines = ["| Scenario | floor | fastappkit | dbmate | fastappkit / floor | dbmate / floor | Targets |",
         "|:---|---:|---:|---:|---:|---:|:---|"]
ok = True
def show(seconds):
    return f"{seconds:.3f} s" if seconds >= 1 else f"{seconds * 1000:.1f} ms"
for title, path in zip(pairs[0::2], pairs[1::2]):
    median = {r["command"]: r["median"] for r in json.load(open(path))["results"]}
    floor, fk, dbmate = median["floor"], median["fastappkit"], median["dbmate"]
    checks = [("ahead of dbmate", fk < dbmate)]
    if title.endswith("apply"):
        checks.append(("within 1.15x the floor", fk / floor <= 1.15))
    ok &= all(met for _, met in checks)
    verdict = "; ".join(f"{name}: {'met' if met else 'NOT met'}" for name, met in checks)
    lines.append(f"| {title} | {show(floor)} | {show(fk)} | {show(dbmate)} | {fk / floor:.2f} | "
                 f"{dbmate / floor:.2f} | {verdict} |")
lines += ["", f"{core} migrations in one history, each creating a table and an index; medians of {os.environ.get('APPLY_RUNS', '10')} "
          f"interleaved runs for an apply (interleaved.py), of 30-50 hyperfine runs for a no-op. Floor: the migrations and their version rows, one "
          f"transaction each, run by `sqlite3` / `psql` (for a no-op: reading the version table). "
          f"{cpus} CPUs; load at the end: {uptime.split('load average:')[-1].strip()}."]
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
sys.exit(0 if ok else 1)
PY
