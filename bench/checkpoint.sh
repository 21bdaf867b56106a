#!/usr/bin/env bash
# Checkpoints (docs/checkpoints.md) on a long history whose schema stays small, as a
# long-lived project's does: 50 tables made by the first revisions, then revisions that add
# columns and indexes to them and drop some indexes again (REVISIONS in all, default 2,000).
# Like the suite's history (tests/cli/test_checkpoints.py) it has a side branch merged back,
# two branch labels, a branch of its own that a trunk revision depends on (merged later), and
# two data migrations, whose rows the checkpoint keeps (--keep-data t10).
#
#   fresh through the checkpoint: `migrate upgrade` on an empty database, with
#                                  versions/<head>_checkpoint.sql present
#   the same, files deleted:       the replaced files deleted, the checkpoint standing in
#   fresh replay:                  the same without the checkpoint (one transaction, a savepoint
#                                  per migration: the fresh path of docs/databases.md)
#   per-migration replay:          the same revisions one commit each, as a database that has
#                                  version rows runs them (an empty root revision, r00000, is
#                                  stamped untimed first), for reference
#   floor:                         the checkpoint's own SQL run by sqlite3 / psql in one
#                                  transaction: what the database needs to build that schema
#   connect:                       sqlite3 / psql starting, connecting and running SELECT 1:
#                                  the part of the floor that is not the schema
#   migrate check --checkpoints:   what the migrate_checkpoint CTest test costs (one replay and
#                                  one checkpoint run on scratch databases), against the replay
#
# On SQLite, and on PostgreSQL when FASTAPPKIT_TEST_POSTGRES_URL names a server. Runs are
# interleaved, each round in a random order (bench/interleaved.py --shuffle).
#
#   eval "$(bash tests/support/pg-start.sh)"   # optional: the PostgreSQL rows
#   bench/checkpoint.sh
#
# Environment: FASTAPPKIT (runner, default <repo>/build/tool/fastappkit), REVISIONS (2000),
# RUNS (interleaved runs, 10), BENCH_WORK (default /tmp/fastappkit-bench-checkpoint),
# BENCH_RESULTS (default bench/results), NAME (the results file's, default checkpoint).
# Writes <results>/<NAME>.md; exits 1 when a fresh database through the checkpoint takes more
# than 5 % of the replay, or the check more than two replays. FASTAPPKIT_PG_DURABLE=1 for
# tests/support/pg-start.sh gives a server that syncs its commits (checkpoint-durable.md).
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
results=${BENCH_RESULTS:-$bench_dir/results}
work=${BENCH_WORK:-/tmp/fastappkit-bench-checkpoint}
revisions=${REVISIONS:-2000}
runs=${RUNS:-10}
runner=$(realpath "${FASTAPPKIT:-$repo_dir/build/tool/fastappkit}")
unset DATABASE_URL FASTAPPKIT_APP_PATH
export FASTAPPKIT_CACHE_DIR=$work/cache

rm -rf "$work"
mkdir -p "$work" "$results"
replay=$work/replay        # the project without a checkpoint
squashed=$work/squashed    # the same with one
/usr/bin/python3 - "$replay" "$revisions" <<'PY'
import os, sys
root, total = sys.argv[1], int(sys.argv[2])
versions = os.path.join(root, "core", "db", "migrations", "versions")
os.makedirs(versions)
open(os.path.join(root, "fastappkit.toml"), "w").write("[tool.fastappkit]\napps = []\n")
tables = 50
with open(os.path.join(versions, "r00000_root.sql"), "w") as f:
    f.write("-- revision: r00000\n-- down_revision: none\n-- message: empty root\n\n"
            "-- migrate:upgrade\nSELECT 1;\n\n-- migrate:downgrade\n")
def write(rev, downs, up, down, labels=(), depends=()):
    head = f"-- revision: {rev}\n-- down_revision: {', '.join(downs) or 'none'}\n"
    if labels:
        head += f"-- branch_labels: {', '.join(labels)}\n"
    if depends:
        head += f"-- depends_on: {', '.join(depends)}\n"
    with open(os.path.join(versions, f"{rev}_m.sql"), "w") as f:
        f.write(f"{head}-- message: {rev}\n\n"
                f"-- migrate:upgrade\n{up}\n\n-- migrate:downgrade\n{down}\n")
