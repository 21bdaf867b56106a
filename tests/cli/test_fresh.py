"""A fresh database (a history with no version rows) runs its pending migrations in one
transaction, each under a savepoint: a failing migration leaves exactly what the
one-commit-per-migration path of a database with version rows leaves; a transaction:false
section commits what precedes it and starts a new batch after it; kill -9 and Ctrl-C at random
moments of a batch leave a database that the next run completes, every revision recorded once.
"""
import json
import os
import random
import signal
import time

from fastappkit_testing import BACKEND, CliTestCase, create_table, main, popen_runner


def rev(n):
    return f"{n:04d}" + "f" * 8


def chain(project, count, failing=None, slow_sql=None, transaction_false=()):
    """Revisions 1..count, each creating table t<n>; `failing` fails after creating its table;
    `transaction_false` lists revisions whose section is transaction:false; `slow_sql(n)` adds
    work to every revision."""
    for n in range(1, count + 1):
        sql = create_table(f"t{n}")
        if slow_sql:
            sql += "\n" + slow_sql(n)
        if n == failing:
            sql += "\nINSERT INTO t1 VALUES (1);\nINSERT INTO missing VALUES (1);"
        marker = "upgrade transaction:false" if n in transaction_false else "upgrade"
        project.core_migration(rev(n), rev(n - 1) if n > 1 else None, slug=f"m{n}",
                               sections=[(marker, sql), ("downgrade", f"DROP TABLE t{n};")])


