#!/usr/bin/env bash
# The cost of the lease lock and the fence on PostgreSQL, and the same runner through PgBouncer
# in transaction mode. Builds nothing:
#
#   eval "$(bash tests/support/pg-start.sh)"
#   BASE=/path/to/an/older/fastappkit FASTAPPKIT=build/tool/fastappkit bench/pooler.sh
#
# (a) apply CORE (default 500) migrations to an empty database, (b) the no-op `migrate all`,
# each timed in turn (bench/interleaved.py) for: the BASE runner direct (a session advisory lock,
# no fence), this runner direct (lease and fence), and this runner through PgBouncer
# (pool_mode = transaction, default_pool_size = 3, started here as the postgres user).
# BASE is optional; without it the first row is left out. Before each apply every database is
# reset and the page cache written back (sync), so that no run pays for the previous one's
# writes. Writes <results>/pooler-*.md.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
results=${BENCH_RESULTS:-$bench_dir/results}
work=${BENCH_WORK:-/tmp/fastappkit-bench-pooler}
core=${CORE:-500}
runs=${RUNS:-10}
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
cleanup() {
  kill "$(cat "$bouncer_dir/pgbouncer.pid" 2>/dev/null)" 2>/dev/null || true
  for db in bench_pool_base bench_pool_direct bench_pool_pooled; do
    "$runner" -q --database-url "$(url_of "$host:$port" "$db")" db drop 2>/dev/null || true
  done
  rm -rf "$bouncer_dir"
}
trap cleanup EXIT
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$bouncer_port") 2>/dev/null && break; sleep 0.1; done

project=$work/project
/usr/bin/python3 "$bench_dir/gen_project.py" "$project" --core "$core" --apps 0 --no-alembic >/dev/null

base_db=$(url_of "$host:$port" bench_pool_base)
direct_db=$(url_of "$host:$port" bench_pool_direct)
pooled_db=$(url_of "127.0.0.1:$bouncer_port" bench_pool_pooled)
reset_all="$runner -q --database-url $base_db db reset; $runner -q --database-url $direct_db db reset; \
$runner -q --database-url $(url_of "$host:$port" bench_pool_pooled) db reset; sync"
commands=()
if [[ -n $base ]]; then
  commands+=(-n "before: direct, advisory lock" "$base --project-root $project --database-url $base_db -q migrate all")
fi
commands+=(-n "now: direct, lease and fence" "$runner --project-root $project --database-url $direct_db -q migrate all"
           -n "now: through PgBouncer (transaction)" "$runner --project-root $project --database-url $pooled_db -q migrate all")

echo "== (a) apply $core migrations to an empty database"
/usr/bin/python3 "$bench_dir/interleaved.py" --runs "$runs" --warmup 1 --prepare "$reset_all" \
  --export-json "$work/apply.json" --export-markdown "$results/pooler-apply.md" "${commands[@]}"

echo "== (b) no-op migrate all"
bash -c "$reset_all"
for ((i = 2; i < ${#commands[@]}; i += 3)); do ${commands[$i]} >/dev/null; done
/usr/bin/python3 "$bench_dir/interleaved.py" --runs $((runs * 3)) --warmup 3 \
  --export-json "$work/noop.json" --export-markdown "$results/pooler-noop.md" "${commands[@]}"

/usr/bin/python3 - "$work" "$results" <<'PY'
import json, sys
work, results = sys.argv[1:]
lines = ["| | apply (median) | ratio | no-op (median) | ratio |", "|---|---:|---:|---:|---:|"]
apply = json.load(open(f"{work}/apply.json"))["results"]
noop = json.load(open(f"{work}/noop.json"))["results"]
first_apply, first_noop = apply[0]["median"], noop[0]["median"]
for a, n in zip(apply, noop):
    lines.append(f"| {a['command']} | {a['median'] * 1000:.1f} ms | {a['median'] / first_apply:.3f} | "
                 f"{n['median'] * 1000:.2f} ms | {n['median'] / first_noop:.3f} |")
summary = "\n".join(lines) + "\n"
open(f"{results}/pooler-summary.md", "w").write(summary)
print(summary)
PY