for n in range(1, total + 1):
    t = f"t{n % tables:02d}"
    downs, labels, depends = [f"r{n - 1:05d}"], [], []
    if n <= tables:
        up = f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
        down = f"DROP TABLE {t};"
    elif n % 4 == 1:
        up, down = f"CREATE INDEX ix_{n} ON {t} (name);", f"DROP INDEX ix_{n};"
    elif n % 4 == 3 and n - 2 > tables:  # the index two revisions back
        up = f"DROP INDEX ix_{n - 2};"
        down = f"CREATE INDEX ix_{n - 2} ON t{(n - 2) % tables:02d} (name);"
    else:
        up, down = f"ALTER TABLE {t} ADD COLUMN c{n} TEXT;", f"ALTER TABLE {t} DROP COLUMN c{n};"
    if n == 1:
        labels = ["trunk"]
    if n == 20:  # the merge of the side branch
        downs.append("s0003")
    if n == 60:  # a data migration, and one more: their rows are kept by the checkpoint
        up += "\nINSERT INTO t10 (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'it''s');"
    if n == 61:
        up += "\nUPDATE t10 SET name = 'c' WHERE id = 2;"
    if n == 70:
        depends = ["a0002"]
    if n == 90:  # one head again
        downs.append("a0002")
    write(f"r{n:05d}", downs, up, down, labels, depends)
    if n == 10:  # a side branch from r00010, merged by r00020
        for i in range(1, 4):
            write(f"s{i:04d}", ["r00010" if i == 1 else f"s{i - 1:04d}"],
                  f"CREATE TABLE side{i} (id INTEGER PRIMARY KEY);", f"DROP TABLE side{i};",
                  ["side"] if i == 1 else [])
    if n == 40:  # a branch of its own, which r00070 depends on
        write("a0001", [], "CREATE TABLE aux1 (id INTEGER PRIMARY KEY);", "DROP TABLE aux1;")
        write("a0002", ["a0001"], "CREATE TABLE aux2 (id INTEGER PRIMARY KEY);",
              "DROP TABLE aux2;")
PY
cp -r "$replay" "$squashed"
head=$(printf 'r%05d' "$revisions")
standing=$work/standing    # the squashed project with the replaced files deleted
fk() { echo "$runner --project-root $1 --database-url $2 -q"; }

step() { printf '\n== %s\n' "$*"; }
json=()
server=${FASTAPPKIT_TEST_POSTGRES_URL:-}
pg() { local base=${server%%\?*}; echo "${base%/*}/$1"; }

step "checkpoints of $revisions revisions"
$(fk "$squashed" sqlite://) migrate squash --to "$head" --keep-data t10
[[ -n $server ]] && $(fk "$squashed" "$server") migrate squash --to "$head" --keep-data t10
grep -c '^CREATE' "$squashed/core/db/migrations/versions/${head}_checkpoint.sql" |
  sed 's/^/statements creating objects (all dialects): /'
checkpoint_sql() {  # the checkpoint's upgrade section for dialect $1, in one transaction
  echo "BEGIN;"
  awk -v marker="-- migrate:upgrade dialect:$1" '$0 == marker { p = 1; next } /^-- migrate:/ { p = 0 } p' \
    "$squashed/core/db/migrations/versions/${head}_checkpoint.sql"
  echo "COMMIT;"
}
checkpoint_sql sqlite >"$work/floor-sqlite.sql"
[[ -n $server ]] && checkpoint_sql postgresql >"$work/floor-pg.sql"
cp -r "$squashed" "$standing"
rm "$standing"/core/db/migrations/versions/[rsa]*_m.sql
sleep 2.1  # files younger than 2 s are not indexed
rm -rf "$FASTAPPKIT_CACHE_DIR"

step "SQLite: a fresh database, through the checkpoint and by replay"
db() { echo "$work/$1.db"; }
# Before each run, that command's database only (interleaved.py names the command), so that
# the databases compared below are those of the last runs.
clean="case \$INTERLEAVED_COMMAND in 0) rm -f $(db checkpoint)*;; 1) rm -f $(db standing)*;;
  2) rm -f $(db replay)*;; 3) rm -f $(db per)* && $(fk "$replay" "sqlite:///$(db per)") migrate stamp r00000;;
  4) rm -f $(db floor)*;; esac"
/usr/bin/python3 "$bench_dir/interleaved.py" --warmup 1 --runs "$runs" --shuffle \
  --prepare "$clean" \
  --export-json "$work/sqlite.json" --export-markdown "$work/sqlite.md" \
  -n "checkpoint" "$(fk "$squashed" "sqlite:///$(db checkpoint)") migrate upgrade" \
  -n "standing" "$(fk "$standing" "sqlite:///$(db standing)") migrate upgrade" \
  -n "replay" "$(fk "$replay" "sqlite:///$(db replay)") migrate upgrade" \
  -n "per-migration" "$(fk "$replay" "sqlite:///$(db per)") migrate upgrade" \
  -n "floor" "$(command -v sqlite3) $(db floor) '.read $work/floor-sqlite.sql'" \
  -n "connect" "$(command -v sqlite3) $(db floor) 'SELECT 1'" \
  -n "check" "$(fk "$squashed" sqlite://) migrate check --checkpoints"
json+=("SQLite" "$work/sqlite.json")
# Schema, version rows and kept rows: what the suite compares, here at full size.
schema() {
  sqlite3 "$1" "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'fastappkit%' ORDER BY 1, 2" \
    "SELECT version_num FROM alembic_version ORDER BY 1" "SELECT * FROM t10 ORDER BY id"
}
grep -q "^$head\$" <(schema "$(db replay)") ||
  { echo "checkpoint.sh: the replayed SQLite database is not at $head" >&2; exit 1; }
