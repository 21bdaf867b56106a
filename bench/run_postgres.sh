#!/usr/bin/env bash
# Benchmarks fastappkit on PostgreSQL against the server's own floor. Builds nothing:
#
#   eval "$(bash tests/support/pg-start.sh)"   # or any server: FASTAPPKIT_TEST_POSTGRES_URL
#   FASTAPPKIT=build/tool/fastappkit bench/run_postgres.sh
#
# (a) apply CORE (default 500) migrations to an empty database: `fastappkit migrate all` vs
#     psql running the very statements the runner executes (its offline preview: migration,
#     version row and fastappkit_history row, one transaction per migration);
# (b) the no-op `migrate all` on the migrated database vs psql reading the version table.
# Creates and drops the databases fastappkit_bench_runner and fastappkit_bench_floor. Writes
# <results>/postgres-*.md and exits 1 when (a) is not within 1.15x the floor.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
results=${BENCH_RESULTS:-$bench_dir/results}
work=${BENCH_WORK:-/tmp/fastappkit-bench-pg}
core=${CORE:-500}
server=${FASTAPPKIT_TEST_POSTGRES_URL:?set it, e.g. eval \"\$(bash tests/support/pg-start.sh)\"}
runner=$(realpath "${FASTAPPKIT:-$repo_dir/build/tool/fastappkit}")
for tool in hyperfine psql; do
  command -v "$tool" >/dev/null || { echo "run_postgres.sh: $tool is missing" >&2; exit 2; }
done

# The URL of database <name> on the server.
database_url() {
  local base=${server%%\?*} query=
  [[ "$server" == *\?* ]] && query="?${server#*\?}"
  echo "${base%/*}/$1$query"
}
runner_db=$(database_url fastappkit_bench_runner)
floor_db=$(database_url fastappkit_bench_floor)
trap '"$runner" -q --database-url "$runner_db" db drop; "$runner" -q --database-url "$floor_db" db drop' EXIT

mkdir -p "$work" "$results"
project=$work/project
/usr/bin/python3 "$bench_dir/gen_project.py" "$project" --core "$core" --apps 0 --no-alembic >/dev/null
"$runner" --project-root "$project" -q migrate preview -r base:head --dialect postgresql > "$work/floor-exact.sql"

echo "== (a) apply $core migrations to an empty database"
hyperfine -N --warmup 1 --runs 10 \
  --prepare "$runner -q --database-url $runner_db db reset" \
  --prepare "$runner -q --database-url $floor_db db reset" \
  --export-markdown "$results/postgres-apply-all.md" --export-json "$results/postgres-apply-all.json" \
  -n "fastappkit migrate all" "$runner --project-root $project --database-url $runner_db -q migrate all" \
  -n "psql -f floor-exact.sql" "psql $floor_db -X -q -v ON_ERROR_STOP=1 -f $work/floor-exact.sql"

echo "== (b) no-op migrate all"
hyperfine -N --warmup 3 --runs 20 \
  --export-markdown "$results/postgres-noop.md" --export-json "$results/postgres-noop.json" \
  -n "fastappkit migrate all" "$runner --project-root $project --database-url $runner_db -q migrate all" \
  -n "psql: read the version table" "psql $runner_db -X -q -t -c 'SELECT version_num FROM alembic_version'"

/usr/bin/python3 - "$results" <<'PY'
import json, sys
results = sys.argv[1]
def medians(name):
    with open(f"{results}/{name}.json") as file:
        return [run["median"] for run in json.load(file)["results"]]
runner_apply, floor_apply = medians("postgres-apply-all")
runner_noop, floor_noop = medians("postgres-noop")
lines = ["| Measure | fastappkit | floor | ratio |", "|:---|---:|---:|---:|",
         f"| apply all (same statements via psql) | {runner_apply:.3f} s | {floor_apply:.3f} s | {runner_apply / floor_apply:.2f} |",
         f"| no-op migrate all (vs psql reading the version table) | {runner_noop * 1000:.1f} ms | {floor_noop * 1000:.1f} ms | {runner_noop / floor_noop:.2f} |"]
with open(f"{results}/postgres-summary.md", "w") as file:
    file.write("\n".join(lines) + "\n")
print("\n".join(lines))
sys.exit(0 if runner_apply / floor_apply <= 1.15 else 1)
PY
