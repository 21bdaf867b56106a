"""Interrupted runs: Ctrl-C and SIGTERM roll the current migration back and exit 130; after
kill -9 with a hot SQLite journal every command works; a transaction:false section left
unfinished refuses its history until `migrate resolve`; racing runners run such a section once.

Each test stops a real runner inside a long statement: on SQLite a recursive CTE inserting
many rows (its pages reach the database file, so the journal is hot), on PostgreSQL pg_sleep.
"""
import os
import signal
import time

from fastappkit_testing import BACKEND, CliTestCase, create_table, drop_table, main, popen_runner

R0, R1, R2 = "f00000000000", "a10000000001", "b20000000002"

# A statement that runs for minutes unless stopped.
if BACKEND == "sqlite":
    SLOW = ("CREATE TABLE big (n INTEGER, pad TEXT);\n"
            "INSERT INTO big WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
            "WHERE n < 200000000) SELECT n, 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' FROM c;")
else:
    SLOW = "CREATE TABLE big (n INTEGER, pad TEXT);\nSELECT pg_sleep(600);"
# After kill -9 a PostgreSQL backend sleeps on (it only notices the lost client when it next
# talks to it), holding the runner's advisory lock: this sleep ends soon enough.
KILLED_SLOW = SLOW if BACKEND == "sqlite" else "CREATE TABLE big (n INTEGER, pad TEXT);\nSELECT pg_sleep(4);"
FAST = "CREATE TABLE big (n INTEGER, pad TEXT);\nINSERT INTO big VALUES (1, 'x');"


