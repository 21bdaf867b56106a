#!/usr/bin/env bash
# The cost of the lease lock and the fence on PostgreSQL, and the same runner through PgBouncer
# in transaction mode. Builds nothing:
#
#   eval "$(bash tests/support/pg-start.sh)"
#   BASE=/path/to/an/older/fastappkit FASTAPPKIT=build/tool/fastappkit bench/pooler.sh
#
# Three measurements, each timed in turn (bench/interleaved.py):
#   (a) the no-op `migrate all` on a database at head;
#   (b) the fresh apply: CORE (default 500) migrations onto an empty database (this runner
#       applies a history without version rows in one transaction, a savepoint each);
#   (c) the per-migration path: the same database with its first revision already applied
#       (`migrate upgrade FIRST`, untimed), then the other CORE - 1, one transaction each.
# Rows: the BASE runner direct (a session advisory lock, no fence; the figures are relative to
# it), this runner direct with lock = "auto" (the lease in fastappkit_lock, as "table"), this
# runner direct with fastappkit_lock=advisory (the session advisory lock, fenced), and this
# runner through PgBouncer (pool_mode = transaction, default_pool_size = 3, started here as the
# postgres user; lock "auto"). BASE is optional; without it the first row is left out and the
# ratios are relative to the second. Before each apply run that command's database is reset
# (retried while an autovacuum worker still holds it) and the page cache written back (sync),
# so that no run pays for the previous one's writes. Environment: RUNS (interleaved runs of each apply, 10;
# the no-op gets three times as many), CORE, BENCH_WORK, BENCH_RESULTS, BOUNCER_PORT. Writes
# <results>/<name>-noop.md, <name>-fresh.md, <name>-apply.md (the per-migration path) and
# <name>-summary.md, where <name> is NAME (default pooler). The summary says whether the
# server syncs its commits to disk (tests/support/pg-start.sh turns that off unless
# FASTAPPKIT_PG_DURABLE=1).
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
results=${BENCH_RESULTS:-$bench_dir/results}
work=${BENCH_WORK:-/tmp/fastappkit-bench-pooler}
core=${CORE:-500}
runs=${RUNS:-10}
results_name=${NAME:-pooler}
server=${FASTAPPKIT_TEST_POSTGRES_URL:?set it, e.g. eval \"\$(bash tests/support/pg-start.sh)\"}
runner=$(realpath "${FASTAPPKIT:-$repo_dir/build/tool/fastappkit}")
base=${BASE:+$(realpath "$BASE")}
command -v pgbouncer >/dev/null || PATH=$PATH:/usr/sbin
command -v pgbouncer >/dev/null || { echo "pooler.sh: pgbouncer is missing" >&2; exit 2; }

# postgresql://user:password@host:port/db?query
rest=${server#postgresql://}
userinfo=${rest%%@*}
hostport=${rest#*@}
hostport=${hostport%%/*}
user=${userinfo%%:*}
password=${userinfo#*:}
host=${hostport%%:*}
port=${hostport##*:}
bouncer_port=${BOUNCER_PORT:-56543}
url_of() { echo "postgresql://$user:$password@$1/$2"; }

mkdir -p "$work" "$results"
bouncer_dir=$(mktemp -d /tmp/fastappkit-bench-pgbouncer-XXXXXX)
printf '"%s" "%s"\n' "$user" "$password" >"$bouncer_dir/userlist.txt"
cat >"$bouncer_dir/pgbouncer.ini" <<EOF
[databases]
* = host=$host port=$port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $bouncer_dir/userlist.txt
pool_mode = transaction
default_pool_size = 3
log_connections = 0
log_disconnections = 0
logfile = $bouncer_dir/pgbouncer.log
pidfile = $bouncer_dir/pgbouncer.pid
EOF
as_bouncer=()
if [[ $EUID -eq 0 ]]; then
  chown -R postgres: "$bouncer_dir"
  as_bouncer=(runuser -u postgres --)
fi
"${as_bouncer[@]}" pgbouncer -d "$bouncer_dir/pgbouncer.ini"
databases=(bench_pool_base bench_pool_direct bench_pool_advisory bench_pool_pooled)
cleanup() {
  kill "$(cat "$bouncer_dir/pgbouncer.pid" 2>/dev/null)" 2>/dev/null || true
  for db in "${databases[@]}"; do
    "$runner" -q --database-url "$(url_of "$host:$port" "$db")" db drop 2>/dev/null || true
  done
  rm -rf "$bouncer_dir"
}
trap cleanup EXIT
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$bouncer_port") 2>/dev/null && break; sleep 0.1; done

unset DATABASE_URL DATABASE_DIRECT_URL FASTAPPKIT_APP_PATH
export FASTAPPKIT_CACHE_DIR=$work/cache
project=$work/project
rm -rf "$project" "$FASTAPPKIT_CACHE_DIR"
/usr/bin/python3 "$bench_dir/gen_project.py" "$project" --core "$core" --apps 0 --no-alembic >/dev/null
first=$(grep -l '^-- down_revision: none$' "$project"/core/db/migrations/versions/*.sql)
first=$(sed -n 's/^-- revision: //p' "$first")
sleep 2.1  # files younger than 2 s are not indexed

# name, runner, URL of each row (the URL the runner is given; resets and the first revision go
# to the server directly, by the same runner).
rows=()
if [[ -n $base ]]; then
  rows+=("before: direct, advisory lock, no fence" "$base" "$(url_of "$host:$port" bench_pool_base)")
fi
rows+=("now: direct, lock auto (lease), fenced" "$runner" "$(url_of "$host:$port" bench_pool_direct)"
       "now: direct, lock advisory, fenced" "$runner" "$(url_of "$host:$port" bench_pool_advisory)?fastappkit_lock=advisory"
       "now: through PgBouncer (transaction), lock auto" "$runner" "$(url_of "127.0.0.1:$bouncer_port" bench_pool_pooled)")
commands=()
index=0
for ((i = 0; i < ${#rows[@]}; i += 3)); do
  name=${rows[$i]} fk=${rows[$((i + 1))]} url=${rows[$((i + 2))]}
  db=${url##*/} db=${db%%\?*}
  direct=$(url_of "$host:$port" "$db")
  # Each run's prepare resets only that command's database (interleaved.py names it in
  # INTERLEAVED_COMMAND): a database created just before a run is slower to migrate than one
  # created a moment earlier (up to 1.5x here), so every run starts the same way. Retried: an
  # autovacuum worker may still be connected right after a run.
  reset="for t in \$(seq 20); do $runner -q --database-url $direct db reset 2>/dev/null && break; sleep 0.5; done"
  echo "$reset; sync" >"$work/fresh-$index.sh"
  echo "$reset; $fk --project-root $project --database-url $direct -q migrate upgrade $first; sync" \
    >"$work/apply-$index.sh"
  commands+=(-n "$name" "$fk --project-root $project --database-url $url -q migrate all")
  index=$((index + 1))
done

echo "== (b) fresh apply: $core migrations onto an empty database"
/usr/bin/python3 "$bench_dir/interleaved.py" --shuffle --runs "$runs" --warmup 1 \
  --prepare "sh $work/fresh-\$INTERLEAVED_COMMAND.sh" --export-json "$work/fresh.json" --export-markdown "$results/$results_name-fresh.md" "${commands[@]}"

echo "== (c) per-migration path: $((core - 1)) migrations onto a database at its first revision"
/usr/bin/python3 "$bench_dir/interleaved.py" --shuffle --runs "$runs" --warmup 1 \
  --prepare "sh $work/apply-\$INTERLEAVED_COMMAND.sh" --export-json "$work/apply.json" --export-markdown "$results/$results_name-apply.md" "${commands[@]}"

echo "== (a) no-op migrate all"
for ((i = 2; i < ${#commands[@]}; i += 3)); do ${commands[$i]} >/dev/null; done
/usr/bin/python3 "$bench_dir/interleaved.py" --shuffle --runs $((runs * 3)) --warmup 3 \
  --export-json "$work/noop.json" --export-markdown "$results/$results_name-noop.md" "${commands[@]}"

sync_settings=$(psql -XAtq "$(url_of "$host:$port" postgres)" -c "SELECT current_setting('fsync') || ' ' || current_setting('synchronous_commit')")
/usr/bin/python3 - "$work" "$results" "$core" "$runs" "$(nproc)" "$(uptime)" "$results_name" "$sync_settings" <<'PY'
import json, sys
work, results, core, runs, cpus, uptime, name, sync = sys.argv[1:]
fsync, synchronous_commit = sync.split()
core, runs = int(core), int(runs)
def load(name):
    return json.load(open(f"{work}/{name}.json"))["results"]
noop, fresh, apply = load("noop"), load("fresh"), load("apply")
lines = [f"| | no-op (median) | ratio | fresh apply {core} (median) | ratio | "
         f"per-migration apply {core - 1} (median) | ratio |",
         "|:---|---:|---:|---:|---:|---:|---:|"]
for n, f, a in zip(noop, fresh, apply):
    lines.append(f"| {n['command']} | {n['median'] * 1000:.2f} ms | {n['median'] / noop[0]['median']:.3f} | "
                 f"{f['median'] * 1000:.1f} ms | {f['median'] / fresh[0]['median']:.3f} | "
                 f"{a['median'] * 1000:.1f} ms | {a['median'] / apply[0]['median']:.3f} |")
lines += ["", f"Ratios to the first row, medians of interleaved runs (each round in a random order) "
          f"in one run of bench/pooler.sh: "
          f"{runs * 3} of each no-op, {runs} of each apply. {cpus} CPUs; load at the end: "
          f"{uptime.split('load average:')[-1].strip()}. The server runs with fsync {fsync} and "
          f"synchronous_commit {synchronous_commit}."]
summary = "\n".join(lines) + "\n"
open(f"{results}/{name}-summary.md", "w").write(summary)
print(summary)
PY