class FreshDatabase(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config()

    def outcome(self, database):
        return (database.versions(), database.user_tables(), database.history_pairs(),
                database.query("SELECT count(*) FROM t1"))

    def test_failing_migration_leaves_the_ones_before_it_applied(self):
        chain(self.project, 6, failing=4)
        res = self.fk("migrate", "upgrade")
        path = os.path.join("core", "db", "migrations", "versions", f"{rev(4)}_m4.sql")
        self.assertExit(res, 1)
        self.assertEqual(res.err.strip().split(" failed at ")[0], f"core: upgrade of revision {rev(4)}")
        self.assertTrue(res.err.strip().endswith("(statement: INSERT INTO missing VALUES (1))"), res.err)
        self.assertIn(f"{path}:11: ", res.err)
        self.assertEqual([line.split()[1] for line in res.out.splitlines()], [rev(1), rev(2), rev(3)])
        fresh = self.outcome(self.db)
        self.assertEqual(fresh, ([rev(3)], ["t1", "t2", "t3"],
                                 [(rev(n), "upgrade") for n in (1, 2, 3)], [(0,)]))
        # the same history on a database that has version rows (one commit per migration)
        other = self.database()
        self.ok("migrate", "upgrade", rev(1), db=other)
        res_other = self.fk("migrate", "upgrade", db=other)
        self.assertExit(res_other, 1)
        self.assertEqual(res_other.err, res.err)
        self.assertEqual(self.outcome(other), fresh)
        # fixed, the next run goes on from rev 3, one commit per migration
        chain(self.project, 6)
        self.ok("migrate", "upgrade")
        self.assertVersions([rev(6)])
        self.assertEqual(self.db.history_pairs(), [(rev(n), "upgrade") for n in range(1, 7)])

    def test_first_migration_failing_leaves_nothing(self):
        chain(self.project, 3, failing=1)
        res = self.fk("migrate", "upgrade")
        self.assertExit(res, 1, f"core: upgrade of revision {rev(1)} failed at ")
        self.assertVersions(None)
        self.assertEqual(self.db.user_tables(), [])
        self.assertEqual(self.db.history_pairs(), [])

    def test_transaction_false_section_splits_the_batch(self):
        # rev 3 runs outside a transaction; rev 5 fails: 1-2 committed before 3, 3 committed
        # on its own, 4 committed in the batch that 5 fails in
        chain(self.project, 6, failing=5, transaction_false=(3,))
        res = self.fk("migrate", "upgrade")
        self.assertExit(res, 1, f"core: upgrade of revision {rev(5)} failed at ")
        self.assertVersions([rev(4)])
        self.assertEqual(self.db.user_tables(), ["t1", "t2", "t3", "t4"])
        self.assertEqual(self.db.history_pairs(), [(rev(n), "upgrade") for n in (1, 2, 3, 4)])
        self.assertEqual(self.db.query("SELECT count(*) FROM fastappkit_unfinished"), [(0,)])
        chain(self.project, 6, transaction_false=(3,))
        self.ok("migrate", "upgrade")
        self.assertVersions([rev(6)])

    def test_history_rows_keep_each_migrations_own_duration(self):
        # on PostgreSQL revision 2 sleeps 0.3 s, and the server times each history row
        chain(self.project, 4, slow_sql=lambda n: "SELECT pg_sleep(0.3);" if n == 2 and BACKEND == "postgresql" else "")
        res = self.ok("--json", "migrate", "upgrade")
        reported = {step["revision"]: step["duration_ms"]
                    for step in json.loads(res.out)["histories"][0]["applied"]}
        rows = self.db.history()
        self.assertEqual([r["revision"] for r in rows], [rev(n) for n in range(1, 5)])
        self.assertEqual(sorted(r["applied_at"] for r in rows), [r["applied_at"] for r in rows])
        recorded = {r["revision"]: r["duration_ms"] for r in rows}
        if BACKEND == "sqlite":
            self.assertEqual(recorded, reported)
        else:
            self.assertGreaterEqual(recorded[rev(2)], 300)
            for n in (1, 3, 4):  # timed inside the runner's own measure of the step
                self.assertLessEqual(recorded[rev(n)], reported[rev(n)] + 1)


class FreshBatchLockTimeout(CliTestCase):
    """PostgreSQL: a migration of a fresh batch stopped by its lock timeout is rolled back to
    its savepoint, the migrations before it commit, and it is retried as a new batch."""

    def setUp(self):
        super().setUp()
        if BACKEND != "postgresql":
            self.skipTest("lock timeouts apply on PostgreSQL only")
        self.project.config(extra='\n[tool.fastappkit.migration]\nlock_timeout = "200ms"\nlock_retries = 1\n')
        self.db.execute("CREATE TABLE account (id INT)")  # the application's, not the history's
        chain(self.project, 3, slow_sql=lambda n: "ALTER TABLE account ADD COLUMN note TEXT;" if n == 2 else "")
        self.holder = self.db.connection()
        self.holder.autocommit = False
        self.holder.cursor().execute("LOCK TABLE account IN ACCESS SHARE MODE")  # blocks ALTER TABLE

    def release(self):
        self.holder.rollback()
        self.holder.autocommit = True

    def test_retries_run_out(self):
        try:
            res = self.fk("migrate", "upgrade")
        finally:
            self.release()
        self.assertExit(res, 1, f"core: revision {rev(2)} could not get its lock: the lock timeout ran out "
                                "on all 2 attempts at ")
        self.assertEqual(res.err.splitlines()[0],
                         f"core: revision {rev(2)} could not get its lock; trying again in 500 ms (attempt 2 of 2)")
        self.assertVersions([rev(1)])
        self.assertEqual(self.db.history_pairs(), [(rev(1), "upgrade")])
        self.assertEqual(self.db.user_tables(), ["account", "t1"])
        self.assertEqual(self.db.columns("account"), ["id"])

    def test_retry_succeeds_once_the_lock_is_released(self):
        proc = popen_runner(["migrate", "upgrade"], url=self.db.url, cwd=self.project.root)
        first_line, during = "", None
        try:  # released once the first attempt ran out of time and the runner waits to retry
            first_line = proc.stderr.readline()
            during = self.db.versions()  # what preceded the stopped migration has committed
        finally:
            self.release()
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0, first_line + out + err)
        self.assertEqual(first_line.strip(), f"core: revision {rev(2)} could not get its lock; trying again in "
                                             "500 ms (attempt 2 of 2)")
        self.assertEqual(during, [rev(1)])
        self.assertVersions([rev(3)])
        self.assertEqual(self.db.history_pairs(), [(rev(n), "upgrade") for n in (1, 2, 3)])
        self.assertEqual(self.db.columns("account"), ["id", "note"])


