#!/usr/bin/env bash
# Benchmarks fastappkit against Alembic and against SQLite's own floor. Builds nothing:
#
#   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build build
#   FASTAPPKIT=build/tool/fastappkit bench/run.sh
#
# Environment: FASTAPPKIT (runner, default <repo>/build/tool/fastappkit), BENCH_WORK (scratch
# directory, default /tmp/fastappkit-bench), CORE / APPS / PER_APP (default 500 / 20 / 25),
# LARGE (migrations for the memory run, default 10000), BENCH_RESULTS (default bench/results).
# Writes <results>/*.md (and hyperfine's JSON) and exits 1 when a target is missed.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
results=${BENCH_RESULTS:-$bench_dir/results}
work=${BENCH_WORK:-/tmp/fastappkit-bench}
python=/usr/bin/python3
core=${CORE:-500} apps=${APPS:-20} per_app=${PER_APP:-25} large=${LARGE:-10000}

runner=${FASTAPPKIT:-$repo_dir/build/tool/fastappkit}
[[ -x $runner ]] || { echo "run.sh: no runner at $runner; build it first or set FASTAPPKIT" >&2; exit 2; }
runner=$(realpath "$runner")
for tool in hyperfine sqlite3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (apt-get install hyperfine sqlite3 time)" >&2; exit 2; }
done
$python -c 'import alembic' 2>/dev/null || { echo "run.sh: apt-get install python3-alembic" >&2; exit 2; }

mkdir -p "$work" "$results"
medium=$work/medium
big=$work/large
alembic=("$python" -m alembic -c "$medium/alembic/alembic.ini")

step() { printf '\n== %s\n' "$*"; }

# Same tables, indexes and version rows in the runner's database as in the floor's.
same_result() {
  local objects="SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'
                 AND name NOT LIKE '%fastappkit_history%' ORDER BY name"
  local versions="SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'alembic_version%' ORDER BY name"
  diff -q <(sqlite3 "$1" "$objects") <(sqlite3 "$2" "$objects") >/dev/null || return 1
  local table
  for table in $(sqlite3 "$2" "$versions"); do
    [[ $(sqlite3 "$1" "SELECT version_num FROM $table") == $(sqlite3 "$2" "SELECT version_num FROM $table") ]] || return 1
  done
}

step "generating projects in $work"
$python "$bench_dir/gen_project.py" "$medium" --core "$core" --apps "$apps" --per-app "$per_app"
$python "$bench_dir/gen_project.py" "$big" --core "$large" --apps 0 --no-alembic

# The exact floor: the very statements the runner executes (its offline preview: migrations,
# version rows, fastappkit_history rows, one transaction per migration), run by sqlite3.
# floor.sql (migrations and version rows only) is timed too, to show what the history costs.
{
  "$runner" --project-root "$medium" -q migrate preview -r base:head --dialect sqlite
  for app_dir in "$medium"/external/*/; do
    "$runner" --project-root "$medium" -q migrate app "$(basename "$app_dir")" preview -r base:head --dialect sqlite
  done
} > "$medium/floor-exact.sql"

step "(b) apply everything to an empty SQLite file: fastappkit vs sqlite3 running the same statements"
hyperfine -N --warmup 1 --runs 10 \
  --prepare "rm -f $medium/bench.db $medium/bench.db-journal" \
  --prepare "rm -f $medium/exact.db $medium/exact.db-journal" \
  --prepare "rm -f $medium/floor.db $medium/floor.db-journal" \
  --export-markdown "$results/apply-all.md" --export-json "$results/apply-all.json" \
  -n "fastappkit migrate all" "$runner --project-root $medium -q migrate all" \
  -n "sqlite3 exact.db < floor-exact.sql" "sqlite3 $medium/exact.db '.read $medium/floor-exact.sql'" \
  -n "sqlite3 floor.db < floor.sql" "sqlite3 $medium/floor.db '.read $medium/floor.sql'"
same_result "$medium/bench.db" "$medium/floor.db" ||
  { echo "run.sh: fastappkit's database differs from the floor's; the comparison is void" >&2; exit 1; }

step "(a) no-op: fastappkit migrate all vs alembic upgrade head, both already at head"
rm -f "$medium/alembic/alembic.db"
"${alembic[@]}" upgrade head
hyperfine -N --warmup 3 \
  --export-markdown "$results/noop.md" --export-json "$results/noop.json" \
  -n "fastappkit migrate all" "$runner --project-root $medium -q migrate all" \
  -n "alembic upgrade head" "${alembic[*]} upgrade head"

step "(c) peak RSS applying $large migrations"
rm -f "$big/bench.db" "$big/floor.db"
/usr/bin/time -v "$runner" --project-root "$big" -q migrate all 2> "$work/rss-fastappkit.txt"
/usr/bin/time -v sqlite3 "$big/floor.db" ".read $big/floor.sql" 2> "$work/rss-floor.txt"
same_result "$big/bench.db" "$big/floor.db" ||
  { echo "run.sh: the $large-migration database differs from the floor's" >&2; exit 1; }
rss_kb() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }
wall() { awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$1"; }
{
  echo "| Command | Peak RSS [MiB] | Wall clock |"
  echo "|:---|---:|---:|"
  echo "| \`fastappkit migrate all\` ($large migrations) | $(awk "BEGIN {printf \"%.1f\", $(rss_kb "$work/rss-fastappkit.txt")/1024}") | $(wall "$work/rss-fastappkit.txt") |"
  echo "| \`sqlite3 floor.db < floor.sql\` | $(awk "BEGIN {printf \"%.1f\", $(rss_kb "$work/rss-floor.txt")/1024}") | $(wall "$work/rss-floor.txt") |"
} > "$results/rss.md"
cat "$results/rss.md"

step "targets"
$python - "$results" "$(rss_kb "$work/rss-fastappkit.txt")" <<'EOF'
import json, sys
results, rss_kb = sys.argv[1], int(sys.argv[2])

# Medians, not means: the apply runs are fsync-bound, and one slow flush skews a mean.
def medians(name):
    with open(f"{results}/{name}.json") as file:
        return [run["median"] for run in json.load(file)["results"]]

runner_apply, floor_apply, migrations_only_apply = medians("apply-all")
runner_noop, alembic_noop = medians("noop")
checks = [
    ("(b) apply all within 1.15x the floor (same statements)", runner_apply / floor_apply, 1.15,
     f"{runner_apply:.3f}s / {floor_apply:.3f}s"),
    ("(b') for reference: vs migrations and version rows only", runner_apply / migrations_only_apply, 1.15,
     f"{runner_apply:.3f}s / {migrations_only_apply:.3f}s"),
    ("(a) no-op under 1/50 of Alembic's", runner_noop / alembic_noop, 1 / 50,
     f"{runner_noop * 1000:.1f}ms / {alembic_noop * 1000:.1f}ms"),
    ("(c) peak RSS under 30 MiB", rss_kb / 1024, 30, f"{rss_kb / 1024:.1f} MiB"),
]
lines = ["| Target | Measured | Limit | Met |", "|:---|---:|---:|:---:|"]
for title, value, limit, detail in checks:
    lines.append(f"| {title} | {value:.3f} ({detail}) | {limit:.3f} | {'yes' if value <= limit else 'NO'} |")
with open(f"{results}/summary.md", "w") as file:
    file.write("\n".join(lines) + "\n")
print("\n".join(lines))
sys.exit(0 if all(value <= limit for title, value, limit, _ in checks if not title.startswith("(b')")) else 1)
EOF
