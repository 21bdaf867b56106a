#!/usr/bin/env bash
# What an ISOLATED test's database costs: `fastappkit db clone` of a migrated database against
# migrating a fresh one from scratch (`db reset` + `migrate all`), with a plain file copy as
# SQLite's floor. Builds nothing:
#
#   FASTAPPKIT=build/tool/fastappkit bench/clone.sh
#   BENCH_POSTGRES_URL=postgresql://user:pw@127.0.0.1:5432/postgres bench/clone.sh   # + PostgreSQL
#
# Environment: FASTAPPKIT, BENCH_WORK (default /tmp/fastappkit-bench-clone), CORE / APPS /
# PER_APP (project size, default 100 / 4 / 25), BENCH_RESULTS (default bench/results).
# Writes <results>/clone.md and clone-summary.md (ratios of hyperfine medians).
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
results=${BENCH_RESULTS:-$bench_dir/results}
work=${BENCH_WORK:-/tmp/fastappkit-bench-clone}
core=${CORE:-100} apps=${APPS:-4} per_app=${PER_APP:-25}
runner=$(realpath "${FASTAPPKIT:-$repo_dir/build/tool/fastappkit}")
[[ -x $runner ]] || { echo "clone.sh: no runner at $runner; build it first or set FASTAPPKIT" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "clone.sh: apt-get install hyperfine" >&2; exit 2; }

mkdir -p "$work" "$results"
project=$work/project
/usr/bin/python3 "$bench_dir/gen_project.py" "$project" --core "$core" --apps "$apps" --per-app "$per_app" --no-alembic
migrations=$((core + apps * per_app))
fk() { "$runner" --project-root "$project" -q "$@"; }

echo "== SQLite: $migrations migrations"
template=$work/template.db
rm -f "$template" && fk --database-url "sqlite:///$template" migrate all
hyperfine -N --warmup 2 --runs 15 \
  --export-markdown "$results/clone.md" --export-json "$work/clone-sqlite.json" \
  -n "sqlite: db clone" "$runner --project-root $project -q --database-url sqlite:///$work/clone.db db clone --from sqlite:///$template" \
  -n "sqlite: db reset + migrate all" "sh -c '$runner --project-root $project -q --database-url sqlite:///$work/fresh.db db reset && $runner --project-root $project -q --database-url sqlite:///$work/fresh.db migrate all'" \
  -n "sqlite: cp (floor)" "cp $template $work/copy.db"
jsons=("$work/clone-sqlite.json")

if [[ -n ${BENCH_POSTGRES_URL:-} ]]; then
  echo "== PostgreSQL: $migrations migrations"
  base=${BENCH_POSTGRES_URL%%\?*}
  base=${base%/*}
  fk --database-url "$base/fk_bench_template" db reset
  fk --database-url "$base/fk_bench_template" migrate all
  hyperfine -N --warmup 2 --runs 10 --export-json "$work/clone-postgresql.json" \
    --export-markdown "$work/clone-postgresql.md" \
    -n "postgresql: db clone" "$runner --project-root $project -q --database-url $base/fk_bench_clone db clone --from $base/fk_bench_template" \
    -n "postgresql: db reset + migrate all" "sh -c '$runner --project-root $project -q --database-url $base/fk_bench_fresh db reset && $runner --project-root $project -q --database-url $base/fk_bench_fresh migrate all'"
  cat "$work/clone-postgresql.md" >> "$results/clone.md"
  jsons+=("$work/clone-postgresql.json")
  for db in template clone fresh; do fk --database-url "$base/fk_bench_$db" db drop; done
fi

/usr/bin/python3 - "$results/clone-summary.md" "$migrations" "${jsons[@]}" <<'PY'
import json, sys
out, migrations, files = sys.argv[1], sys.argv[2], sys.argv[3:]
lines = [f"Medians; project of {migrations} migrations.", "",
         "| Backend | db clone | migrate from scratch | scratch / clone | clone / floor |",
         "|:---|---:|---:|---:|---:|"]
for name in files:
    runs = {r["command"]: r["median"] for r in json.load(open(name))["results"]}
    backend = next(iter(runs)).split(":")[0]
    clone, scratch = runs[f"{backend}: db clone"], runs[f"{backend}: db reset + migrate all"]
    floor = runs.get(f"{backend}: cp (floor)")
    lines.append(f"| {backend} | {clone * 1000:.1f} ms | {scratch * 1000:.1f} ms | {scratch / clone:.1f}x | "
                 + (f"{clone / floor:.1f}x ({floor * 1000:.1f} ms)" if floor else "—") + " |")
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
