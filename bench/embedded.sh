#!/usr/bin/env bash
# Benchmarks a program that embeds its migrations (fastappkit_embed_migrations) against SQLite's
# own floors. Needs the runner built (cmake --build build); installs it into the scratch
# directory and builds bench/embedded/ against that package:
#
#   bench/embedded.sh
#
# Environment: BUILD (fastappkit build tree, default <repo>/build), BENCH_WORK (default
# /tmp/fastappkit-bench-embedded), CORE (migrations, default 500), BENCH_RESULTS (default
# bench/results). Writes <results>/embedded-*.md and exits 1 when a target is missed.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
results=${BENCH_RESULTS:-$bench_dir/results}
work=${BENCH_WORK:-/tmp/fastappkit-bench-embedded}
build=${BUILD:-$repo_dir/build}
core=${CORE:-500}
python=/usr/bin/python3
for tool in hyperfine sqlite3 cmake ninja; do
  command -v "$tool" >/dev/null || { echo "embedded.sh: $tool is missing" >&2; exit 2; }
done
[[ -x $build/tool/fastappkit ]] || { echo "embedded.sh: build $build first" >&2; exit 2; }

step() { printf '\n== %s\n' "$*"; }
mkdir -p "$work" "$results"
project=$work/project empty=$work/empty prefix=$work/prefix programs=$work/programs
runner=$prefix/bin/fastappkit

step "installing fastappkit into $prefix and generating the projects"
cmake --install "$build" --prefix "$prefix" >/dev/null
$python "$bench_dir/gen_project.py" "$project" --core "$core" --apps 0 --no-alembic
$python "$bench_dir/gen_project.py" "$empty" --core 1 --apps 0 --no-alembic

step "building the programs"
cmake -S "$bench_dir/embedded" -B "$programs" -G Ninja -D CMAKE_BUILD_TYPE=Release \
  -D "CMAKE_PREFIX_PATH=$prefix" -D "BENCH_PROJECT=$project" -D "BENCH_EMPTY_PROJECT=$empty" >/dev/null
cmake --build "$programs" >/dev/null

# The exact floor: the statements the runner executes (its offline preview: migrations, version
# rows, fastappkit_history rows, one transaction per migration), run by sqlite3. floor.sql
# (migrations and version rows only) is timed too.
"$runner" --project-root "$project" -q migrate preview -r base:head --dialect sqlite >"$project/floor-exact.sql"

db=$work/bench.db
step "apply $core migrations to an empty SQLite file"
# In turn (interleaved.py), not in hyperfine's blocks: these runs are bound by fsync, whose
# latency drifts over minutes on a shared disk, and a block would catch one phase of it.
sqlite3=$(command -v sqlite3)
$python "$bench_dir/interleaved.py" --warmup 1 --runs 10 \
  --prepare "case \$INTERLEAVED_COMMAND in 0) rm -f $db $db-journal;; 1) rm -f $work/exact.db $work/exact.db-journal;; 2) rm -f $work/floor.db $work/floor.db-journal;; esac" \
  --export-markdown "$results/embedded-apply.md" --export-json "$results/embedded-apply.json" \
  -n "migrate_all (embedded)" "$programs/bench_migrate sqlite:///$db" \
  -n "sqlite3 exact.db < floor-exact.sql" "$sqlite3 $work/exact.db '.read $project/floor-exact.sql'" \
  -n "sqlite3 floor.db < floor.sql" "$sqlite3 $work/floor.db '.read $project/floor.sql'"
"$runner" --project-root "$project" --database-url "sqlite:///$db" -q migrate verify

step "no-op: migrate_all on an up-to-date database vs opening it and reading the version table"
# The floor runs in the same executable (bench_migrate --read-version), so that process start-up
# (the C++ runtime's dynamic linking) costs both the same and the ratio measures the work; the
# C program read_version, which does the same, is there for reference. The commands run in turn
# (interleaved.py), so that on a shared machine they see the same load.
$python "$bench_dir/interleaved.py" --warmup 20 --runs 300 \
  --export-markdown "$results/embedded-noop.md" --export-json "$results/embedded-noop.json" \
  -n "migrate_all (embedded, up to date)" "$programs/bench_migrate sqlite:///$db" \
  -n "bench_migrate --read-version (open + SELECT version_num + close)" \
  "$programs/bench_migrate --read-version $db" \
  -n "read_version (the same, as a C program)" "$programs/read_version $db"

