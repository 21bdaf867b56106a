#!/usr/bin/env bash
# What `migrate all`'s check for edited applied migrations ([tool.fastappkit.migration] verify)
# costs its no-op, on 1,000 applied migrations in 21 histories (500 core + 20 apps x 25), SQLite:
# verify = "off" (no check), the default "warn" with every file untouched since it was applied
# (no header read: file names and modification times against the history rows), and "warn"
# after every file was touched (each file read and its checksum compared), against the
# `sqlite3` floor of noop_floor.sh. Builds nothing:
#
#   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build build
#   bench/verify_noop.sh
#
# Environment: FASTAPPKIT (runner, default <repo>/build/tool/fastappkit), BENCH_WORK (default
# /tmp/fastappkit-bench-verify), BENCH_RESULTS (default bench/results). Writes
# <results>/verify-noop.md (medians and CPU times); no target, a measurement.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
results=${BENCH_RESULTS:-$bench_dir/results}
work=${BENCH_WORK:-/tmp/fastappkit-bench-verify}
runner=$(realpath "${FASTAPPKIT:-$repo_dir/build/tool/fastappkit}")
for tool in sqlite3; do
  command -v "$tool" >/dev/null || { echo "verify_noop.sh: $tool is missing" >&2; exit 2; }
done
unset DATABASE_URL FASTAPPKIT_APP_PATH
export FASTAPPKIT_CACHE_DIR=$work/cache

rm -rf "$work" && mkdir -p "$work" "$results"
warn=$work/warn
/usr/bin/python3 "$bench_dir/gen_project.py" "$warn" --core 500 --apps 20 --per-app 25 --no-alembic >/dev/null
"$runner" --project-root "$warn" -q migrate all
cp -rp "$warn" "$work/off"
printf '\n[tool.fastappkit.migration]\nverify = "off"\n' >>"$work/off/fastappkit.toml"
cp -rp "$warn" "$work/touched"
find "$work/touched" -name '*.sql' -exec touch {} +
sleep 2.1
for project in warn off touched; do "$runner" --project-root "$work/$project" -q migrate all; done

# In turn rather than in blocks (interleaved.py): on a shared machine each command sees the
# same load, so the differences are the check's.
sqlite3=$(command -v sqlite3)
/usr/bin/python3 "$bench_dir/interleaved.py" --runs 60 --warmup 5 \
  --export-json "$work/verify-noop.json" --export-markdown "$work/verify-noop-runs.md" \
  -n "sqlite3 floor" "$sqlite3 $warn/bench.db 'SELECT version_num FROM alembic_version'" \
  -n 'verify = "off"' "$runner --project-root $work/off -q migrate all" \
  -n 'verify = "warn", files untouched' "$runner --project-root $warn -q migrate all" \
  -n 'verify = "warn", every file touched' "$runner --project-root $work/touched -q migrate all"

/usr/bin/python3 - "$work/verify-noop.json" "$results/verify-noop.md" "$(uptime)" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["results"]
lines = ["| No-op `migrate all`, 1,000 applied in 21 histories | median | median CPU (user + sys) |",
         "|:---|---:|---:|"]
for r in runs:
    lines.append(f"| {r['command']} | {r['median'] * 1000:.1f} ms | {r['cpu_median'] * 1000:.1f} ms |")
lines.append("")
lines.append(f"Load while measuring: {sys.argv[3].strip()}")
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
