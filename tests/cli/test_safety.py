"""Lock and statement timeouts (PostgreSQL), migrate test (every downgrade gives back the schema
before it) and db clone."""
import os
import threading
import time

from fastappkit_testing import BACKEND, CliTestCase, main, migration

TIMEOUTS = '\n[tool.fastappkit.migration]\nlock_timeout = "1500ms"\nstatement_timeout = "5s"\nlock_retries = 2\n'


class Timeouts(CliTestCase):
    def setUp(self):
        super().setUp()
        if BACKEND != "postgresql":
            self.skipTest("timeouts apply on PostgreSQL only")
        self.project.config(extra=TIMEOUTS)

    def test_settings_and_header_are_set_in_the_migration(self):
        record = "CREATE TABLE {t} AS SELECT current_setting('lock_timeout') AS lock_timeout, " \
                 "current_setting('statement_timeout') AS statement_timeout;"
        self.project.core_migration("a1a1a1a1a1a1", upgrade=record.format(t="seen_project"), downgrade="")
        self.project.core_migration("b2b2b2b2b2b2", header=(
            "-- revision: b2b2b2b2b2b2\n-- down_revision: a1a1a1a1a1a1\n-- lock_timeout: 2s\n"),
            upgrade=record.format(t="seen_header"), downgrade="")
        # transaction:false: on the direct connection of DATABASE_DIRECT_URL, session-level there
        self.project.core_migration("c3c3c3c3c3c3", header=(
            "-- revision: c3c3c3c3c3c3\n-- down_revision: b2b2b2b2b2b2\n-- statement_timeout: 3s\n"),
            sections=[("upgrade transaction:false", record.format(t="seen_outside")), ("downgrade", "")])
        self.project.core_migration("d4d4d4d4d4d4", "c3c3c3c3c3c3", upgrade=record.format(t="seen_after"),
                                    downgrade="")
        res = self.ok("migrate", "upgrade", env={"DATABASE_DIRECT_URL": self.db.url})
        self.assertNotIn("Warning", res.err)
        seen = {t: self.db.query(f"SELECT lock_timeout, statement_timeout FROM {t}")[0]
                for t in ("seen_project", "seen_header", "seen_outside", "seen_after")}
        self.assertEqual(seen, {"seen_project": ("1500ms", "5s"), "seen_header": ("2s", "5s"),
                                "seen_outside": ("1500ms", "3s"), "seen_after": ("1500ms", "5s")})

    def test_transaction_false_section_without_a_direct_url_runs_without_timeouts(self):
        # A session SET would stay on a pooled server connection: without a direct connection
        # the section runs with the server's defaults, and one warning line says so.
        record = "CREATE TABLE {t} AS SELECT current_setting('lock_timeout') AS lock_timeout, " \
                 "current_setting('statement_timeout') AS statement_timeout;"
        defaults = self.db.query("SELECT current_setting('lock_timeout'), current_setting('statement_timeout')")[0]
        self.project.core_migration("c3c3c3c3c3c3", sections=[
            ("upgrade transaction:false", record.format(t="seen_outside")), ("downgrade", "")])
        self.project.core_migration("d4d4d4d4d4d4", "c3c3c3c3c3c3", upgrade=record.format(t="seen_after"),
                                    downgrade="")
        res = self.ok("migrate", "upgrade")
        warnings = [line for line in res.err.splitlines() if line.startswith("Warning")]
        self.assertEqual(len(warnings), 1, res.err)
        self.assertIn("a transaction:false section runs without its lock_timeout/statement_timeout on "
                      "postgresql://", warnings[0])
        self.assertIn("set DATABASE_DIRECT_URL (or direct_url) to a direct connection", warnings[0])
        self.assertEqual(self.db.query("SELECT lock_timeout, statement_timeout FROM seen_outside")[0], defaults)
        self.assertEqual(self.db.query("SELECT lock_timeout, statement_timeout FROM seen_after")[0],
                         ("1500ms", "5s"))

    def test_blocked_migration_fails_after_its_retries(self):
        self.project.config(extra='\n[tool.fastappkit.migration]\nlock_timeout = "200ms"\nlock_retries = 2\n')
        self.project.core_migration("a1a1a1a1a1a1", upgrade="CREATE TABLE account (id INT);",
                                    downgrade="DROP TABLE account;")
        self.ok("migrate", "upgrade")
        path = self.project.core_migration("b2b2b2b2b2b2", "a1a1a1a1a1a1",
                                           upgrade="ALTER TABLE account ADD COLUMN note TEXT;",
                                           downgrade="ALTER TABLE account DROP COLUMN note;")
        holder = self.db.connection()
        holder.autocommit = False
        cursor = holder.cursor()
        cursor.execute("LOCK TABLE account IN ACCESS SHARE MODE")  # blocks ALTER TABLE
        try:
            started = time.monotonic()
            res = self.fk("migrate", "upgrade")
            elapsed = time.monotonic() - started
        finally:
            holder.rollback()
            holder.autocommit = True
        self.assertExit(res, 1, "core: revision b2b2b2b2b2b2 could not get its lock: the lock timeout ran "
                                f"out on all 3 attempts at {path}:9 (statement: ALTER TABLE account ADD "
                                "COLUMN note TEXT)")
        # one line per wait, then the error sentence
        self.assertEqual(res.err.splitlines(), [
            "core: revision b2b2b2b2b2b2 could not get its lock; trying again in 500 ms (attempt 2 of 3)",
            "core: revision b2b2b2b2b2b2 could not get its lock; trying again in 1000 ms (attempt 3 of 3)",
            res.err.splitlines()[-1]], repr(res))
        self.assertGreaterEqual(elapsed, 1.5)  # the waits happened
        self.assertVersions(["a1a1a1a1a1a1"])
        self.assertEqual(self.db.columns("account"), ["id"])

    def test_retry_succeeds_once_the_lock_is_released(self):
        self.project.config(extra='\n[tool.fastappkit.migration]\nlock_timeout = "200ms"\n')
        self.project.core_migration("a1a1a1a1a1a1", upgrade="CREATE TABLE account (id INT);", downgrade="")
        self.ok("migrate", "upgrade")
        self.project.core_migration("b2b2b2b2b2b2", "a1a1a1a1a1a1",
                                    upgrade="ALTER TABLE account ADD COLUMN note TEXT;", downgrade="")
        holder = self.db.connection()
        holder.autocommit = False
        holder.cursor().execute("LOCK TABLE account IN ACCESS SHARE MODE")
        release = threading.Timer(0.6, holder.rollback)
        release.start()
        try:
            self.ok("migrate", "upgrade")
        finally:
            release.join()
            holder.autocommit = True
        self.assertVersions(["b2b2b2b2b2b2"])
        self.assertEqual(self.db.columns("account"), ["id", "note"])


