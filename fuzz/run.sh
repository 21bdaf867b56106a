#!/usr/bin/env bash
# Runs every libFuzzer target of a FASTAPPKIT_FUZZ build for a while, seeded from
# example-project/ and fuzz/seeds/; a crash, a sanitizer finding or a leak fails the run and
# leaves the input in BUILD_DIR/fuzz/corpora/<target>/.
# Usage: fuzz/run.sh BUILD_DIR [SECONDS_PER_TARGET (default 25)]
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "$1" && pwd)
seconds=${2:-25}
work=$build/fuzz/corpora
example=example-project

seed() {  # seed TARGET FILE...: copies under numbered names (several files are models.sql)
  local target=$1 i=0
  shift
  mkdir -p "$work/$target/seeds" "$work/$target/found"
  for file in "$@"; do
    i=$((i + 1))
    cp "$file" "$work/$target/seeds/$i-$(basename "$file")"
  done
}

migrations=$(find "$example" -path '*/versions/*.sql' | sort)
seed migration_file $migrations
seed sql_splitter $migrations $(find "$example" -name 'models*.sql' | sort)
seed env_file "$example/.env" fuzz/seeds/env_file/*
seed database_url fuzz/seeds/database_url/*
mkdir -p "$work/project_loader/seeds" "$work/project_loader/found"
{ cat "$example/fastappkit.toml"; printf '\n#---\n'; cat "$example/external/payments/payments/fastappkit.toml"; } \
  > "$work/project_loader/seeds/example"
cp fuzz/seeds/project_loader/* "$work/project_loader/seeds/"

export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
for target in database_url env_file migration_file project_loader sql_splitter; do
  start=$SECONDS
  "$build/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$work/$target/" "$work/$target/found" "$work/$target/seeds" \
    > "$work/$target.log" 2>&1 || { tail -40 "$work/$target.log"; echo "fuzz_$target: FAILED (log: $work/$target.log)"; exit 1; }
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log")
  echo "fuzz_$target: ${runs:-?} inputs in $((SECONDS - start)) s, no finding"
done