# Work in every revision of the kill tests, so that a batch of 30 lasts a second or more.
if BACKEND == "sqlite":
    def WORK(n):
        return (f"CREATE TABLE w{n} (n INTEGER, pad TEXT);\n"
                f"INSERT INTO w{n} WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
                f"WHERE n < 40000) SELECT n, 'xxxxxxxxxxxxxxxxxxxxxxxx' FROM c;")
else:
    def WORK(n):
        return f"CREATE TABLE w{n} (n INTEGER, pad TEXT);\nSELECT pg_sleep(0.04);"

KILL_COUNT = 30


class FreshBatchInterrupted(CliTestCase):
    """kill -9 (3 times) and Ctrl-C (twice) at random moments of a fresh database's batch."""

    def setUp(self):
        super().setUp()
        self.project.config()
        chain(self.project, KILL_COUNT, slow_sql=WORK)
        seed = int(os.environ.get("FASTAPPKIT_TEST_SEED", time.time_ns() % 100000))
        self.random = random.Random(seed)
        self.seed = seed

    def start(self):
        return popen_runner(["migrate", "upgrade"], url=self.db.url, cwd=self.project.root)

    def wait_for_server_to_drop_killed_session(self):
        if BACKEND != "postgresql":
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.db.query(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.db.pg_name,))[0][0] > 0:
            time.sleep(0.05)

    def check_completes(self, note):
        res = self.fk("migrate", "upgrade")
        self.assertEqual(res.code, 0, f"{note}:\n{res!r}")
        self.assertVersions([rev(KILL_COUNT)])
        self.assertEqual(self.db.history_pairs(), [(rev(n), "upgrade") for n in range(1, KILL_COUNT + 1)], note)
        self.assertEqual(len(self.db.user_tables()), 2 * KILL_COUNT, note)

    def stop_at_random_moment(self, number):
        proc = self.start()
        moment = self.random.uniform(0.15, 0.9)
        time.sleep(moment)
        proc.send_signal(number)
        out, err = proc.communicate(timeout=120)
        return proc.returncode, out, err, f"seed {self.seed}, signal {number} after {moment:.3f} s"

    def test_kill_at_random_moments(self):
        for _ in range(3):
            code, out, err, note = self.stop_at_random_moment(signal.SIGKILL)
            self.wait_for_server_to_drop_killed_session()
            self.assertIn(code, (-signal.SIGKILL, 0), note)
            if code == 0:
                break  # it had finished: nothing left to recover
            self.ok("migrate", "current")  # a read-only command first rolls a hot journal back
            # whatever the kill hit, the database holds a prefix of the history, each once
            versions = self.db.versions() or []
            applied = [r for r, _ in self.db.history_pairs()]
            self.assertEqual(applied, [rev(n) for n in range(1, len(applied) + 1)], note)
            self.assertEqual(versions, applied[-1:], note)
        self.check_completes(note)

    def test_ctrl_c_at_random_moments(self):
        for _ in range(2):
            code, out, err, note = self.stop_at_random_moment(signal.SIGINT)
            if code == 0:
                break
            if code == -signal.SIGINT:
                # Before the handler is armed or after it is disarmed (the run done, the process
                # exiting) SIGINT has its default action; the rerun below must still complete.
                self.check_completes(note)
                continue
            self.assertEqual(code, 130, f"{note}: {out}{err}")
            self.assertTrue(err.startswith("Interrupted: "), f"{note}: {err}")
            # the batch was rolled back, unless the signal came just after its commit
            full = [(rev(n), "upgrade") for n in range(1, KILL_COUNT + 1)]
            self.assertIn(self.db.history_pairs(), ([], full), f"{note}: {err}")
            self.assertIn(len(self.db.user_tables()), (0, 2 * KILL_COUNT), f"{note}: {err}")
        self.check_completes(note)


if __name__ == "__main__":
    main()
