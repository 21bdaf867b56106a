"""Checkpoints (docs/checkpoints.md): `migrate squash --to REV` writes the schema base..REV
builds as one file; a database with no version rows runs it in place of the replay and ends
with the same schema, version rows and kept rows as a replay-built one; databases at any
replaced revision go on through the original files; once the replaced files are deleted the
checkpoint stands in for them; `migrate check` catches a checkpoint that differs from a replay.

The generated history has a merged side branch, two branch labels, a depends_on on a third
branch, data migrations, a view, foreign keys, added columns, a PostgreSQL serial column and a
transaction:false section.
"""
import glob
import json
import os
import random
import re
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from fastappkit_testing import BACKEND, CliTestCase, main, popen_runner

ALEMBIC_ENV = """\
from alembic import context
from sqlalchemy import create_engine, pool

engine = create_engine(context.config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
"""

TOTAL = 300
SQUASH_AT = 200
SAMPLES = 50
SAMPLE_TOTAL = 60  # the history the stopped-database samples use
SAMPLE_SQUASH_AT = 55  # r0050 depends on the a branch: inside the range


def r(n):
    return f"r{n:04d}"


def generate(total):
    """The history as a list of revisions: {rev, down, labels, depends, sections}."""
    revisions = []

    def add(rev, down, up, downgrade, labels=(), depends=(), pg_up=None):
        sections = []
        if pg_up is not None:
            sections.append(("upgrade dialect:postgresql", pg_up))
            sections.append(("upgrade dialect:sqlite", up))
        else:
            sections.append(("upgrade", up))
        sections.append(("downgrade", downgrade))
        revisions.append({"rev": rev, "down": list(down), "labels": list(labels),
                          "depends": list(depends), "sections": sections})

    for n in range(1, total + 1):
        table, down = f"t{n:04d}", [r(n - 1)] if n > 1 else []
        columns = "id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'x'"
        if n % 7 == 0:
            columns += f", ref INTEGER REFERENCES t{n - 1:04d}(id) ON DELETE CASCADE"
        if n % 40 == 0:
            columns += ", amount INTEGER CHECK (amount >= 0)"
        up = [f"CREATE TABLE {table} ({columns});"]
        downgrade = [f"DROP TABLE {table};"]
        if n % 5 == 0:
            up.append(f"CREATE INDEX ix_{table}_name ON {table} (name);")
        if n % 11 == 0 and n > 3:
            up.append(f"ALTER TABLE t{n - 3:04d} ADD COLUMN extra_{n} TEXT;")
            downgrade.insert(0, f"ALTER TABLE t{n - 3:04d} DROP COLUMN extra_{n};")
        if n % 25 == 0:
            up.append(f"CREATE VIEW v{n:04d} AS SELECT id, name FROM {table};")
            downgrade.insert(0, f"DROP VIEW v{n:04d};")
        pg_up = None
        if n == 3:  # a serial column: its sequence must come out where the replay leaves it
            pg_up = "\n".join(up).replace("id INTEGER PRIMARY KEY", "id SERIAL PRIMARY KEY")
        if n == 30:
            up.append("INSERT INTO t0003 (name) VALUES ('a'), ('b'), ('it''s');")
        if n == 31:
            up.append("UPDATE t0003 SET name = 'c' WHERE id = 2;")
        if n == 20:  # the merge of the side branch
            down = [r(19), "s0003"]
        labels = ["trunk"] if n == 1 else []
        depends = ["a0002"] if n == 50 else []
        if n == 150:  # a table, then an index built outside a transaction on PostgreSQL
            add(r(n) + "a", down, up[0], f"DROP TABLE {table};")
            index = f"ix_{table}_both ON {table} (id, name);"
            revisions.append({"rev": r(n), "down": [r(n) + "a"], "labels": [], "depends": [],
                              "sections": [
                                  ("upgrade dialect:postgresql transaction:false",
                                   "CREATE INDEX CONCURRENTLY " + index),
                                  ("upgrade dialect:sqlite", "CREATE INDEX " + index),
                                  ("downgrade", f"DROP INDEX ix_{table}_both;")]})
            continue
        add(r(n), down, "\n".join(up), "\n".join(downgrade), labels, depends, pg_up)
        if n == 10:  # a side branch from r0010, merged by r0020
            for i in range(1, 4):
                add(f"s{i:04d}", [r(10)] if i == 1 else [f"s{i - 1:04d}"],
                    f"CREATE TABLE side{i} (id INTEGER PRIMARY KEY);", f"DROP TABLE side{i};",
                    labels=["side"] if i == 1 else [])
        if n == 40:  # a branch of its own, which r0050 depends on
            add("a0001", [], "CREATE TABLE aux1 (id INTEGER PRIMARY KEY);", "DROP TABLE aux1;")
            add("a0002", ["a0001"], "CREATE TABLE aux2 (id INTEGER PRIMARY KEY);",
                "DROP TABLE aux2;")
    return revisions


