"""Migration file sections: dialect sections, transaction:false, empty and missing downgrades,
statement splitting, and a failing migration."""
import json

from fastappkit_testing import BACKEND, CliTestCase, create_table, drop_table, main, migration

OTHER = "postgresql" if BACKEND == "sqlite" else "sqlite"


def line_of(path, fragment):
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if fragment in line:
                return number
    raise AssertionError(f"{fragment!r} not in {path}")


class DialectSections(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config()

    def test_dialect_section_replaces_generic_one(self):
        self.project.core_migration("d1d1d1d1d1d1", sections=[
            ("upgrade", create_table("generic_t")),
            ("upgrade dialect:sqlite", create_table("t_sqlite")),
            ("upgrade dialect:postgresql", create_table("t_postgresql")),
            ("downgrade", drop_table("generic_t")),
            ("downgrade dialect:sqlite", drop_table("t_sqlite")),
            ("downgrade dialect:postgresql", drop_table("t_postgresql")),
        ])
        # only one dialect has its own section here: the other runs the generic one
        self.project.core_migration("d2d2d2d2d2d2", "d1d1d1d1d1d1", sections=[
            ("upgrade", create_table("generic_u")),
            (f"upgrade dialect:{BACKEND}", create_table(f"u_{BACKEND}")),
            ("downgrade", drop_table("generic_u")),
            (f"downgrade dialect:{BACKEND}", drop_table(f"u_{BACKEND}")),
        ])
        self.project.core_migration("d3d3d3d3d3d3", "d2d2d2d2d2d2", sections=[
            ("upgrade", create_table("generic_v")),
            (f"upgrade dialect:{OTHER}", create_table(f"v_{OTHER}")),
            ("downgrade", drop_table("generic_v")),
            (f"downgrade dialect:{OTHER}", drop_table(f"v_{OTHER}")),
        ])
        self.ok("migrate", "upgrade")
        self.assertEqual(self.db.user_tables(), sorted([f"t_{BACKEND}", f"u_{BACKEND}", "generic_v"]))
        self.ok("migrate", "downgrade", "base")
        self.assertEqual(self.db.user_tables(), [])

    def test_only_other_dialect_section_is_an_error(self):
        self.project.core_migration("e1e1e1e1e1e1", upgrade=create_table("t1"), downgrade=drop_table("t1"))
        path = self.project.core_migration("e2e2e2e2e2e2", "e1e1e1e1e1e1", sections=[
            (f"upgrade dialect:{OTHER}", create_table("t2")),
            ("downgrade", drop_table("t2")),
        ])
        self.ok("migrate", "upgrade", "e1e1e1e1e1e1")
        self.assertFails(["migrate", "upgrade"], 2, path, "e2e2e2e2e2e2", "has no upgrade section")
        self.assertVersions(["e1e1e1e1e1e1"])

    def test_statement_splitting(self):
        # semicolons inside strings, quoted identifiers and comments do not split statements;
        # a trigger body (SQLite) and a dollar-quoted block (PostgreSQL) stay whole
        self.project.core_migration("s1s1s1s1s1s1", sections=[
            ("upgrade", """
                CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL, "odd;name" TEXT);
                -- a comment; with a semicolon
                INSERT INTO note (id, body) VALUES (1, 'one; two');  /* block; comment */
                INSERT INTO note (id, body) VALUES (2, 'it''s; fine');
                CREATE TABLE audit (note_id INTEGER)
            """),
            ("upgrade dialect:sqlite", """
                CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL, "odd;name" TEXT);
                -- a comment; with a semicolon
                INSERT INTO note (id, body) VALUES (1, 'one; two');  /* block; comment */
                INSERT INTO note (id, body) VALUES (2, 'it''s; fine');
                CREATE TABLE audit (note_id INTEGER);
                CREATE TRIGGER note_audit AFTER INSERT ON note BEGIN
                    INSERT INTO audit (note_id) VALUES (NEW.id);
                    INSERT INTO audit (note_id) VALUES (NEW.id + 100);
                END;
                INSERT INTO note (id, body) VALUES (3, 'three');
            """),
            ("upgrade dialect:postgresql", """
                CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL, "odd;name" TEXT);
                -- a comment; with a semicolon
                INSERT INTO note (id, body) VALUES (1, 'one; two');  /* block; comment */
                INSERT INTO note (id, body) VALUES (2, 'it''s; fine');
                CREATE TABLE audit (note_id INTEGER);
                CREATE FUNCTION note_audit() RETURNS trigger AS $body$
                BEGIN
                    INSERT INTO audit (note_id) VALUES (NEW.id);
                    INSERT INTO audit (note_id) VALUES (NEW.id + 100);
                    RETURN NEW;
                END;
                $body$ LANGUAGE plpgsql;
                CREATE TRIGGER note_audit AFTER INSERT ON note FOR EACH ROW EXECUTE FUNCTION note_audit();
                DO $$ BEGIN INSERT INTO note (id, body) VALUES (3, 'three'); END $$;
            """),
            ("downgrade", "DROP TABLE note; DROP TABLE audit;"),
        ])
        self.ok("migrate", "upgrade")
        self.assertEqual(self.db.query("SELECT id, body FROM note ORDER BY id"),
                         [(1, "one; two"), (2, "it's; fine"), (3, "three")])
        self.assertEqual(self.db.query("SELECT note_id FROM audit ORDER BY note_id"), [(3,), (103,)])
        self.assertEqual(self.db.columns("note"), ["id", "body", "odd;name"])


class NonTransactional(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config()
        self.project.core_migration("b0b0b0b0b0b0", message="create item", downgrade=drop_table("item"),
                                    upgrade="CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT);")

    def test_transaction_false_section(self):
        self.project.core_migration("c1c1c1c1c1c1", "b0b0b0b0b0b0", sections=[
            ("upgrade transaction:false", "CREATE INDEX item_name_idx ON item (name);"),
            ("upgrade dialect:postgresql transaction:false",
             "CREATE INDEX CONCURRENTLY item_name_idx ON item (name);"),
            ("downgrade transaction:false", "DROP INDEX item_name_idx;"),
            ("downgrade dialect:postgresql transaction:false", "DROP INDEX CONCURRENTLY item_name_idx;"),
        ])
        self.ok("migrate", "upgrade")
        self.assertEqual(self.db.indexes(), ["item_name_idx"])
        if BACKEND == "postgresql":
            self.assertTrue(self.db.index_is_valid("item_name_idx"))
        self.assertVersions(["c1c1c1c1c1c1"])
        self.assertEqual(self.db.history_pairs()[-1], ("c1c1c1c1c1c1", "upgrade"))
        self.ok("migrate", "downgrade", "-1")
        self.assertEqual(self.db.indexes(), [])
        self.assertVersions(["b0b0b0b0b0b0"])

    def test_concurrently_in_a_transaction_fails(self):
        if BACKEND != "postgresql":
            self.skipTest("PostgreSQL only")
        path = self.project.core_migration("c2c2c2c2c2c2", "b0b0b0b0b0b0",
                                           upgrade="CREATE INDEX CONCURRENTLY item_name_idx ON item (name);",
                                           downgrade="DROP INDEX item_name_idx;")
        self.ok("migrate", "upgrade", "b0b0b0b0b0b0")
        self.assertFails(["migrate", "upgrade"], 1, path, "cannot run inside a transaction block")
        self.assertVersions(["b0b0b0b0b0b0"])

    def test_transaction_false_failure_keeps_earlier_statements(self):
        # outside a transaction, statements that ran stay; the revision is not recorded
        path = self.project.core_migration("c3c3c3c3c3c3", "b0b0b0b0b0b0", sections=[
            ("upgrade transaction:false",
             "CREATE INDEX item_name_idx ON item (name);\nCREATE INDEX broken_idx ON no_such_table (x);"),
            ("downgrade transaction:false", "DROP INDEX item_name_idx;"),
        ])
        self.ok("migrate", "upgrade", "b0b0b0b0b0b0")
        res = self.fk("migrate", "upgrade")
        # the sentence says that the mark stays and how to resolve it
        self.assertExit(res, 1, f"core: upgrade of revision c3c3c3c3c3c3 failed at {path}:{line_of(path, 'broken_idx')}: ",
                        "no_such_table",
                        "(statement: CREATE INDEX broken_idx ON no_such_table (x)",
                        "); the section ran outside a transaction, so statement 1 of 2 "
                        f"(line {line_of(path, 'item_name_idx')}) completed and stays, and fastappkit_unfinished "
                        "marks it as started: check the database, then run 'fastappkit migrate resolve "
                        "c3c3c3c3c3c3 --applied' if the section completed (finish it by hand from statement 2 "
                        "first if needed) or '--rolled-back' if it left nothing behind (undo statement 1 first)")
        self.assertOneSentence(res)
        self.assertEqual(self.db.query("SELECT revision, direction FROM fastappkit_unfinished"),
                         [("c3c3c3c3c3c3", "upgrade")])
        self.assertVersions(["b0b0b0b0b0b0"])
        self.assertEqual(self.db.indexes(), ["item_name_idx"])
        self.assertEqual([r for r, _ in self.db.history_pairs()], ["b0b0b0b0b0b0"])
        # half of it ran: the history is refused until the user records what they found
        self.assertFails(["migrate", "upgrade"], 1, "revision c3c3c3c3c3c3",
                         "fastappkit migrate resolve c3c3c3c3c3c3 --applied")
        self.db.execute("DROP INDEX item_name_idx")
        self.ok("migrate", "resolve", "c3c3c3c3c3c3", "--rolled-back")
        self.assertExit(self.fk("migrate", "upgrade"), 1, f"{path}:{line_of(path, 'broken_idx')}", "no_such_table")

    def test_an_older_unfinished_table_gains_the_progress_columns(self):
        """A database whose fastappkit_unfinished an older fastappkit created (no progress
        columns): its mark still refuses, and the next section's mark adds the columns."""
        self.ok("migrate", "upgrade")
        path = self.project.core_migration("c5c5c5c5c5c5", "b0b0b0b0b0b0", sections=[
            ("upgrade transaction:false", "CREATE INDEX item_name_idx ON item (name);\nCREATE INDEX x ON nope (x);"),
            ("downgrade transaction:false", "DROP INDEX item_name_idx;"),
        ])
        self.db.execute("CREATE TABLE fastappkit_unfinished (version_table VARCHAR(64) NOT NULL, revision "
                        "VARCHAR(32) NOT NULL, direction VARCHAR(10) NOT NULL, started_at VARCHAR(32) NOT NULL)")
        self.db.execute("INSERT INTO fastappkit_unfinished VALUES ('alembic_version', 'c5c5c5c5c5c5', "
                        "'upgrade', '2026-01-01T00:00:00Z')")
        self.assertFails(["migrate", "upgrade"], 1,
                         f"core: the transaction:false upgrade section of revision c5c5c5c5c5c5 ({path}) started "
                         "at 2026-01-01T00:00:00Z but never recorded its outcome (the runner was stopped or failed "
                         "part-way), so the schema may be partly changed; check the database, then run 'fastappkit "
                         "migrate resolve c5c5c5c5c5c5 --applied' if the section completed (finish it by hand first "
                         "if needed) or '--rolled-back' if it left nothing behind")
        self.assertIn("c5c5c5c5c5c5 started at 2026-01-01T00:00:00Z has not finished (running",
                      self.ok("migrate", "status").out)
        res = self.ok("migrate", "resolve", "c5c5c5c5c5c5", "--rolled-back")
        self.assertEqual(res.out.strip(), "Recorded the upgrade of core revision c5c5c5c5c5c5 as rolled back")
        self.assertExit(self.fk("migrate", "upgrade"), 1, "statement 1 of 2")
        self.assertEqual(self.db.query("SELECT revision, completed_statements, statement_count, completed_line, "
                                       "next_line FROM fastappkit_unfinished"),
                         [("c5c5c5c5c5c5", 1, 2, line_of(path, "item_name_idx ON"), line_of(path, "nope"))])

    def test_transaction_false_failure_names_the_statements_that_completed(self):
        """Statement 3 of 3 fails: the failure, the refusal, `migrate status` (text and JSON) and
        `migrate resolve` name the 2 of 3 that completed."""
        path = self.project.core_migration("c4c4c4c4c4c4", "b0b0b0b0b0b0", sections=[
            ("upgrade transaction:false",
             "CREATE INDEX item_name_idx ON item (name);\n"
             "-- the second one\n"
             "CREATE INDEX item_id_name_idx ON item (id, name);\n\n"
             "INSERT INTO no_such_table VALUES (1);"),
            ("downgrade transaction:false", "DROP INDEX item_id_name_idx;\nDROP INDEX item_name_idx;"),
        ])
        second, third = line_of(path, "item_id_name_idx ON"), line_of(path, "no_such_table")
        self.ok("migrate", "upgrade", "b0b0b0b0b0b0")
        res = self.fk("migrate", "upgrade")
        self.assertExit(res, 1, f"core: upgrade of revision c4c4c4c4c4c4 failed at {path}:{third}: ",
                        "; the section ran outside a transaction, so statements 1 to 2 of 3 (the last at line "
                        f"{second}) completed and stay, and fastappkit_unfinished marks it as started: check "
                        "the database, then run 'fastappkit migrate resolve c4c4c4c4c4c4 --applied' if the "
                        "section completed (finish it by hand from statement 3 first if needed) or "
                        "'--rolled-back' if it left nothing behind (undo statements 1 to 2 first)")
        self.assertOneSentence(res)
        self.assertEqual(self.db.query("SELECT revision, completed_statements, statement_count, completed_line, "
                                       "next_line FROM fastappkit_unfinished"),
                         [("c4c4c4c4c4c4", 2, 3, second, third)])
        res = self.assertFails(["migrate", "upgrade"], 1,
                               "core: the transaction:false upgrade section of revision c4c4c4c4c4c4 "
                               f"({path}) started at ",
                               " but never recorded its outcome: it stopped after statement 2 of 3 "
                               f"(line {second}) completed, so statement 3 (line {third}) may have run partly "
                               "or not at all; check the database, then run 'fastappkit migrate resolve "
                               "c4c4c4c4c4c4 --applied' if the section completed (finish it by hand from "
                               "statement 3 first if needed) or '--rolled-back' if it left nothing behind "
                               "(undo statements 1 to 2 first)")
        res = self.ok("migrate", "status")
        self.assertIn("the transaction:false section of c4c4c4c4c4c4 started at ", res.out)
        self.assertIn(f"has not finished: statement 2 of 3 (line {second}) completed so far (running, or "
                      "interrupted: see 'fastappkit migrate resolve')", res.out)
        core = json.loads(self.ok("--json", "migrate", "status").out)["histories"][0]
        self.assertEqual(core["unfinished"], "c4c4c4c4c4c4")
        section = core["unfinished_section"]
        self.assertTrue(section.pop("started_at"))
        self.assertEqual(section, {"revision": "c4c4c4c4c4c4", "direction": "upgrade",
                                   "completed_statements": 2, "statements": 3,
                                   "completed_line": second, "next_line": third})
        # the user undoes the two indexes and records that nothing is left
        self.db.execute("DROP INDEX item_id_name_idx")
        self.db.execute("DROP INDEX item_name_idx")
        res = self.ok("migrate", "resolve", "c4c4c4c4c4c4", "--rolled-back")
        self.assertEqual(res.out.strip(), "Recorded the upgrade of core revision c4c4c4c4c4c4 as rolled back; "
                                          f"its mark said statement 2 of 3 (line {second}) completed")
        self.assertEqual(self.db.query("SELECT count(*) FROM fastappkit_unfinished"), [(0,)])
        self.assertVersions(["b0b0b0b0b0b0"])
        self.assertEqual(self.db.indexes(), [])
        self.assertIsNone(json.loads(self.ok("--json", "migrate", "status").out)["histories"][0]
                          ["unfinished_section"])


class Downgrades(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config()

    def test_empty_downgrade_is_a_no_op(self):
        self.project.core_migration("e1e1e1e1e1e1", upgrade=create_table("kept"), downgrade="")
        self.ok("migrate", "upgrade")
        res = self.ok("migrate", "downgrade", "base")
        self.assertIn("Reverted 1 migration", res.out)
        self.assertVersions([])
        self.assertEqual(self.db.user_tables(), ["kept"])
        self.assertEqual(self.db.history_pairs(), [("e1e1e1e1e1e1", "upgrade"), ("e1e1e1e1e1e1", "downgrade")])

    def test_missing_downgrade_is_irreversible(self):
        self.project.core_migration("f1f1f1f1f1f1", upgrade=create_table("t1"), downgrade=drop_table("t1"))
        path = self.project.core_migration("f2f2f2f2f2f2", "f1f1f1f1f1f1", upgrade=create_table("t2"),
                                           downgrade=None)
        self.project.core_migration("f3f3f3f3f3f3", "f2f2f2f2f2f2", upgrade=create_table("t3"),
                                    downgrade=drop_table("t3"))
        self.ok("migrate", "upgrade")
        # refused before anything runs: not even f3 (which is reversible) is reverted
        self.assertFails(["migrate", "downgrade", "base"], 1, "f2f2f2f2f2f2", path, "irreversible")
        self.assertFails(["migrate", "downgrade", "-2"], 1, "f2f2f2f2f2f2", "irreversible")
        self.assertVersions(["f3f3f3f3f3f3"])
        self.assertEqual(self.db.user_tables(), ["t1", "t2", "t3"])
        # above the irreversible revision, downgrades work
        self.ok("migrate", "downgrade", "f2f2f2f2f2f2")
        self.assertVersions(["f2f2f2f2f2f2"])
        self.assertEqual(self.db.user_tables(), ["t1", "t2"])


class FailingMigration(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config()
        self.project.core_migration("aa0000000001", upgrade=create_table("first"), downgrade=drop_table("first"))
        self.project.core_migration("aa0000000002", "aa0000000001", upgrade=create_table("second"),
                                    downgrade=drop_table("second"))
        self.third = self.project.core_migration("aa0000000003", "aa0000000002", upgrade="""
            CREATE TABLE third (id INTEGER PRIMARY KEY);
            INSERT INTO third (id) VALUES (1);
            INSERT INTO no_such_table (id) VALUES (1);
            CREATE TABLE never (id INTEGER);
        """, downgrade="DROP TABLE third;")

    def test_third_of_three_fails(self):
        res = self.fk("migrate", "upgrade")
        line = line_of(self.third, "no_such_table")
        self.assertExit(res, 1, f"{self.third}:{line}", "aa0000000003")
        db_message = "no such table: no_such_table" if BACKEND == "sqlite" else \
            'relation "no_such_table" does not exist'
        self.assertIn(db_message, res.err)
        self.assertOneSentence(res)
        # the first two stay applied, the third is rolled back entirely (its CREATE TABLE too)
        self.assertEqual(self.db.user_tables(), ["first", "second"])
        self.assertVersions(["aa0000000002"])
        self.assertEqual(self.db.history_pairs(), [("aa0000000001", "upgrade"), ("aa0000000002", "upgrade")])
        self.assertRegex(res.out, r"(?m)^core aa0000000002 ")
        # running again fails the same way and changes nothing
        self.assertFails(["migrate", "upgrade"], 1, f"{self.third}:{line}", db_message)

    def test_failing_downgrade_is_rolled_back(self):
        self.project.write(self.third, migration("aa0000000003", "aa0000000002",
                                                 upgrade=create_table("third"),
                                                 downgrade="DROP TABLE third;\nDROP TABLE no_such_table;"))
        self.ok("migrate", "upgrade")
        res = self.assertFails(["migrate", "downgrade", "base"], 1, self.third, "no_such_table")
        self.assertIn(f"{self.third}:{line_of(self.third, 'DROP TABLE no_such_table')}", res.err)
        self.assertEqual(self.db.user_tables(), ["first", "second", "third"])
        self.assertVersions(["aa0000000003"])


if __name__ == "__main__":
    main()
