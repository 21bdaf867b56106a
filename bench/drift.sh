#!/usr/bin/env bash
# Times `migrate drift` on PostgreSQL against replaying the history once. Builds nothing:
#
#   eval "$(bash tests/support/pg-start.sh)"   # or any server: FASTAPPKIT_TEST_POSTGRES_URL
#   FASTAPPKIT=build/tool/fastappkit bench/drift.sh
#
# A generated project of TABLES (default 300) core revisions, each creating a table with an
# index, is migrated into fastappkit_bench_drift. Then, with hyperfine:
#   drift:  `fastappkit migrate drift` on that database (waits for no runner, reads the version
#           rows and the live schema, creates a scratch database, replays the 300 revisions into
#           it, reads it, compares, drops it);
#   replay: `fastappkit migrate all` into an empty database (--prepare resets it): the same
#           history replayed once, with the runner's bookkeeping.
# Also checks that drift finds nothing there (exit 0) and one hand-made index (exit 1).
# Writes <results>/drift.md and drift-summary.md; exits 1 when drift's median is over 2x the
# replay's. Creates and drops fastappkit_bench_drift and fastappkit_bench_replay.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
results=${BENCH_RESULTS:-$bench_dir/results}
work=${BENCH_WORK:-/tmp/fastappkit-bench-drift}
tables=${TABLES:-300}
runs=${RUNS:-10}
server=${FASTAPPKIT_TEST_POSTGRES_URL:?set it, e.g. eval \"\$(bash tests/support/pg-start.sh)\"}
runner=$(realpath "${FASTAPPKIT:-$repo_dir/build/tool/fastappkit}")
for tool in hyperfine psql; do
  command -v "$tool" >/dev/null || { echo "drift.sh: $tool is missing" >&2; exit 2; }
done

# The URL of database <name> on the server.
database_url() {
  local base=${server%%\?*} query=
  [[ "$server" == *\?* ]] && query="?${server#*\?}"
  echo "${base%/*}/$1$query"
}
drift_db=$(database_url fastappkit_bench_drift)
replay_db=$(database_url fastappkit_bench_replay)
trap '"$runner" -q --database-url "$drift_db" db drop; "$runner" -q --database-url "$replay_db" db drop' EXIT

mkdir -p "$work" "$results"
project=$work/project
/usr/bin/python3 "$bench_dir/gen_project.py" "$project" --core "$tables" --apps 0 --no-alembic >/dev/null
"$runner" -q --database-url "$drift_db" db reset
"$runner" --project-root "$project" --database-url "$drift_db" -q migrate all

"$runner" --project-root "$project" --database-url "$drift_db" migrate drift >/dev/null || {
  echo "drift.sh: migrate drift reported drift on a freshly migrated database" >&2; exit 1; }

echo "== migrate drift ($tables tables) vs replaying the history once"
hyperfine -N --warmup 1 --runs "$runs" \
  --prepare "$runner -q --database-url $replay_db db reset" \
  --export-markdown "$results/drift.md" --export-json "$results/drift.json" \
  -n "fastappkit migrate drift" "$runner --project-root $project --database-url $drift_db migrate drift" \
  -n "fastappkit migrate all (replay)" "$runner --project-root $project --database-url $replay_db -q migrate all"

psql "$drift_db" -X -q -c 'CREATE INDEX bench_hotfix_idx ON core_t0001 (id)'
status=0
"$runner" --project-root "$project" --database-url "$drift_db" migrate drift >"$work/drift.out" || status=$?
grep -q "drift: table core_t0001: index bench_hotfix_idx (id) added out of band" "$work/drift.out" && [[ $status == 1 ]] || {
  echo "drift.sh: the hand-made index was not reported (exit $status):" >&2; cat "$work/drift.out" >&2; exit 1; }

/usr/bin/python3 - "$results" "$tables" <<'PY'
import json, sys
results, tables = sys.argv[1], sys.argv[2]
with open(f"{results}/drift.json") as file:
    drift, replay = [run["median"] for run in json.load(file)["results"]]
lines = ["| Measure | migrate drift | replay (migrate all) | ratio |", "|:---|---:|---:|---:|",
         f"| {tables} tables on PostgreSQL, medians | {drift * 1000:.0f} ms | {replay * 1000:.0f} ms | {drift / replay:.2f} |"]
with open(f"{results}/drift-summary.md", "w") as file:
    file.write("\n".join(lines) + "\n")
print("\n".join(lines))
sys.exit(0 if drift / replay <= 2 else 1)
PY