class TimeoutsOnSqlite(CliTestCase):
    def test_app_validate_says_they_do_not_apply(self):
        if BACKEND != "sqlite":
            self.skipTest("SQLite only")
        self.project.config(apps=["apps.blog"], extra=TIMEOUTS)
        self.project.internal_app("blog")
        self.project.core_migration("a1a1a1a1a1a1", upgrade="CREATE TABLE t (id INT);", downgrade="DROP TABLE t;")
        res = self.ok("app", "validate", "blog")
        self.assertIn("Note: app 'blog' sets lock_timeout, statement_timeout or lock_retries, which do not "
                      "apply on sqlite", res.out)
        self.ok("migrate", "upgrade")  # and they change nothing there
        self.assertVersions(["a1a1a1a1a1a1"])

    def test_bad_setting_names_the_file(self):
        if BACKEND != "sqlite":
            self.skipTest("SQLite only")
        config = self.project.config(extra='\n[tool.fastappkit.migration]\nlock_timeout = "soon"\n')
        self.assertFails(["migrate", "upgrade"], 2, f"{config}:", "lock_timeout 'soon' is not a duration")


class MigrateTest(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config()
        self.project.core_migration("a1a1a1a1a1a1", upgrade="CREATE TABLE post (id INTEGER PRIMARY KEY, title TEXT);",
                                    downgrade="DROP TABLE post;")

    def test_reversible_history_passes_and_leaves_the_database_alone(self):
        self.project.core_migration("b2b2b2b2b2b2", "a1a1a1a1a1a1",
                                    upgrade="CREATE INDEX ix_post_title ON post (title);",
                                    downgrade="DROP INDEX ix_post_title;")
        before = self.db.snapshot()
        res = self.ok("migrate", "test")
        self.assertIn("core: 2 revisions downgrade and upgrade again to the same schema", res.out)
        self.assertEqual(self.db.snapshot(), before)

    def test_downgrade_that_forgets_an_index_fails(self):
        self.project.core_migration("b2b2b2b2b2b2", "a1a1a1a1a1a1",
                                    upgrade="CREATE INDEX ix_post_title ON post (title);\n"
                                            "ALTER TABLE post ADD COLUMN body TEXT;",
                                    downgrade="ALTER TABLE post DROP COLUMN body;")
        path = os.path.join(self.project.core_dir(), "b2b2b2b2b2b2_rev.sql")
        res = self.assertFails(["migrate", "test"], 1,
                               f"core: revision b2b2b2b2b2b2 ({path}): its downgrade does not give back the "
                               "schema before it; the downgrade would also need to: drop index ix_post_title "
                               "on post")

    def test_downgrade_that_leaves_a_table_fails(self):
        self.project.core_migration("b2b2b2b2b2b2", "a1a1a1a1a1a1", upgrade="CREATE TABLE tag (id INT);",
                                    downgrade="")
        self.assertFails(["migrate", "test"], 1, "revision b2b2b2b2b2b2",
                         "the downgrade would also need to: drop table tag")

    def test_irreversible_revision_ends_the_walk_with_a_note(self):
        self.project.core_migration("b2b2b2b2b2b2", "a1a1a1a1a1a1", upgrade="CREATE TABLE tag (id INT);",
                                    downgrade=None)
        self.project.core_migration("c3c3c3c3c3c3", "b2b2b2b2b2b2", upgrade="CREATE TABLE x (id INT);",
                                    downgrade="")  # would fail, but is after the irreversible one
        res = self.ok("migrate", "test")
        self.assertIn("core: 1 revision downgrade and upgrade again to the same schema; revision b2b2b2b2b2b2 "
                      "has no downgrade section (irreversible), so the revisions from it on were not tested",
                      res.out)

    def test_external_app_on_top_of_core(self):
        self.project.config(apps=["payments"], app_path=["external"])
        self.project.external_app("payments", {"p1p1p1p1p1p1": migration(
            "p1p1p1p1p1p1", upgrade="CREATE TABLE payment (id INT, post_id INT REFERENCES post (id));",
            downgrade="")})
        self.assertFails(["migrate", "test", "--app", "payments"], 1,
                         "payments: revision p1p1p1p1p1p1", "drop table payment")


class Clone(CliTestCase):
    def test_clone_copies_schema_and_rows(self):
        self.project.config()
        self.project.core_migration("a1a1a1a1a1a1", upgrade="CREATE TABLE t (id INT); INSERT INTO t VALUES (7);",
                                    downgrade="DROP TABLE t;")
        self.ok("migrate", "upgrade")
        copy = self.database()
        res = self.ok("db", "clone", "--from", self.db.url, db=copy)
        self.assertIn("Cloned ", res.out)
        self.assertEqual(copy.query("SELECT id FROM t"), [(7,)])
        self.assertVersions(["a1a1a1a1a1a1"], database=copy)
        copy.execute("INSERT INTO t VALUES (8)")  # the copy is its own database
        self.assertEqual(self.db.query("SELECT id FROM t"), [(7,)])
        copy.close()

    def test_clone_into_itself_is_refused(self):
        self.project.config()
        self.assertFails(["db", "clone", "--from", self.db.url], 2, "into itself")

    def test_clone_refused_while_the_source_is_in_use(self):
        if BACKEND != "postgresql":
            self.skipTest("PostgreSQL only")
        self.project.config()
        self.db.connection()  # an open session on the source
        copy = self.database()
        res = self.fk("db", "clone", "--from", self.db.url, db=copy)
        self.assertExit(res, 1, "other sessions are connected to it")
        self.assertOneSentence(res)


if __name__ == "__main__":
    main()