def migration_text(revision):
    text = (f"-- revision: {revision['rev']}\n"
            f"-- down_revision: {', '.join(revision['down']) or 'none'}\n"
            f"-- branch_labels: {', '.join(revision['labels'])}\n"
            f"-- depends_on: {', '.join(revision['depends'])}\n"
            f"-- message: revision {revision['rev']}\n"
            f"-- create_date: 2026-01-01T00:00:00Z\n")
    for marker, sql in revision["sections"]:
        text += f"\n-- migrate:{marker}\n{sql}\n"
    return text


class Checkpoints(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config()

    def write_history(self, total=TOTAL):
        self.revisions = generate(total)
        for revision in self.revisions:
            self.project.core_migration(revision["rev"], slug="m", text=migration_text(revision))

    def checkpoint_file(self, rev):
        return os.path.join(self.project.core_dir(), f"{rev}_checkpoint.sql")

    def index_of(self, rev):
        return next(i for i, revision in enumerate(self.revisions) if revision["rev"] == rev)

    def replaced(self, rev):
        with open(self.checkpoint_file(rev)) as f:
            text = f.read()
        return re.search(r"^-- replaces: (.*)$", text, re.M).group(1).split(", ")

    def squash(self, rev, *options):
        res = self.ok("migrate", "squash", "--to", rev, *options)
        self.assertIn(f"{rev}_checkpoint.sql", res.out)
        return res

    # what a database holds, normalised ------------------------------------------------------
    def schema(self, database):
        if BACKEND == "sqlite":
            return database.query("SELECT type, name, tbl_name, sql FROM sqlite_schema "
                                  "ORDER BY type, name")
        # fastappkit's own tables differ by what ran (a transaction:false section's mark)
        dump = subprocess.run(["pg_dump", "--schema-only", "--no-owner",
                               "--exclude-table=fastappkit_*", database.url],
                              capture_output=True, text=True, check=True).stdout
        lines = []
        for line in dump.splitlines():
            if not line.strip() or line.startswith("--") or line.startswith("SET ") \
                    or "set_config" in line or line.startswith("\\"):
                continue
            lines.append(line)
        return lines

    def kept(self, database):
        return sorted(database.query("SELECT id, name FROM t0003"))

    def build(self, *args):
        """A fresh database upgraded to heads; the lines of its output naming a step."""
        database = self.database()
        res = self.ok("migrate", "upgrade", "heads", *args, db=database)
        return database, "\n".join(l for l in res.out.splitlines() if l.startswith("core "))

    # tests --------------------------------------------------------------------------------------
    def test_checkpoint_built_equals_replay_built(self):
        self.write_history()
        replayed, out = self.build()
        self.assertGreater(len(out.splitlines()), TOTAL)
        self.squash(r(SQUASH_AT), "--keep-data", "t0003")
        with open(self.checkpoint_file(r(SQUASH_AT))) as f:
            text = f.read()
        self.assertTrue(text.startswith(f"-- checkpoint: {r(SQUASH_AT)}\n"), text[:200])
        self.assertIn("-- branch_labels: trunk, side", text)
        built, out = self.build()
        lines = out.splitlines()
        # the checkpoint, then the revisions after it, one line each
        self.assertIn(r(SQUASH_AT), lines[0])
        self.assertIn("checkpoint of", lines[0])
        self.assertEqual(len(lines), 1 + TOTAL - SQUASH_AT)
        self.assertEqual(self.schema(built), self.schema(replayed))
        self.assertEqual(built.versions(), replayed.versions())
        self.assertEqual(self.kept(built), self.kept(replayed))
        self.assertEqual(self.kept(built), [(1, "a"), (2, "c"), (3, "it's")])
        # the serial column's sequence goes on where the replay's does
        for database in (built, replayed):
            database.execute("INSERT INTO t0003 (name) VALUES ('next')")
        self.assertEqual(self.kept(built), self.kept(replayed))
        history = built.history_pairs()
        self.assertEqual(history[0], (r(SQUASH_AT), "checkpoint"))
        self.assertEqual([p for p in history if p[1] == "checkpoint"], [history[0]])
        self.assertEqual(len(history), 1 + TOTAL - SQUASH_AT)
        # nothing pending, nothing reported as edited, and check agrees
        self.ok("migrate", "status", "--exit-code", db=built)
        self.ok("migrate", "verify", db=built)
        res = self.ok("migrate", "check", "--checkpoints")
        self.assertIn(f"checkpoint {r(SQUASH_AT)} builds what the replay", res.out)
        # a target below the checkpoint replays (the checkpoint would overshoot it)
        below = self.database()
        out = self.ok("migrate", "upgrade", r(SQUASH_AT - 1), db=below).out
        self.assertNotIn("checkpoint", out)
        self.assertEqual(below.versions(), [r(SQUASH_AT - 1)])

    def test_databases_at_replaced_revisions_go_on_through_the_files(self):
        self.write_history(SAMPLE_TOTAL)
        replayed, _ = self.build()
        # databases stopped at random revisions of the range, before the checkpoint was written
        replaced = [rev["rev"] for rev in self.revisions[:self.index_of(r(SAMPLE_SQUASH_AT)) + 1]]
        rng = random.Random(int(os.environ.get("CHECKPOINT_SEED", "20")))
        points = rng.sample(replaced, min(SAMPLES, len(replaced)))
        for i, side in enumerate(("s0002", "a0001")):  # side branches among them
            if side not in points:
                points[i] = side
        # Each sample has a database of its own and runs its own runners: four at a time, so
        # that 50 PostgreSQL databases (each created, migrated twice and dumped) take seconds.
        def stop_at(point):
            database = self.database()
            self.ok("migrate", "upgrade", point, db=database)
            return database

        with ThreadPoolExecutor(4) as pool:
            stopped = list(pool.map(stop_at, points))
        self.squash(r(SAMPLE_SQUASH_AT), "--no-data")
        self.assertEqual(sorted(self.replaced(r(SAMPLE_SQUASH_AT))), sorted(replaced))
        expected = self.schema(replayed)

        def go_on(database):
            out = self.ok("migrate", "upgrade", "heads", db=database).out
            return (out, self.schema(database), database.versions(),
                    [d for _, d in database.history_pairs()])

        with ThreadPoolExecutor(4) as pool:
            outcomes = list(pool.map(go_on, stopped))
        for point, (out, schema, versions, directions) in zip(points, outcomes):
            self.assertNotIn("checkpoint", out, point)
            self.assertEqual(schema, expected, point)
            self.assertEqual(versions, replayed.versions(), point)
            self.assertNotIn("checkpoint", directions, point)

    def test_deleted_files_leave_the_checkpoint_standing_in(self):
        self.write_history(SAMPLE_TOTAL)
        replayed, _ = self.build()
        at_replaced = self.database()
        self.ok("migrate", "upgrade", r(12), db=at_replaced)
        at_checkpoint = self.database()
        self.ok("migrate", "upgrade", r(SAMPLE_SQUASH_AT), db=at_checkpoint)
        self.squash(r(SAMPLE_SQUASH_AT), "--no-data")
        replaced = self.replaced(r(SAMPLE_SQUASH_AT))
        for path in glob.glob(os.path.join(self.project.core_dir(), "*_m.sql")):
            if os.path.basename(path).split("_")[0] in replaced:
                os.remove(path)
        built, out = self.build()
        self.assertEqual(self.schema(built), self.schema(replayed))
        self.assertEqual(built.versions(), replayed.versions())
        self.assertEqual(len(out.splitlines()), 1 + SAMPLE_TOTAL - SAMPLE_SQUASH_AT)
        # a database at the checkpoint's own revision goes on
        self.ok("migrate", "upgrade", "heads", db=at_checkpoint)
        self.assertEqual(self.schema(at_checkpoint), self.schema(replayed))
        # a database at a deleted revision: one sentence naming the checkpoint, nothing changed
        self.assertFails(["migrate", "upgrade", "heads"], 1,
                         f"the database is at revision {r(12)}, which checkpoint ",
                         f"{r(SAMPLE_SQUASH_AT)}_checkpoint.sql", db=at_replaced,
                         database=at_replaced)
        # history and heads read the checkpoint as the history's base
        self.assertIn(r(SAMPLE_SQUASH_AT), self.ok("migrate", "history").out)
        res = self.ok("migrate", "check", "--checkpoints")
        self.assertIn("not compared", res.out)

    def test_alembic_reads_a_checkpoint_built_database_as_a_replay_built_one(self):
        self.write_history(SAMPLE_TOTAL)
        self.squash(r(SAMPLE_SQUASH_AT), "--no-data")
        built, _ = self.build()
        replayed = self.database()
        self.ok("migrate", "upgrade", r(SAMPLE_SQUASH_AT), db=replayed)
        self.ok("migrate", "upgrade", "heads", db=replayed)
        from alembic import command
        from alembic.config import Config
        scripts = os.path.join(self.tmp, "alembic")
        os.makedirs(os.path.join(scripts, "versions"))
        with open(os.path.join(scripts, "env.py"), "w") as f:
            f.write(ALEMBIC_ENV)
        for revision in self.revisions:
            down = revision["down"]
            with open(os.path.join(scripts, "versions", f"{revision['rev']}.py"), "w") as f:
                f.write(f"revision = {revision['rev']!r}\n"
                        f"down_revision = {tuple(down) if len(down) > 1 else (down[0] if down else None)!r}\n"
                        f"branch_labels = {tuple(revision['labels']) or None!r}\n"
                        f"depends_on = {tuple(revision['depends']) or None!r}\n"
                        "def upgrade():\n    pass\n\ndef downgrade():\n    pass\n")
        for database in (built, replayed):
            config = Config()
            config.set_main_option("script_location", scripts)
            url = database.url.replace("postgresql://", "postgresql+psycopg2://", 1)
            config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
            rows = database.versions()
            # Alembic finds nothing to run: its upgrade to heads leaves the rows as they are
            command.upgrade(config, "heads")
            self.assertEqual(database.versions(), rows)
        self.assertEqual(built.versions(), replayed.versions())

    def test_refusals_write_nothing(self):
        self.write_history(SAMPLE_TOTAL)
        before = sorted(os.listdir(self.project.core_dir()))
        # data statements need --keep-data or --no-data
        res = self.assertFails(["migrate", "squash", "--to", r(SAMPLE_SQUASH_AT)], 2,
                               f"revision {r(30)} changes data (INSERT INTO t0003",
                               "--keep-data TABLE", "--no-data")
        self.assertIn(f"{r(30)}_m.sql:", res.err)
        self.assertFails(["migrate", "squash", "--to", r(SAMPLE_SQUASH_AT), "--keep-data",
                          "nope"], 2, "--keep-data nope: the replay of the range creates no such table")
        self.assertFails(["migrate", "squash", "--to", r(SAMPLE_SQUASH_AT), "--keep-data",
                          "t0003", "--no-data"], 2, "exclude each other")
        # a revision outside the range builds on one inside it (the side branch is open at r0015)
        self.assertFails(["migrate", "squash", "--to", r(15), "--no-data"], 2,
                         "revision s0001 (", f"builds on {r(10)}, inside the range base..{r(15)}")
        self.assertFails(["migrate", "squash", "--to", "nope"], 2, "nope")
        self.assertEqual(sorted(os.listdir(self.project.core_dir())), before)
        # twice
        self.squash(r(SAMPLE_SQUASH_AT), "--no-data")
        self.assertFails(["migrate", "squash", "--to", r(SAMPLE_SQUASH_AT), "--no-data"], 2,
                         f"revision {r(SAMPLE_SQUASH_AT)} has a checkpoint already")

    def test_check_catches_a_checkpoint_that_differs_from_the_replay(self):
        self.write_history(SAMPLE_TOTAL)
        self.squash(r(SAMPLE_SQUASH_AT), "--no-data")
        path = self.checkpoint_file(r(SAMPLE_SQUASH_AT))
        with open(path) as f:
            text = f.read()
        # someone drops an index from it by hand
        edited = re.sub(r"^CREATE INDEX ix_t0005_name.*\n", "", text, flags=re.M)
        self.assertNotEqual(edited, text)
        with open(path, "w") as f:
            f.write(edited)
        res = self.fk("migrate", "check", "--checkpoints")
        self.assertExit(res, 1, f"checkpoint {r(SAMPLE_SQUASH_AT)}", "differs from a replay",
                        "ix_t0005_name")

    def test_one_checkpoint_file_serves_both_databases(self):
        if BACKEND != "postgresql":
            self.skipTest("needs both databases")
        self.write_history(SAMPLE_TOTAL)
        self.squash(r(SAMPLE_SQUASH_AT), "--no-data")  # for PostgreSQL
        # a fresh SQLite database finds no section for it in the checkpoint: it replays
        sqlite = self.database("sqlite")
        out = self.ok("migrate", "upgrade", "heads", db=sqlite).out
        self.assertNotIn("checkpoint", out)
        replayed = sqlite.query("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name")
        # squashed on SQLite too, the same file gets its SQLite sections
        res = self.ok("migrate", "squash", "--to", r(SAMPLE_SQUASH_AT), "--no-data",
                      db=sqlite)
        self.assertEqual(len(glob.glob(os.path.join(self.project.core_dir(), "*_checkpoint.sql"))), 1)
        with open(self.checkpoint_file(r(SAMPLE_SQUASH_AT))) as f:
            text = f.read()
        for marker in ("upgrade dialect:postgresql", "downgrade dialect:postgresql",
                       "upgrade dialect:sqlite", "downgrade dialect:sqlite"):
            self.assertEqual(text.count("-- migrate:" + marker + "\n"), 1, marker)
        other = self.database("sqlite")
        out = self.ok("migrate", "upgrade", "heads", db=other).out
        self.assertIn("checkpoint of", out)
        self.assertEqual(other.query("SELECT type, name, sql FROM sqlite_schema ORDER BY type, "
                                     "name"), replayed)
        self.assertIn("builds what the replay", self.ok("migrate", "check", "--checkpoints",
                                                        db=sqlite).out)
        self.assertIn("builds what the replay", self.ok("migrate", "check", "--checkpoints").out)
        self.assertFails(["migrate", "squash", "--to", r(SAMPLE_SQUASH_AT), "--no-data"], 2,
                         "has a checkpoint already")

    def test_an_external_app_squashes_in_its_checkout(self):
        self.project.config(apps=["billing"], app_path=["external"])
        self.project.core_migration("c1", text="-- revision: c1\n-- down_revision: none\n\n"
                                    "-- migrate:upgrade\nCREATE TABLE account (id INTEGER PRIMARY KEY);\n"
                                    "\n-- migrate:downgrade\nDROP TABLE account;\n")
        migrations = {}
        for i in range(1, 5):
            down = f"b{i - 1}" if i > 1 else "none"
            ref = f", previous_id INTEGER REFERENCES invoice{i - 1}(id)" if i > 1 else ""
            migrations[f"b{i}"] = (
                f"-- revision: b{i}\n-- down_revision: {down}\n\n-- migrate:upgrade\n"
                f"CREATE TABLE invoice{i} (id INTEGER PRIMARY KEY{ref});\n\n"
                f"-- migrate:downgrade\nDROP TABLE invoice{i};\n")
        checkout = os.path.dirname(self.project.external_app("billing", migrations))
        # in its own checkout (standalone: the apps it requires are replayed first; the
        # project's core is not there)
        res = self.ok("migrate", "squash", "--to", "b3", cwd=checkout)
        self.assertIn("b3_checkpoint.sql", res.out)
        out = self.ok("migrate", "all").out
        self.assertRegex(out, r"(?m)^billing b3 checkpoint of 3 revisions")
        self.assertRegex(out, r"(?m)^billing b4 ")
        self.assertVersions(["b4"], "alembic_version_billing")
        self.assertEqual(self.db.history_pairs("alembic_version_billing"),
                         [("b3", "checkpoint"), ("b4", "upgrade")])
        res = self.ok("migrate", "check", "--checkpoints")
        self.assertIn("billing: checkpoint b3 builds what the replay", res.out)

    def test_a_fleet_of_fresh_databases_runs_the_checkpoint(self):
        if BACKEND != "sqlite":
            self.skipTest("the fleet itself is tested on both databases in test_fleet.py")
        # one head: `migrate all`, as fleets run it, upgrades to head (the generated history's
        # depends_on branch is a second head, as Alembic counts them)
        for n in range(1, 21):
            self.project.core_migration(r(n), slug="m", text=migration_text(
                {"rev": r(n), "down": [r(n - 1)] if n > 1 else [], "labels": [], "depends": [],
                 "sections": [("upgrade", f"CREATE TABLE t{n} (id INTEGER PRIMARY KEY);"),
                              ("downgrade", f"DROP TABLE t{n};")]}))
        self.squash(r(15))
        os.makedirs(self.project.path("tenants"))
        report = os.path.join(self.tmp, "report.jsonl")
        for i in range(3):
            open(self.project.path("tenants", f"t{i}.db"), "w").close()
        self.ok("migrate", "fleet", "--targets-glob", "tenants/*.db", "--report", report, db=False)
        with open(report) as f:
            lines = [json.loads(line) for line in f if line.strip()]
        targets = [line for line in lines if "target" in line]
        self.assertEqual(len(targets), 3, lines)
        for target in targets:
            self.assertEqual(target["status"], "applied", target)
            self.assertEqual([step["revision"] for step in target["applied"]],
                             [r(n) for n in range(15, 21)], target)

    def slow_checkpoint(self):
        """The sample history squashed, its checkpoint made to take a while (so that a signal
        can land inside it); returns the schema a replay builds."""
        self.write_history(SAMPLE_TOTAL)
        replayed, _ = self.build()
        self.squash(r(SAMPLE_SQUASH_AT), "--no-data")
        slow = ("SELECT pg_sleep(0.4);" if BACKEND == "postgresql" else
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400000) "
                "SELECT count(*) FROM c;")
        path = self.checkpoint_file(r(SAMPLE_SQUASH_AT))
        with open(path) as f:
            text = f.read()
        marker = f"-- migrate:upgrade dialect:{'postgresql' if BACKEND == 'postgresql' else 'sqlite'}\n"
        with open(path, "w") as f:
            f.write(text.replace(marker, marker + slow + "\n", 1))
        return self.schema(replayed), replayed.versions()

    def start(self, database):
        return popen_runner(["migrate", "upgrade", "heads"], url=database.url, cwd=self.project.root)

    def assertBuiltOnce(self, database, schema, versions):
        self.assertEqual(self.schema(database), schema)
        self.assertEqual(database.versions(), versions)
        history = database.history_pairs()
        self.assertEqual([p for p in history if p[1] == "checkpoint"], [(r(SAMPLE_SQUASH_AT), "checkpoint")])
        self.assertEqual(sorted(history), sorted(set(history)), "a revision recorded twice")
        self.assertEqual(len(history), 1 + SAMPLE_TOTAL - SAMPLE_SQUASH_AT)

    def test_racing_runners_run_the_checkpoint_once(self):
        schema, versions = self.slow_checkpoint()
        database = self.database()
        runners = [self.start(database) for _ in range(4)]
        for proc in runners:
            out, err = proc.communicate(timeout=300)
            self.assertEqual(proc.returncode, 0, out + err)
        self.assertBuiltOnce(database, schema, versions)

    def test_killed_and_interrupted_checkpoint_runs_leave_what_the_next_run_completes(self):
        schema, versions = self.slow_checkpoint()
        rng = random.Random(int(os.environ.get("CHECKPOINT_SEED", "20")))
        for round_ in range(6):
            sig = signal.SIGKILL if round_ % 2 == 0 else signal.SIGINT
            database = self.database()
            proc = self.start(database)
            time.sleep(rng.uniform(0.0, 0.8))
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=300)
            # killed, interrupted (rolled back), or done before the signal landed
            self.assertIn(proc.returncode, (0, 130, -signal.SIGKILL, -signal.SIGINT), out + err)
            self.ok("migrate", "upgrade", "heads", db=database)
            self.assertBuiltOnce(database, schema, versions)

    def test_preview_of_a_fresh_database_shows_the_checkpoint(self):
        self.write_history(SAMPLE_TOTAL)
        self.squash(r(SAMPLE_SQUASH_AT), "--no-data")
        res = self.ok("migrate", "preview", "heads")
        self.assertIn(f"-- Running checkpoint base -> {r(SAMPLE_SQUASH_AT)}", res.out)
        self.assertEqual(res.out.count("-- Running "), 1 + SAMPLE_TOTAL - SAMPLE_SQUASH_AT)
        self.assertIn("'checkpoint'", res.out)
        self.assertFalse(self.db.exists() and self.db.tables())
        # offline, as `alembic upgrade --sql` would: what a fresh database runs
        dialect = "sqlite" if BACKEND == "sqlite" else "postgresql"
        res = self.ok("migrate", "preview", "-r", "base:heads", "--dialect", dialect, db=False)
        self.assertIn(f"-- Running checkpoint base -> {r(SAMPLE_SQUASH_AT)}", res.out)
        self.assertEqual(res.out.count("-- Running "), 1 + SAMPLE_TOTAL - SAMPLE_SQUASH_AT)


if __name__ == "__main__":
    main()