class Interrupted(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config()
        self.project.core_migration(R1, upgrade=create_table("small"), downgrade=drop_table("small"))

    # helpers ---------------------------------------------------------------------------------
    def slow_migration(self, sql=SLOW, transactional=True):
        options = "" if transactional else " transaction:false"
        self.path = self.project.core_migration(R2, R1, sections=[(f"upgrade{options}", sql),
                                                                  (f"downgrade{options}", drop_table("big"))])
        return self.path

    def start(self, *args):
        return popen_runner(args, url=self.db.url, cwd=self.project.root)

    def wait_until_inside_slow_statement(self, proc):
        """Until the runner is in the middle of the slow statement."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.fail(f"the runner ended early: {proc.communicate()}")
            if self.inside_slow_statement():
                return
            time.sleep(0.05)
        self.fail("the runner never reached its slow statement")

    def inside_slow_statement(self):
        if BACKEND == "sqlite":
            # The journal exists and pages of the insert have been written to the database file.
            path = self.db.sqlite_path
            return os.path.exists(path + "-journal") and os.path.getsize(path) > 4 * 1024 * 1024
        # The runner may send a migration as one query (BEGIN; …; COMMIT): match inside it.
        rows = self.db.query("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'active' "
                             "AND pid <> pg_backend_pid() AND query LIKE '%%SELECT pg_sleep%%'",
                             (self.db.pg_name,))
        return rows[0][0] > 0

    def wait_for_server_to_drop_killed_session(self):
        if BACKEND == "postgresql":
            deadline = time.monotonic() + 30
            while self.inside_slow_statement() and time.monotonic() < deadline:
                time.sleep(0.1)

    def interrupt(self, proc, number):
        self.wait_until_inside_slow_statement(proc)
        proc.send_signal(number)
        out, err = proc.communicate(timeout=60)
        return proc.returncode, out, err

    def kill(self, proc):
        self.wait_until_inside_slow_statement(proc)
        proc.kill()
        proc.communicate(timeout=60)
        self.wait_for_server_to_drop_killed_session()

    def kill_and_recover(self, proc):
        """kill -9, then a read-only command (which rolls a hot journal back), so that the
        test's own read-only snapshots work."""
        self.kill(proc)
        self.ok("migrate", "current")

    def on_existing_database(self):
        """R0 applied first: the database has version rows, so the run commits migration by
        migration (a fresh database's migrations commit together)."""
        self.project.core_migration(R0, upgrade=create_table("zero"), downgrade=drop_table("zero"))
        self.project.core_migration(R1, R0, upgrade=create_table("small"), downgrade=drop_table("small"))
        self.ok("migrate", "upgrade", R0)

    # Ctrl-C and SIGTERM ----------------------------------------------------------------------
    def check_signal_rolls_back(self, number):
        self.on_existing_database()
        self.slow_migration()
        code, out, err = self.interrupt(self.start("migrate", "upgrade"), number)
        self.assertEqual(code, 130, out + err)
        self.assertEqual(err.strip(), f"Interrupted: rolled back the upgrade of core revision {R2}; "
                                      "1 migration was applied before it")
        self.assertIn(f"core {R1}", out)
        self.assertVersions([R1])
        self.assertEqual(self.db.user_tables(), ["small", "zero"])
        self.assertEqual(self.db.history_pairs(), [(R0, "upgrade"), (R1, "upgrade")])
        if BACKEND == "postgresql":
            self.assertEqual(self.db.query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), [(0,)])
        # the next run just works
        self.slow_migration(FAST)
        self.ok("migrate", "upgrade")
        self.assertVersions([R2])

    def test_sigint_rolls_back_the_running_migration(self):
        self.check_signal_rolls_back(signal.SIGINT)

    def test_sigterm_rolls_back_the_running_migration(self):
        self.check_signal_rolls_back(signal.SIGTERM)

    def test_sigint_stops_migrate_all(self):
        self.on_existing_database()
        self.slow_migration()
        code, out, err = self.interrupt(self.start("migrate", "all"), signal.SIGINT)
        self.assertEqual(code, 130, out + err)
        self.assertIn(f"rolled back the upgrade of core revision {R2}", err)
        self.assertVersions([R1])

    def test_sigint_rolls_back_a_fresh_databases_transaction(self):
        """A fresh database runs R1 and R2 in one transaction: Ctrl-C inside R2 rolls both
        back, and says so."""
        self.slow_migration()
        code, out, err = self.interrupt(self.start("migrate", "upgrade"), signal.SIGINT)
        self.assertEqual(code, 130, out + err)
        self.assertEqual(err.strip(), f"Interrupted: rolled back the upgrade of core revisions {R1} to {R2}, "
                                      "which a fresh database runs in one transaction; 0 migrations were "
                                      "applied before them")
        self.assertEqual(out, "")
        self.assertVersions(None)
        self.assertEqual(self.db.user_tables(), [])
        self.assertEqual(self.db.history_pairs(), [])
        self.slow_migration(FAST)
        self.ok("migrate", "upgrade")
        self.assertVersions([R2])
        self.assertEqual(self.db.history_pairs(), [(R1, "upgrade"), (R2, "upgrade")])

    # kill -9 ---------------------------------------------------------------------------------
    def test_kill_with_a_hot_journal_then_every_command_works(self):
        if BACKEND != "sqlite":
            self.skipTest("SQLite's rollback journal")
        self.slow_migration()
        self.ok("migrate", "upgrade", R1)
        self.kill(self.start("migrate", "upgrade"))
        self.assertTrue(os.path.exists(self.db.sqlite_path + "-journal"), "the kill left no journal")
        # read-only commands first: each must roll the journal back, not fail on it
        res = self.ok("migrate", "current")
        self.assertEqual(res.out.strip(), R1)
        self.assertFalse(os.path.exists(self.db.sqlite_path + "-journal"))
        self.ok("migrate", "status")
        self.assertVersions([R1])
        self.assertEqual(self.db.user_tables(), ["small"])
        self.slow_migration(FAST)
        self.ok("migrate", "all")
        self.assertVersions([R2])

    def test_kill_with_a_hot_journal_then_migrate_status(self):
        if BACKEND != "sqlite":
            self.skipTest("SQLite's rollback journal")
        self.slow_migration()
        self.ok("migrate", "upgrade", R1)
        self.kill(self.start("migrate", "upgrade"))
        res = self.ok("migrate", "status")
        self.assertIn("1 applied, 1 pending", res.out)

    def test_db_drop_removes_the_lock_file(self):
        if BACKEND != "sqlite":
            self.skipTest("SQLite's lock file")
        self.ok("migrate", "upgrade")
        lock = self.db.sqlite_path + "-fastappkit.lock"
        self.assertTrue(os.path.exists(lock))
        self.ok("db", "drop")
        self.assertFalse(os.path.exists(lock))
        self.assertFalse(os.path.exists(self.db.sqlite_path))

    # transaction:false ------------------------------------------------------------------------
    def refusal(self):
        return (f"core: the transaction:false upgrade section of revision {R2} ({self.path}) started at ")

    def check_refused(self):
        res = self.assertFails(["migrate", "upgrade"], 1, self.refusal(),
                               f"run 'fastappkit migrate resolve {R2} --applied' if the section completed")
        self.assertFails(["migrate", "all"], 1, self.refusal())
        self.assertFails(["migrate", "stamp", "head"], 1, self.refusal())
        return res

    def test_kill_inside_transaction_false_section_then_resolve_rolled_back(self):
        self.slow_migration(KILLED_SLOW, transactional=False)
        self.ok("migrate", "upgrade", R1)
        self.kill_and_recover(self.start("migrate", "upgrade"))
        self.check_refused()
        self.assertVersions([R1])
        res = self.ok("migrate", "status")
        self.assertIn(f"the transaction:false section of {R2} started at ", res.out)
        self.assertIn("has not finished: statement 1 of 2 (line 9) completed so far", res.out)
        # the user checks, undoes what the section left, and records it
        self.db.execute("DROP TABLE big")
        res = self.ok("migrate", "resolve", R2, "--rolled-back")
        self.assertEqual(res.out.strip(), f"Recorded the upgrade of core revision {R2} as rolled back; "
                                          "its mark said statement 1 of 2 (line 9) completed")
        self.assertVersions([R1])
        self.slow_migration(FAST, transactional=False)
        self.ok("migrate", "upgrade")
        self.assertVersions([R2])
        self.assertEqual(self.db.history_pairs(), [(R1, "upgrade"), (R2, "upgrade")])
        self.assertEqual(self.db.query("SELECT count(*) FROM fastappkit_unfinished"), [(0,)])

    def test_kill_inside_transaction_false_section_then_resolve_applied(self):
        self.slow_migration(KILLED_SLOW, transactional=False)
        self.ok("migrate", "upgrade", R1)
        self.kill_and_recover(self.start("migrate", "upgrade"))
        # a wrong revision or no outcome changes nothing
        self.assertFails(["migrate", "resolve", R1, "--applied"], 1,
                         f"core: revision {R1} has no unfinished transaction:false section to resolve "
                         f"(revision {R2} has one); nothing was changed")
        self.assertFails(["migrate", "resolve", R2], 2, "--applied", "--rolled-back")
        self.ok("migrate", "resolve", R2[:6], "--applied")
        self.assertVersions([R2])
        self.assertEqual(self.db.history_pairs(), [(R1, "upgrade"), (R2, "upgrade")])
        self.ok("migrate", "upgrade")
        self.assertFails(["migrate", "resolve", R2, "--applied"], 1,
                         "no section of this history is marked as started")
        # it downgrades like any applied revision
        self.ok("migrate", "downgrade", "-1")
        self.assertVersions([R1])

    def test_kill_in_the_middle_of_a_transaction_false_section_names_the_statements(self):
        """Killed while statement 2 of 3 runs: the refusal names statement 1 as completed and
        statement 2 as the one that may have run in part; resolve --applied records it."""
        slow = KILLED_SLOW.splitlines()[1]
        self.slow_migration(f"CREATE TABLE big (n INTEGER, pad TEXT);\n{slow}\nCREATE TABLE after_big (n INTEGER);",
                            transactional=False)
        self.ok("migrate", "upgrade", R1)
        self.kill_and_recover(self.start("migrate", "upgrade"))
        self.assertEqual(self.db.query("SELECT completed_statements, statement_count, completed_line, next_line "
                                       "FROM fastappkit_unfinished"), [(1, 3, 9, 10)])
        self.check_refused()
        self.assertFails(["migrate", "upgrade"], 1, self.refusal(),
                         " but never recorded its outcome: it stopped after statement 1 of 3 (line 9) completed, "
                         "so statement 2 (line 10) may have run partly or not at all; check the database, then "
                         f"run 'fastappkit migrate resolve {R2} --applied' if the section completed (finish it "
                         "by hand from statement 2 first if needed) or '--rolled-back' if it left nothing behind "
                         "(undo statement 1 first)")
        self.assertIn("has not finished: statement 1 of 3 (line 9) completed so far",
                      self.ok("migrate", "status").out)
        # the user finishes the section by hand and records it as applied
        self.db.execute("CREATE TABLE after_big (n INTEGER)")
        res = self.ok("migrate", "resolve", R2, "--applied")
        self.assertEqual(res.out.strip(), f"Recorded the upgrade of core revision {R2} as applied; "
                                          "its mark said statement 1 of 3 (line 9) completed")
        self.assertVersions([R2])
        self.assertEqual(self.db.history_pairs(), [(R1, "upgrade"), (R2, "upgrade")])
        self.assertEqual(self.db.query("SELECT count(*) FROM fastappkit_unfinished"), [(0,)])
        self.assertEqual(self.db.user_tables(), ["after_big", "big", "small"])
        self.ok("migrate", "upgrade")
        self.assertVersions([R2])

    def test_sigint_inside_transaction_false_section(self):
        self.slow_migration(transactional=False)
        code, out, err = self.interrupt(self.start("migrate", "upgrade"), signal.SIGINT)
        self.assertEqual(code, 130, out + err)
        self.assertEqual(err.strip(),
                         f"Interrupted: the transaction:false upgrade section of core revision {R2} was "
                         "stopped part-way and is marked as started (1 migration was applied before it); "
                         f"check the database, then run 'fastappkit migrate resolve {R2} --applied' or "
                         "'--rolled-back'")
        self.check_refused()

    def test_racing_runners_run_a_transaction_false_section_once(self):
        # a section that fails when run twice and then takes a while; on SQLite a long read,
        # during which the database's write lock is free for the waiting runners
        if BACKEND == "sqlite":
            sql = ("CREATE TABLE big (n INTEGER, pad TEXT);\n"
                   "SELECT count(*) FROM (WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
                   "WHERE n < 2000000) SELECT n FROM c);")
        else:
            sql = "CREATE TABLE big (n INTEGER, pad TEXT);\nSELECT pg_sleep(0.5);"
        self.slow_migration(sql, transactional=False)
        self.ok("migrate", "upgrade", R1)
        runners = [self.start("migrate", "upgrade") for _ in range(8)]
        results = [(p.wait(timeout=300), *p.communicate()) for p in runners]
        for code, out, err in results:
            self.assertEqual(code, 0, out + err)
        self.assertVersions([R2])
        self.assertEqual(self.db.history_pairs(), [(R1, "upgrade"), (R2, "upgrade")])


if __name__ == "__main__":
    main()
