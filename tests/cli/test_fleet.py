"""`migrate fleet`: one project over many databases (docs/fleet.md).

SQLite: many database files. PostgreSQL: databases of the test server, plus schemas of one
database (?schema=). The project: a 40-revision core history with one transaction:false section
(re-runnable, so that an interrupted one is resolved as rolled back and run again) and an
external app of 3 revisions.
"""

import json
import os
import random
import signal
import threading
import time

from fastappkit_testing import BACKEND, CliTestCase, main, migration, pg_password, popen_runner, run_runner

if BACKEND == "postgresql":
    import psycopg2

CORE = [f"c{i:02d}" + "0" * 8 for i in range(1, 41)]
APP = [f"a{i:02d}" + "0" * 8 for i in range(1, 4)]
OUTSIDE = CORE[19]  # the transaction:false revision


def outside_section():
    if BACKEND == "sqlite":
        return "CREATE INDEX IF NOT EXISTS ix_t01_name ON t01 (name);"
    return ("DROP INDEX CONCURRENTLY IF EXISTS ix_t01_name;\n"
            "CREATE INDEX CONCURRENTLY ix_t01_name ON t01 (name);")


def masked(url):
    """A target URL as the runner prints it."""
    password = pg_password() if BACKEND == "postgresql" else ""
    return url.replace(f":{password}@", ":***@") if password else url


