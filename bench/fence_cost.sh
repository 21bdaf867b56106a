#!/usr/bin/env bash
# What the fence costs the server per migration, apart from everything else a run does: pgbench
# sends, as one simple query each (the way the runner sends a migration on the per-migration
# path), a trivial migration's transaction in four forms, picked at random per transaction so
# that all four see the same load:
#
#   before  BEGIN; section; version-row UPDATE; history INSERT; COMMIT   (the runner at 4620a9e)
#   lease   BEGIN; section; WITH fenced AS (UPDATE … RETURNING 1) SELECT 1 / (count(*) *
#           (the lease row's count)) FROM fenced; INSERT; COMMIT        (lock auto / table)
#   share   BEGIN; section; a check (version rows as planned, lease row FOR SHARE); UPDATE;
#           INSERT; COMMIT                                 (lock auto / table at 026aa71)
#   advisory  BEGIN; LOCK TABLE … IN SHARE ROW EXCLUSIVE MODE; section; the check (version rows);
#           UPDATE; INSERT; COMMIT                                       (lock advisory)
#
# The statements are those of PostgresDatabase::execute_transaction (tool/db/postgres_database.cpp)
# as of this script's commit; the section inserts one row. Builds nothing:
#
#   eval "$(bash tests/support/pg-start.sh)"
#   bench/fence_cost.sh
#
# Environment: FASTAPPKIT (runner, for db reset/drop), TRANSACTIONS (per round, 30000), ROUNDS
# (3), BENCH_WORK, BENCH_RESULTS. Writes <results>/pooler-fence-cost.md.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
results=${BENCH_RESULTS:-$bench_dir/results}
work=${BENCH_WORK:-/tmp/fastappkit-bench-fence}
transactions=${TRANSACTIONS:-30000}
rounds=${ROUNDS:-3}
server=${FASTAPPKIT_TEST_POSTGRES_URL:?set it, e.g. eval \"\$(bash tests/support/pg-start.sh)\"}
runner=$(realpath "${FASTAPPKIT:-$repo_dir/build/tool/fastappkit}")
command -v pgbench >/dev/null || { echo "fence_cost.sh: pgbench is missing" >&2; exit 2; }

base=${server%%\?*}
url=${base%/*}/bench_fence_cost
mkdir -p "$work" "$results"
"$runner" -q --database-url "$url" db reset
trap '"$runner" -q --database-url "$url" db drop || true' EXIT

version=aaaaaaaaaaaa
owner=bench:1:0000000000000000
psql -qX -v ON_ERROR_STOP=1 "$url" <<SQL
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
INSERT INTO alembic_version VALUES ('$version');
CREATE TABLE fastappkit_history (version_table VARCHAR(64) NOT NULL, revision VARCHAR(32) NOT NULL,
    direction VARCHAR(10) NOT NULL, checksum VARCHAR(64) NOT NULL, applied_at VARCHAR(32) NOT NULL,
    duration_ms INTEGER NOT NULL);
CREATE TABLE fastappkit_lock (version_table VARCHAR(64) NOT NULL, owner VARCHAR(160) NOT NULL,
    token BIGINT NOT NULL, expires_at TIMESTAMPTZ NOT NULL, backend_pid INTEGER,
    CONSTRAINT fastappkit_lock_pkc PRIMARY KEY (version_table));
INSERT INTO fastappkit_lock VALUES ('alembic_version', '$owner', 1, 'infinity', NULL);
CREATE TABLE core_rows (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL);
SQL

# The version row is updated to itself: the same work as moving it, and the check still holds.
section="INSERT INTO core_rows (name) VALUES ('row')"
update="UPDATE alembic_version SET version_num='$version' WHERE alembic_version.version_num = '$version'"
history="INSERT INTO fastappkit_history (version_table, revision, direction, checksum, applied_at, duration_ms) \
VALUES ('alembic_version', '$version', 'upgrade', '63b92f932fb4fc7010ded91bdc89bfa65e61584a668bfadc529ff0d990648aae', \
'2026-01-01T00:00:00.000Z', (extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::integer)"
rows_check="count(*) = 1 AND count(*) FILTER (WHERE version_num IN ('$version')) = 1"
lease_check="(SELECT count(*) FROM (SELECT 1 FROM fastappkit_lock WHERE version_table = 'alembic_version' AND \
owner = '$owner' AND token = 1 AND expires_at > clock_timestamp() FOR SHARE) AS held) = 1"
lease_count="(SELECT count(*) FROM fastappkit_lock WHERE version_table = 'alembic_version' AND \
owner = '$owner' AND token = 1 AND expires_at > clock_timestamp())"
echo "BEGIN \\; $section \\; $update \\; $history \\; COMMIT" >"$work/before.sql"
echo "BEGIN \\; $section \\; WITH fenced AS ($update RETURNING 1) SELECT 1 / (count(*) * $lease_count) \
FROM fenced \\; $history \\; COMMIT" >"$work/lease.sql"
echo "BEGIN \\; $section \\; SELECT 1 / (CASE WHEN $rows_check AND $lease_check THEN 1 ELSE 0 END) \
FROM \"alembic_version\" \\; $update \\; $history \\; COMMIT" >"$work/share.sql"
echo "BEGIN \\; LOCK TABLE \"alembic_version\" IN SHARE ROW EXCLUSIVE MODE \\; $section \\; \
SELECT 1 / (CASE WHEN $rows_check THEN 1 ELSE 0 END) FROM \"alembic_version\" \\; $update \\; $history \\; COMMIT" \
  >"$work/advisory.sql"

: >"$work/rounds.txt"
for ((round = 1; round <= rounds; round++)); do
  pgbench -n -c 1 -t "$transactions" -f "$work/before.sql" -f "$work/lease.sql" -f "$work/share.sql" \
    -f "$work/advisory.sql" "$url" \
    2>&1 | awk -v round="$round" '/^SQL script/ { name = $4 } /^ - latency average/ { print round, name, $5 }' \
    | tee -a "$work/rounds.txt"
  psql -qX "$url" -c "TRUNCATE core_rows, fastappkit_history" -c "VACUUM alembic_version" -c "VACUUM fastappkit_lock"
done

/usr/bin/python3 - "$work/rounds.txt" "$results/pooler-fence-cost.md" "$transactions" "$(nproc)" "$(uptime)" <<'PY'
import collections, statistics, sys
rounds_file, out, transactions, cpus, uptime = sys.argv[1:]
latency = collections.defaultdict(list)
for line in open(rounds_file):
    _, name, ms = line.split()
    latency[name.removesuffix(".sql").rsplit("/", 1)[-1]].append(float(ms))
before = statistics.median(latency["before"])
lines = ["| Transaction (one simple query, trivial section) | latency, median of rounds | more than before | ratio |",
         "|:---|---:|---:|---:|"]
for name, title in (("before", "before (4620a9e): no fence"),
                    ("lease", "lease: the version-row write fenced, the lease row counted"),
                    ("share", "lease, before: a check with the lease row FOR SHARE"),
                    ("advisory", "advisory: LOCK TABLE and check")):
    value = statistics.median(latency[name])
    lines.append(f"| {title} | {value * 1000:.0f} µs | {(value - before) * 1000:+.0f} µs | {value / before:.2f} |")
lines += ["", f"pgbench, one client, the four transactions picked at random, {transactions} per round, "
          f"{len(latency['before'])} rounds; latency includes the round trip. {cpus} CPUs; load at the end: "
          f"{uptime.split('load average:')[-1].strip()}."]
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
