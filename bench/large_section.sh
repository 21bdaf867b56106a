#!/usr/bin/env bash
# One migration whose upgrade section is SIZES MiB of single-row INSERTs, applied by the runner
# to an empty SQLite file, against the `sqlite3` shell running the same SQL in one transaction
# (the floor). Target: within 2x the floor at every size (a section is split and prepared
# statement by statement, so anything quadratic shows here). Builds nothing:
#
#   FASTAPPKIT=build/tool/fastappkit bench/large_section.sh
#
# Environment: FASTAPPKIT, BENCH_WORK (default /tmp/fastappkit-bench), SIZES (MiB, default
# "16 32"), RUNS (default 5), BENCH_RESULTS (default bench/results). Writes
# <results>/large-section.md and exits 1 when a ratio of hyperfine medians exceeds 2.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
results=${BENCH_RESULTS:-$bench_dir/results}
work=${BENCH_WORK:-/tmp/fastappkit-bench}/large-section
sizes=${SIZES:-16 32}
runs=${RUNS:-5}
runner=${FASTAPPKIT:-$repo_dir/build/tool/fastappkit}
[[ -x $runner ]] || { echo "large_section.sh: no runner at $runner; build it first or set FASTAPPKIT" >&2; exit 2; }
runner=$(realpath "$runner")
for tool in hyperfine sqlite3; do
  command -v "$tool" >/dev/null || { echo "large_section.sh: $tool is missing (apt-get install $tool)" >&2; exit 2; }
done
mkdir -p "$work" "$results"

# <project> <MiB>: the project (one core migration) and <project>/floor.sql.
generate() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import os, sys
root, mib = sys.argv[1], int(sys.argv[2])
versions = os.path.join(root, "core", "db", "migrations", "versions")
os.makedirs(versions, exist_ok=True)
with open(os.path.join(root, "fastappkit.toml"), "w") as f:
    f.write('[tool.fastappkit]\napps = []\n')
with open(os.path.join(root, ".env"), "w") as f:
    f.write("DATABASE_URL=sqlite:///bench.db\n")
create = "CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT);\n"
rows, size, n = [], len(create), 0
while size < mib * 1024 * 1024:
    n += 1
    row = f"INSERT INTO item (id, name, note) VALUES ({n}, 'item {n}', 'a seed row of the large-section benchmark');\n"
    rows.append(row)
    size += len(row)
body = create + "".join(rows)
with open(os.path.join(versions, "aaaaaaaaaaaa_seed.sql"), "w") as f:
    f.write("-- revision: aaaaaaaaaaaa\n-- down_revision: none\n-- branch_labels:\n-- depends_on:\n"
            "-- message: seed\n-- create_date: 2026-01-01T00:00:00Z\n\n-- migrate:upgrade\n" + body +
            "\n-- migrate:downgrade\nDROP TABLE item;\n")
with open(os.path.join(root, "floor.sql"), "w") as f:
    f.write("BEGIN;\n" + body + "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));\n"
            "INSERT INTO alembic_version (version_num) VALUES ('aaaaaaaaaaaa');\nCOMMIT;\n")
print(n)
PY
}

table="| Section | Statements | fastappkit median | sqlite3 median | Ratio (target ≤ 2) |
|---|---|---|---|---|"
failed=0
for mib in $sizes; do
  project=$work/p$mib
  rm -rf "$project"
  statements=$(generate "$project" "$mib")
  echo "== $mib MiB: $statements INSERTs"
  hyperfine -N --runs "$runs" \
    --prepare "rm -f $project/bench.db" --prepare "rm -f $project/floor.db" \
    --export-json "$work/large-$mib.json" \
    -n fastappkit "$runner --project-root $project -q migrate upgrade" \
    -n sqlite3 "sqlite3 $project/floor.db -init /dev/null -batch -cmd '.read $project/floor.sql' .quit"
  # both left the same rows
  [[ $(sqlite3 "$project/bench.db" 'SELECT count(*), sum(id) FROM item') == \
     $(sqlite3 "$project/floor.db" 'SELECT count(*), sum(id) FROM item') ]] ||
    { echo "large_section.sh: the runner's rows differ from the floor's" >&2; exit 1; }
  row=$(/usr/bin/python3 - "$work/large-$mib.json" "$mib" "$statements" <<'PY'
import json, sys
runner, floor = (r["median"] for r in json.load(open(sys.argv[1]))["results"])
ratio = runner / floor
print(f"| {sys.argv[2]} MiB | {sys.argv[3]} | {runner:.3f} s | {floor:.3f} s | {ratio:.2f}x {'✓' if ratio <= 2 else '✗'} |")
PY
)
  [[ $row == *✗* ]] && failed=1
  table+=$'\n'"$row"
done
printf '%s\n' "$table" | tee "$results/large-section.md"
exit $failed