step "no-op in one process: each call after the first"
"$programs/bench_migrate" --in-process 300 "sqlite:///$db" "$db" >"$work/in-process.txt"
read -r _ in_migrate _ in_read <"$work/in-process.txt"
{
  echo "One process, 300 calls of each in turn after a warm-up (the first call reads the catalog)."
  echo
  echo "| Call | Median [µs] |"
  echo "|:---|---:|"
  echo "| \`migrate_all\` (up to date) | $in_migrate |"
  echo "| open + \`SELECT version_num\` + close | $in_read |"
} >"$results/embedded-noop-in-process.md"
cat "$results/embedded-noop-in-process.md"

step "size"
size_of() { stat -c %s "$1"; }
stripped() { cp "$1" "$work/stripped"; strip "$work/stripped"; size_of "$work/stripped"; }
sources=$(cat "$project"/core/db/migrations/versions/*.sql | wc -c)
{
  echo "| Program | Size [bytes] | Stripped [bytes] |"
  echo "|:---|---:|---:|"
  echo "| bench_migrate ($core migrations) | $(size_of "$programs/bench_migrate") | $(stripped "$programs/bench_migrate") |"
  echo "| bench_migrate_empty (1 migration) | $(size_of "$programs/bench_migrate_empty") | $(stripped "$programs/bench_migrate_empty") |"
  echo "| the $core migration files | $sources | |"
} >"$results/embedded-size.md"
cat "$results/embedded-size.md"

step "targets"
$python - "$results" "$(stripped "$programs/bench_migrate")" "$(stripped "$programs/bench_migrate_empty")" "$sources" "$in_migrate" "$in_read" <<'PY'
import json, sys
results, full, empty, sources = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
in_migrate, in_read = float(sys.argv[5]), float(sys.argv[6])

def runs(name):
    with open(f"{results}/{name}.json") as file:
        return json.load(file)["results"]

program, exact, floor = (run["median"] for run in runs("embedded-apply"))
noop, read, read_c = runs("embedded-noop")
ms = lambda seconds: f"{seconds * 1000:.2f}ms"
# (title, measured, limit, detail, a target rather than a figure for reference)
checks = [
    ("apply within 1.10x the floor (same statements)", program / exact, 1.10,
     f"{program:.3f}s / {exact:.3f}s", True),
    ("for reference: vs migrations and version rows only", program / floor, 1.10,
     f"{program:.3f}s / {floor:.3f}s", False),
    ("no-op within 1.2x of open + read the version table (same executable, whole process)",
     noop["median"] / read["median"], 1.2, f"{ms(noop['median'])} / {ms(read['median'])}", True),
    ("for reference: the same in CPU time (user + system)",
     noop["cpu_median"] / read["cpu_median"], 1.2,
     f"{ms(noop['cpu_median'])} / {ms(read['cpu_median'])}", False),
    ("for reference: vs read_version, a C program (its start-up is shorter)",
     noop["median"] / read_c["median"], 1.2, f"{ms(noop['median'])} / {ms(read_c['median'])}",
     False),
    ("for reference: in one process, per call after the first", in_migrate / in_read, 1.2,
     f"{in_migrate:.0f}µs / {in_read:.0f}µs", False),
]
lines = ["| Target | Measured | Limit | Met |", "|:---|---:|---:|:---:|"]
for title, value, limit, detail, _ in checks:
    lines.append(f"| {title} | {value:.3f} ({detail}) | {limit:.3f} | {'yes' if value <= limit else 'NO'} |")
lines.append(f"| size the histories add (stripped) | {full - empty} bytes for {sources} bytes of migration files | | |")
with open(f"{results}/embedded-summary.md", "w") as file:
    file.write("\n".join(lines) + "\n")
print("\n".join(lines))
sys.exit(0 if all(value <= limit for _, value, limit, _, target in checks if target) else 1)
PY