for name in checkpoint standing; do
  [[ "$(schema "$(db $name)")" == "$(schema "$(db replay)")" ]] ||
    { echo "checkpoint.sh: the $name SQLite database differs from the replay's" >&2; exit 1; }
done

if [[ -n $server ]]; then
  trap 'for d in fastappkit_bench_ckpt fastappkit_bench_standing fastappkit_bench_replay fastappkit_bench_per fastappkit_bench_floor; do "$runner" -q --database-url "$(pg $d)" db drop || true; done' EXIT
  # Retried: an autovacuum worker may still be connected right after a run.
  reset() { echo "for i in 1 2 3 4 5 6 7 8 9 10; do $runner -q --database-url $(pg "$1") db reset 2>/dev/null && break; sleep 1; done"; }
  step "PostgreSQL: a fresh database, through the checkpoint and by replay"
  /usr/bin/python3 "$bench_dir/interleaved.py" --warmup 1 --runs "$runs" --shuffle \
    --prepare "case \$INTERLEAVED_COMMAND in 0) $(reset fastappkit_bench_ckpt);; 1) $(reset fastappkit_bench_standing);; 2) $(reset fastappkit_bench_replay);; 3) $(reset fastappkit_bench_per); $(fk "$replay" "$(pg fastappkit_bench_per)") migrate stamp r00000;; 4) $(reset fastappkit_bench_floor);; esac" \
    --export-json "$work/pg.json" --export-markdown "$work/pg.md" \
    -n "checkpoint" "$(fk "$squashed" "$(pg fastappkit_bench_ckpt)") migrate upgrade" \
    -n "standing" "$(fk "$standing" "$(pg fastappkit_bench_standing)") migrate upgrade" \
    -n "replay" "$(fk "$replay" "$(pg fastappkit_bench_replay)") migrate upgrade" \
    -n "per-migration" "$(fk "$replay" "$(pg fastappkit_bench_per)") migrate upgrade" \
    -n "floor" "$(command -v psql) -q -v ON_ERROR_STOP=1 -f $work/floor-pg.sql $(pg fastappkit_bench_floor)" \
    -n "connect" "$(command -v psql) -q -c 'SELECT 1' $(pg fastappkit_bench_floor)" \
    -n "check" "$(fk "$squashed" "$server") migrate check --checkpoints"
  json+=("PostgreSQL" "$work/pg.json")
fi

settings=""  # the server's, read rather than assumed (tests/support/pg-start.sh: off unless asked)
[[ -n $server ]] && settings=$(psql -XAtq "$server" -c "SELECT 'fsync ' || current_setting('fsync') || ' and synchronous_commit ' || current_setting('synchronous_commit')")
/usr/bin/python3 - "$results/${NAME:-checkpoint}.md" "$revisions" "$runs" "$(nproc)" "$(uptime)" "$settings" "${json[@]}" <<'PY'
import json, sys
out, revisions, runs, cpus, uptime, settings, pairs = (*sys.argv[1:7], sys.argv[7:])
lines = ["| Database | fresh through the checkpoint | the same, replaced files deleted | floor (its SQL by sqlite3/psql) | of which start and connection | fresh replay (one transaction) | replay, a commit per migration | `migrate check --checkpoints` | checkpoint / replay | deleted / replay | floor / replay | checkpoint / per-migration replay | check / replay | Targets |",
         "|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---|"]
ok = True
def show(seconds):
    return f"{seconds:.3f} s" if seconds >= 1 else f"{seconds * 1000:.1f} ms"
for title, path in zip(pairs[0::2], pairs[1::2]):
    median = {r["command"]: r["median"] for r in json.load(open(path))["results"]}
    c, s, r, k = median["checkpoint"], median["standing"], median["replay"], median["check"]
    p, f, n = median["per-migration"], median["floor"], median["connect"]
    met = c / r <= 0.05, k / r <= 2
    ok &= all(met)
    lines.append(f"| {title} | {show(c)} | {show(s)} | {show(f)} | {show(n)} | {show(r)} | {show(p)} | "
                 f"{show(k)} | {c / r:.3f} | {s / r:.3f} | {f / r:.3f} | {c / p:.3f} | {k / r:.2f} | "
                 f"checkpoint ≤ 0.05× the "
                 f"fresh replay: {'met' if met[0] else 'NOT met'}; check ≤ 2: "
                 f"{'met' if met[1] else 'NOT met'} |")
lines += ["", f"{revisions} revisions in one history: 50 tables, then columns and indexes added "
          f"to them and some indexes dropped again, with a merged side branch, two branch labels, "
          f"a depends_on and two data migrations (kept: --keep-data t10); the checkpoint at the "
          f"head. Medians of {runs} interleaved runs, each round in a random order "
          f"(interleaved.py --shuffle). {cpus} CPUs; load at the end: "
          f"{uptime.split('load average:')[-1].strip()}. The replay is the fresh path: one "
          f"transaction (on SQLite a savepoint per migration)."
          + (f" The PostgreSQL server runs with {settings}." if settings else "")]
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
sys.exit(0 if ok else 1)
PY