class Target:
    """One database of the fleet, read directly."""

    def __init__(self, url, sqlite_path=None, dsn=None, schema="public"):
        self.url, self.sqlite_path, self.dsn, self.schema = url, sqlite_path, dsn, schema

    def query(self, sql):
        if self.sqlite_path is not None:
            import sqlite3
            if not os.path.exists(self.sqlite_path):
                return []
            con = sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True)
            try:
                return [tuple(r) for r in con.execute(sql).fetchall()]
            finally:
                con.close()
        con = psycopg2.connect(self.dsn)
        try:
            con.autocommit = True
            with con.cursor() as cur:
                cur.execute(f'SET search_path TO "{self.schema}"')
                cur.execute(sql)
                return [tuple(r) for r in cur.fetchall()] if cur.description else []
        finally:
            con.close()

    def execute(self, sql):
        """Runs `sql` out of band, in the target's schema."""
        if self.sqlite_path is not None:
            import sqlite3
            con = sqlite3.connect(self.sqlite_path, isolation_level=None)
            try:
                con.executescript(sql)
            finally:
                con.close()
            return
        con = psycopg2.connect(self.dsn)
        try:
            con.autocommit = True
            with con.cursor() as cur:
                cur.execute(f'SET search_path TO "{self.schema}"; {sql}')
        finally:
            con.close()

    def tables(self):
        if self.sqlite_path is not None:
            return sorted(r[0] for r in self.query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
        return sorted(r[0] for r in self.query(
            "SELECT table_name FROM information_schema.tables "
            f"WHERE table_schema = '{self.schema}'"))

    def versions(self, table="alembic_version"):
        if table not in self.tables():
            return None
        return sorted(r[0] for r in self.query(f"SELECT version_num FROM {table}"))

    def history(self):
        if "fastappkit_history" not in self.tables():
            return []
        return [(r[0], r[1], r[2]) for r in self.query(
            "SELECT version_table, revision, direction FROM fastappkit_history")]


class FleetTest(CliTestCase):

    def setUp(self):
        super().setUp()
        p = self.project
        p.config(apps=["billing"], app_path=["external"], extra='[tool.fastappkit.migration]\nlock_ttl = "120s"\n')
        for i, rev in enumerate(CORE):
            down = CORE[i - 1] if i else None
            if rev == OUTSIDE:
                text = migration(rev, down, sections=[("upgrade transaction:false", outside_section()),
                                                      ("downgrade", "DROP INDEX ix_t01_name;")])
            else:
                n = i + 1
                text = migration(rev, down, upgrade=f"CREATE TABLE t{n:02d} (id INTEGER PRIMARY KEY, name TEXT);",
                                 downgrade=f"DROP TABLE t{n:02d};")
            p.core_migration(rev, text=text)
        p.external_app("billing")
        for i, rev in enumerate(APP):
            p.app_migration("billing", rev, migration(
                rev, APP[i - 1] if i else None, upgrade=f"CREATE TABLE billing_{i} (id INTEGER PRIMARY KEY);",
                downgrade=f"DROP TABLE billing_{i};"))
        self.targets_file = os.path.join(self.tmp, "targets.txt")
        self.report = os.path.join(self.tmp, "report.jsonl")

    # targets ---------------------------------------------------------------------------------
    def make_targets(self, sqlite_count=60, pg_databases=10, pg_schemas=5):
        targets = []
        if BACKEND == "sqlite":
            for i in range(sqlite_count):
                path = os.path.join(self.tmp, "tenants", f"t{i:03d}.db")
                os.makedirs(os.path.dirname(path), exist_ok=True)
                targets.append(Target("sqlite:///" + path, sqlite_path=path))
        else:
            for _ in range(pg_databases):
                db = self.database()
                targets.append(Target(db.url, dsn=db.url))
            if pg_schemas:
                holder = self.database()
                con = psycopg2.connect(holder.url)
                con.autocommit = True
                with con.cursor() as cur:
                    for i in range(pg_schemas):
                        cur.execute(f"CREATE SCHEMA tenant_{i}")
                con.close()
                for i in range(pg_schemas):
                    # Schema targets reach the server directly (their transaction:false section
                    # needs the search_path as a session setting): the advisory lock says so.
                    targets.append(Target(f"{holder.url}?schema=tenant_{i}&fastappkit_lock=advisory",
                                          dsn=holder.url, schema=f"tenant_{i}"))
        with open(self.targets_file, "w") as f:
            f.write("# tenants\n\n" + "\n".join(t.url for t in targets) + "\n")
        return targets

    def fleet(self, *args, timeout=600):
        return run_runner(["--project-root", self.project.root, "migrate", "fleet",
                           "--targets", self.targets_file, *args], timeout=timeout)

    def start_fleet(self, *args):
        return popen_runner(["migrate", "fleet", "--targets", self.targets_file, *args], root=self.project.root)

    def report_lines(self):
        with open(self.report) as f:
            return [json.loads(line) for line in f]

    def assertAtHead(self, target):
        self.assertEqual(target.versions(), [CORE[-1]], target.url)
        self.assertEqual(target.versions("alembic_version_billing"), [APP[-1]], target.url)
        history = target.history()
        self.assertEqual(sorted((r, d) for _, r, d in history),
                         sorted([(r, "upgrade") for r in CORE + APP]), target.url)

    def assertUntouched(self, target):
        if target.sqlite_path is not None:
            self.assertFalse(os.path.exists(target.sqlite_path), target.url)
        else:
            self.assertEqual(target.tables(), [], target.url)

    # tests -------------------------------------------------------------------------------------
    def test_every_target_at_head_with_a_report_and_a_rerun_changes_nothing(self):
        targets = self.make_targets()
        res = self.fleet("--parallel", "4", "--report", self.report)
        self.assertExit(res, 0, f"Fleet of {len(targets)} targets: {len(targets)} applied, 0 unchanged, 0 failed, 0 skipped")
        for target in targets:
            self.assertAtHead(target)
        lines = self.report_lines()
        self.assertEqual(lines[-1]["summary"]["applied"], len(targets))
        by_target = {line["target"]: line for line in lines[:-1]}
        self.assertEqual(len(by_target), len(targets))
        for line in by_target.values():
            self.assertEqual(line["status"], "applied")
            self.assertEqual([a["revision"] for a in line["applied"]], CORE + APP)
            self.assertIsNone(line["error"])
        if BACKEND == "postgresql":
            # Passwords are masked in every report line and in the output.
            self.assertNotIn(pg_password(), open(self.report).read())
            self.assertNotIn(pg_password(), res.text)
            # A schema target leaves its database's public schema alone.
            public = Target(targets[-1].dsn, dsn=targets[-1].dsn)
            self.assertIsNone(public.versions())

        again = self.fleet("--report", self.report, "--json")
        self.assertEqual(again.code, 0, repr(again))
        document = json.loads(again.out)
        self.assertEqual(document["summary"]["unchanged"], len(targets))
        self.assertEqual({t["status"] for t in document["targets"]}, {"unchanged"})
        for target in targets:
            self.assertAtHead(target)

    def test_dry_run_reports_what_is_pending_and_changes_nothing(self):
        targets = self.make_targets(sqlite_count=4, pg_databases=2, pg_schemas=1)
        self.assertEqual(run_runner(["--project-root", self.project.root, "--database-url",
                                     targets[0].url, "migrate", "upgrade", CORE[-2]]).code, 0)
        before = [t.history() for t in targets]
        res = self.fleet("--dry-run", "--json")
        self.assertEqual(res.code, 0, repr(res))
        document = json.loads(res.out)
        pending = [[p["revision"] for p in t["pending"]] for t in document["targets"]]
        self.assertEqual(pending[0], [CORE[-1]] + APP)
        for revisions in pending[1:]:
            self.assertEqual(revisions, CORE + APP)
        self.assertEqual([t.history() for t in targets], before)
        for target in targets[1:]:
            self.assertUntouched(target)

    def test_parallel_bounds_the_sessions(self):
        if BACKEND != "postgresql":
            self.skipTest("sessions are PostgreSQL's")
        targets = self.make_targets(pg_databases=10, pg_schemas=5)
        names = sorted({t.dsn.rsplit("/", 1)[1] for t in targets})
        admin = psycopg2.connect(targets[0].dsn)
        admin.autocommit = True
        counts = []
        done = threading.Event()

        def sample():
            with admin.cursor() as cur:
                while not done.is_set():
                    cur.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                                "'fastappkit' AND datname = ANY(%s)", (names,))
                    counts.append(cur.fetchone()[0])
                    time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            res = self.fleet("--parallel", "3")
        finally:
            done.set()
            sampler.join()
            admin.close()
        self.assertEqual(res.code, 0, repr(res))
        self.assertLessEqual(max(counts), 3, counts)
        self.assertGreaterEqual(max(counts), 1, counts)
        for target in targets:
            self.assertAtHead(target)

    def seed_conflict(self, target):
        """A table revision 5 creates, made out of band: that revision fails on this target."""
        target.execute("CREATE TABLE t05 (id INTEGER PRIMARY KEY)")

    def test_a_failing_canary_touches_no_other_target(self):
        targets = self.make_targets(sqlite_count=8, pg_databases=5, pg_schemas=1)
        self.seed_conflict(targets[1])
        res = self.fleet("--canary", "3", "--parallel", "2", "--report", self.report)
        self.assertExit(res, 1, "failed", f"revision {CORE[4]}")
        for target in targets[3:]:
            self.assertUntouched(target)
        lines = self.report_lines()
        statuses = {line["target"]: line["status"] for line in lines[:-1]}
        # Every target after the canaries; a canary not started yet when another failed too.
        self.assertIn(list(statuses.values()).count("skipped"), (len(targets) - 3, len(targets) - 2))
        self.assertEqual(lines[-1]["summary"]["failed"], 1)
        skipped = [line for line in lines[:-1] if line["status"] == "skipped"]
        self.assertIn("canary", skipped[-1]["error"])

    def test_on_error_continue_isolates_the_failure(self):
        targets = self.make_targets(sqlite_count=10, pg_databases=5, pg_schemas=1)
        bad = targets[3]
        self.seed_conflict(bad)
        res = self.fleet("--on-error", "continue", "--parallel", "3", "--report", self.report)
        self.assertExit(res, 1, "1 failed")
        for target in targets:
            if target is not bad:
                self.assertAtHead(target)
        self.assertEqual(bad.versions(), [CORE[3]])
        failed = [line for line in self.report_lines()[:-1] if line["status"] == "failed"]
        self.assertEqual(len(failed), 1)
        self.assertIn(CORE[4], failed[0]["error"])
        self.assertIn("t05", failed[0]["error"])
        self.assertEqual([a["revision"] for a in failed[0]["applied"]], CORE[:4])

    def test_on_error_stop_starts_nothing_after_a_failure(self):
        targets = self.make_targets(sqlite_count=6, pg_databases=4, pg_schemas=0)
        self.seed_conflict(targets[2])
        res = self.fleet("--parallel", "1", "--report", self.report)
        self.assertExit(res, 1, "1 failed", f"{len(targets) - 3} skipped")
        self.assertAtHead(targets[0])
        self.assertAtHead(targets[1])
        for target in targets[3:]:
            self.assertUntouched(target)
        stopped = [line for line in self.report_lines()[:-1] if line["status"] == "skipped"]
        self.assertIn("--on-error is stop", stopped[0]["error"])

    def test_two_fleets_at_once_apply_each_revision_once(self):
        targets = self.make_targets(sqlite_count=12, pg_databases=4, pg_schemas=2)
        first = self.start_fleet("--parallel", "3")
        second = self.start_fleet("--parallel", "3")
        for proc in (first, second):
            out, err = proc.communicate(timeout=600)
            self.assertEqual(proc.returncode, 0, out + err)
        for target in targets:
            self.assertAtHead(target)

    def test_killed_and_interrupted_fleets_resume(self):
        targets = self.make_targets(sqlite_count=8, pg_databases=3, pg_schemas=1)
        rng = random.Random(int(os.environ.get("FLEET_KILL_SEED", "19")))
        # 10 in the suite (5 kill -9, 5 SIGINT); longer sweeps by hand:
        #   FLEET_KILL_ROUNDS=100 ctest --preset default -R cli_fleet
        for round_ in range(int(os.environ.get("FLEET_KILL_ROUNDS", "10"))):
            sig = signal.SIGKILL if round_ % 2 == 0 else signal.SIGINT
            proc = self.start_fleet("--parallel", "3")
            time.sleep(rng.uniform(0.05, 1.5))
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=600)
            if sig == signal.SIGINT:
                # Before the handler is armed or after it is disarmed (the fleet done, the
                # process exiting) SIGINT has its default action; the resume below still checks.
                self.assertIn(proc.returncode, (0, 130, -signal.SIGINT), out + err)
                if proc.returncode == 130:
                    self.assertIn("run the fleet again to resume", err)
            self.resume(targets)
            for target in targets:
                self.assertAtHead(target)
            # Start over for the next round: back to base, every history row gone.
            for target in targets:
                self.reset(target)

    def resume(self, targets):
        """Reruns the fleet; a target stopped inside the transaction:false section is resolved
        as rolled back (the section can run again) first."""
        res = self.fleet("--on-error", "continue", "--json", "--parallel", "3")
        document = json.loads(res.out)
        stuck = [t for t in document["targets"] if t["status"] == "failed"]
        for entry in stuck:
            self.assertIn(f"migrate resolve {OUTSIDE}", entry["error"], repr(res))
            url = next(t.url for t in targets if masked(t.url) == entry["target"])
            fixed = run_runner(["--project-root", self.project.root, "--database-url", url,
                                "migrate", "resolve", OUTSIDE, "--rolled-back"])
            self.assertEqual(fixed.code, 0, repr(fixed))
        if stuck:
            res = self.fleet("--parallel", "3")
        self.assertEqual(res.code, 0, repr(res))
        if BACKEND == "postgresql":
            for target in targets:
                rows = target.query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
                self.assertEqual(rows[0][0], 0)

    def reset(self, target):
        if target.sqlite_path is not None:
            os.remove(target.sqlite_path)
            return
        target.execute(f'DROP SCHEMA "{target.schema}" CASCADE; CREATE SCHEMA "{target.schema}"')

    def test_drift_audits_every_target_and_changes_nothing(self):
        targets = self.make_targets(sqlite_count=4, pg_databases=2, pg_schemas=1)
        self.assertEqual(self.fleet().code, 0)
        # A hand-made index on a database and (PostgreSQL) on a schema target.
        for hotfix in (targets[1], targets[-1]):
            hotfix.execute("CREATE INDEX ix_hotfix ON t02 (name)")
        before = [(t.tables(), t.history()) for t in targets]
        res = self.fleet("--drift", "--report", self.report)
        self.assertExit(res, 1, "2 drifted", "ix_hotfix")
        lines = self.report_lines()
        statuses = [line["status"] for line in lines[:-1]]
        self.assertEqual(statuses.count("drifted"), 2)
        self.assertEqual(statuses.count("unchanged"), len(targets) - 2)
        self.assertEqual(sorted(line["target"] for line in lines[:-1] if line["status"] == "drifted"),
                         sorted([masked(targets[1].url), masked(targets[-1].url)]))
        for line in lines[:-1]:
            if line["status"] == "drifted":
                self.assertEqual(len(line["drift"]), 1)
                self.assertIn("drift: table t02: index ix_hotfix (name) added out of band", line["drift"][0])
        self.assertEqual(lines[-1]["summary"]["drifted"], 2)
        self.assertEqual([(t.tables(), t.history()) for t in targets], before)
        res = self.fleet("--drift", "--dry-run")
        self.assertExit(res, 2, "--drift and --dry-run do not go together")

    def test_bad_input_is_one_sentence_before_any_target_is_touched(self):
        targets = self.make_targets(sqlite_count=3, pg_databases=2, pg_schemas=0)
        self.project.core_migration("zz0000000000", text="-- revision: zz0000000000\n-- down_revision: nowhere\n")
        res = self.fleet()
        self.assertEqual(res.code, 2, repr(res))
        self.assertOneSentence(res)
        for target in targets:
            self.assertUntouched(target)
        self.project.remove(os.path.join("core", "db", "migrations", "versions", "zz0000000000_rev.sql"))
        for args, fragment in ((["--parallel", "0"], "--parallel must be at least 1"),
                               (["--on-error", "later"], "--on-error must be stop or continue")):
            res = self.fleet(*args)
            self.assertExit(res, 2, fragment)
            self.assertOneSentence(res)
        empty = os.path.join(self.tmp, "empty.txt")
        with open(empty, "w") as f:
            f.write("# nobody\n")
        res = run_runner(["--project-root", self.project.root, "migrate", "fleet", "--targets", empty])
        self.assertExit(res, 2, "names no database")
        for target in targets:
            self.assertUntouched(target)


if __name__ == "__main__":
    main()
