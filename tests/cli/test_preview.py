"""preview (online and offline), read-only commands, and verify."""
import json
import os
import re

from fastappkit_testing import BACKEND, CliTestCase, create_table, drop_table, main, migration

R1, R2, R3 = "a10000000001", "b20000000002", "c30000000003"


def running_lines(sql):
    return re.findall(r"(?m)^-- Running (.*)$", sql)


def comparable(snapshot):
    """A snapshot without fastappkit_history's applied_at and duration_ms."""
    snap = dict(snapshot)
    if "fastappkit_history" in snap:
        columns, values = snap["fastappkit_history"]
        snap["fastappkit_history"] = (columns, len(values))
    return snap


class Preview(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config()
        self.project.core_migration(R1, None, upgrade=create_table("t1"), downgrade=drop_table("t1"))
        self.project.core_migration(R2, R1, sections=[
            ("upgrade", "CREATE TABLE t2 (id INTEGER PRIMARY KEY, note TEXT);\nINSERT INTO t2 VALUES (1, 'a;b');"),
            ("upgrade dialect:sqlite", "CREATE TABLE t2 (id INTEGER PRIMARY KEY, note TEXT);\n"
                                       "INSERT INTO t2 VALUES (1, 'sqlite');"),
            ("downgrade", drop_table("t2"))])
        self.project.core_migration(R3, R2, upgrade="CREATE INDEX t2_note_idx ON t2 (note);",
                                    downgrade="DROP INDEX t2_note_idx;")

    def run_sql(self, database, sql):
        """Runs a preview's text as a script, outside the runner."""
        database.execute(sql)

    def test_online_preview_prints_exactly_what_upgrade_runs(self):
        self.ok("migrate", "upgrade", R1)
        twin = self.database()
        self.ok("migrate", "upgrade", R1, db=twin)
        before = self.db.snapshot()
        res = self.ok("migrate", "preview")
        self.assertEqual(self.db.snapshot(), before)  # preview changed nothing
        sql = res.out
        self.assertEqual(running_lines(sql), [f"upgrade {R1} -> {R2}", f"upgrade {R2} -> {R3}"])
        self.assertIn(f"INSERT INTO t2 VALUES (1, '{'sqlite' if BACKEND == 'sqlite' else 'a;b'}');", sql)
        self.assertIn("CREATE INDEX t2_note_idx ON t2 (note);", sql)
        self.assertIn(f"UPDATE alembic_version SET version_num='{R2}' WHERE alembic_version.version_num = '{R1}';", sql)
        self.assertIn(f"UPDATE alembic_version SET version_num='{R3}' WHERE alembic_version.version_num = '{R2}';", sql)
        self.assertNotIn("CREATE TABLE t1", sql)
        self.assertNotIn("CREATE TABLE alembic_version", sql)
        # running the preview by hand leaves the database as upgrade leaves its twin
        self.run_sql(self.db, sql)
        self.ok("migrate", "upgrade", db=twin)
        self.assertEqual(comparable(self.db.snapshot()), comparable(twin.snapshot()))
        self.assertEqual([(h["revision"], h["direction"], h["checksum"]) for h in self.db.history()],
                         [(h["revision"], h["direction"], h["checksum"]) for h in twin.history()])
        # and upgrade has nothing left to do
        res = self.ok("migrate", "upgrade")
        self.assertIn(f"core is up to date ({R3})", res.out)

    def test_preview_to_a_revision_and_when_up_to_date(self):
        res = self.ok("migrate", "preview", "-r", R2)
        self.assertEqual(running_lines(res.out), [f"upgrade  -> {R1}", f"upgrade {R1} -> {R2}"])
        self.assertIn("CREATE TABLE alembic_version", res.out)
        self.assertIn(f"INSERT INTO alembic_version (version_num) VALUES ('{R1}');", res.out)
        self.ok("migrate", "upgrade")
        before = self.db.snapshot()
        res = self.ok("migrate", "preview")
        self.assertEqual(res.out.strip(), "core is up to date: nothing to preview")
        self.assertEqual(self.db.snapshot(), before)

    def test_preview_does_not_create_a_missing_sqlite_file(self):
        if BACKEND != "sqlite":
            self.skipTest("SQLite only")
        res = self.ok("migrate", "preview")
        self.assertEqual(running_lines(res.out),
                         [f"upgrade  -> {R1}", f"upgrade {R1} -> {R2}", f"upgrade {R2} -> {R3}"])
        self.assertFalse(self.db.exists())

    def test_preview_json(self):
        self.ok("migrate", "upgrade", R2)
        res = self.ok("--json", "migrate", "preview")
        doc = json.loads(res.out)
        self.assertEqual(doc["name"], "core")
        self.assertEqual(running_lines(doc["sql"]), [f"upgrade {R2} -> {R3}"])

    def test_offline_preview_opens_nothing(self):
        closed = "postgresql://user:secret@127.0.0.1:1/nowhere"
        res = self.ok("migrate", "preview", "-r", "base:head", "--dialect", "postgresql", db=False,
                      env={"DATABASE_URL": closed})
        self.assertEqual(running_lines(res.out),
                         [f"upgrade  -> {R1}", f"upgrade {R1} -> {R2}", f"upgrade {R2} -> {R3}"])
        self.assertIn("INSERT INTO t2 VALUES (1, 'a;b');", res.out)  # the generic section
        self.assertIn("CREATE TABLE alembic_version", res.out)
        # the dialect comes from the URL's scheme when --dialect is not given
        res = self.ok("--database-url", closed, "migrate", "preview", f"{R1}:{R3}", db=False)
        self.assertEqual(running_lines(res.out), [f"upgrade {R1} -> {R2}", f"upgrade {R2} -> {R3}"])
        self.assertNotIn("CREATE TABLE alembic_version", res.out)
        missing = os.path.join(self.tmp, "offline.db")
        res = self.ok("--database-url", "sqlite:///" + missing, "migrate", "preview", "-r", "base:head", db=False)
        self.assertIn("INSERT INTO t2 VALUES (1, 'sqlite');", res.out)
        self.assertFalse(os.path.exists(missing))
        # a real database stays untouched too
        before = self.db.snapshot()
        self.ok("migrate", "preview", "base:head", "--dialect", BACKEND)
        self.assertEqual(self.db.snapshot(), before)

    def test_transaction_false_section_runs_before_its_bookkeeping_transaction(self):
        r4 = "d40000000004"
        self.project.core_migration(r4, R3, sections=[("upgrade transaction:false", "CREATE INDEX t1_idx ON t1 (id);"),
                                                      ("downgrade transaction:false", "DROP INDEX t1_idx;")])
        res = self.ok("migrate", "preview", f"{R2}:{r4}", "--dialect", "postgresql", db=False)
        steps = re.split(r"(?m)^-- Running ", res.out)
        self.assertEqual(len(steps), 3, res.out)
        self.assertIn("BEGIN;", steps[1])
        self.assertIn("COMMIT;", steps[1])
        self.assertTrue(steps[2].startswith(f"upgrade {R3} -> {r4}"), steps[2])
        # The run's statements in the run's order: the unfinished mark commits first, the
        # section runs on its own, then the version and history rows and the mark's removal.
        step = steps[2]
        order = [step.index("BEGIN;"),
                 step.index("INSERT INTO fastappkit_unfinished"),
                 step.index("COMMIT;"),
                 step.index("CREATE INDEX t1_idx ON t1 (id);"),
                 step.index("BEGIN;", step.index("CREATE INDEX t1_idx")),
                 step.index("UPDATE alembic_version"),
                 step.index("INSERT INTO fastappkit_history"),
                 step.index("DELETE FROM fastappkit_unfinished"),
                 step.rindex("COMMIT;")]
        self.assertEqual(order, sorted(order), step)
        self.assertIn(f"'alembic_version', '{r4}', 'upgrade'", step)

    def test_offline_preview_bad_range(self):
        res = self.fk("migrate", "preview", "-r", "base:nope", "--dialect", "sqlite")
        self.assertExit(res, 2, "Can't locate revision identified by 'nope'")
        self.assertOneSentence(res)
        res = self.fk("migrate", "preview", "-r", "base:head", "--dialect", "oracle")
        self.assertExit(res, 2, "oracle")
        self.assertOneSentence(res)


class ReadOnlyCommands(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config(apps=["pay"], app_path=["external"])
        self.project.core_migration(R1, None, upgrade=create_table("t1"), downgrade=drop_table("t1"))
        self.project.external_app("pay", {"p1p1p1p1p1p1": migration("p1p1p1p1p1p1", upgrade=create_table("pay_t"),
                                                                     downgrade=drop_table("pay_t"))})

    COMMANDS = [["migrate", "current"], ["migrate", "history"], ["migrate", "heads"], ["migrate", "status"],
                ["migrate", "preview"], ["migrate", "verify"], ["migrate", "current", "--app", "pay"],
                ["migrate", "history", "--app", "pay"], ["migrate", "heads", "--app", "pay"],
                ["migrate", "app", "pay", "preview"], ["migrate", "app", "pay", "current"],
                ["app", "validate", "pay"], ["app", "list"], ["describe"]]

    def test_read_only_commands_never_create_or_change_the_database(self):
        for command in self.COMMANDS:
            with self.subTest(command=command):
                before = self.db.snapshot()
                res = self.fk(*command)
                self.assertEqual(res.code, 0, repr(res))
                self.assertEqual(self.db.snapshot(), before, repr(res))
                if BACKEND == "sqlite":
                    self.assertFalse(self.db.exists(), f"{command} created the SQLite file")
        self.ok("migrate", "all")
        for command in self.COMMANDS:
            with self.subTest(command=command, state="migrated"):
                before = self.db.snapshot()
                res = self.fk(*command)
                self.assertEqual(res.code, 0, repr(res))
                self.assertEqual(self.db.snapshot(), before, repr(res))

    def test_current_and_status_output(self):
        res = self.ok("migrate", "current")
        self.assertIn("base", res.out)
        self.ok("migrate", "all")
        self.assertEqual(self.ok("migrate", "current").out.strip(), f"{R1} (head)")
        self.assertEqual(self.ok("migrate", "current", "--app", "pay").out.strip(), "p1p1p1p1p1p1 (head)")
        res = self.ok("migrate", "status")
        self.assertRegex(res.out, rf"(?m)^core\s+alembic_version\s+at {R1}\s+1 applied, up to date$")
        self.assertRegex(res.out, r"(?m)^pay\s+alembic_version_pay\s+at p1p1p1p1p1p1\s+1 applied, up to date$")
        doc = json.loads(self.ok("--json", "migrate", "status").out)
        self.assertEqual([(h["name"], h["version_table"], h["current"], h["pending"]) for h in doc["histories"]],
                         [("core", "alembic_version", [R1], 0), ("pay", "alembic_version_pay", ["p1p1p1p1p1p1"], 0)])


class Verify(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config()
        self.f1 = self.project.core_migration(R1, None, upgrade=create_table("t1"), downgrade=drop_table("t1"))
        self.f2 = self.project.core_migration(R2, R1, upgrade=create_table("t2"), downgrade=drop_table("t2"))
        self.f3 = self.project.core_migration(R3, R2, upgrade=create_table("t3"), downgrade=drop_table("t3"))

    def test_untouched_files_verify(self):
        self.ok("migrate", "upgrade", R2)
        before = self.db.snapshot()
        res = self.ok("migrate", "verify")
        self.assertIn("2 applied migrations verified, 0 changed", res.out)
        self.assertEqual(self.db.snapshot(), before)

    def test_edited_applied_file_fails(self):
        self.ok("migrate", "upgrade", R2)
        text = self.project.read(self.f1)
        self.project.write(self.f1, text.replace("CREATE TABLE t1 (id INTEGER PRIMARY KEY);",
                                                 "CREATE TABLE t1 (id INTEGER PRIMARY KEY, extra TEXT);"))
        # a pending revision may change freely
        self.project.write(self.f3, migration(R3, R2, upgrade=create_table("t3_renamed"), downgrade=""))
        before = self.db.snapshot()
        res = self.fk("migrate", "verify")
        self.assertExit(res, 1, f"revision {R1} changed since it was applied", self.f1)
        self.assertNotIn(R2, res.err)
        self.assertNotIn(R3, res.err)
        self.assertEqual(self.db.snapshot(), before)
        doc = json.loads(self.fk("--json", "migrate", "verify").out)
        self.assertEqual([(c["revision"], c["file"]) for c in doc["changed"]], [(R1, self.f1)])
        # putting the text back makes it pass again
        self.project.write(self.f1, text)
        self.ok("migrate", "verify")

    def test_line_endings_and_header_do_not_count(self):
        self.ok("migrate", "upgrade")
        text = self.project.read(self.f2)
        self.project.write(self.f2, text.replace("\n", "\r\n"))
        text = self.project.read(self.f1)
        self.project.write(self.f1, text.replace("-- message: revision", "-- message: edited message of"))
        res = self.ok("migrate", "verify")
        self.assertIn("3 applied migrations verified, 0 changed", res.out)

    def test_verify_checks_the_section_that_ran(self):
        # editing the other dialect's section does not matter; this dialect's does
        other = "postgresql" if BACKEND == "sqlite" else "sqlite"
        self.project.write(self.f2, migration(R2, R1, sections=[
            ("upgrade", create_table("t2")), (f"upgrade dialect:{other}", create_table("t2")),
            ("downgrade", drop_table("t2"))]))
        self.ok("migrate", "upgrade")
        self.project.write(self.f2, migration(R2, R1, sections=[
            ("upgrade", create_table("t2")), (f"upgrade dialect:{other}", create_table("t2_other")),
            ("downgrade", drop_table("t2"))]))
        self.ok("migrate", "verify")
        self.project.write(self.f2, migration(R2, R1, sections=[
            ("upgrade", create_table("t2_changed")), (f"upgrade dialect:{other}", create_table("t2_other")),
            ("downgrade", drop_table("t2"))]))
        self.assertExit(self.fk("migrate", "verify"), 1, f"revision {R2} changed since it was applied", self.f2)

    def test_reapplied_revision_verifies_against_latest_run(self):
        self.ok("migrate", "upgrade")
        self.ok("migrate", "downgrade", R2)
        self.project.write(self.f3, migration(R3, R2, upgrade=create_table("t3_v2"), downgrade=drop_table("t3_v2")))
        self.ok("migrate", "upgrade")
        self.assertIn("t3_v2", self.db.user_tables())
        self.ok("migrate", "verify")


if __name__ == "__main__":
    main()
