"""Linear histories: upgrade, downgrade, relative and prefix revision specs, and their errors."""
import glob
import os
import time

from fastappkit_testing import CliTestCase, create_table, drop_table, main, migration

REVS = ["1a0000000001", "2b0000000002", "3c0000000003", "4d0000000004"]
HEAD = REVS[-1]


class LinearHistory(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config()
        prev = None
        for i, rev in enumerate(REVS, 1):
            self.project.core_migration(rev, prev, message=f"create t{i}",
                                        upgrade=create_table(f"t{i}"), downgrade=drop_table(f"t{i}"))
            prev = rev

    def at(self, n):
        """Asserts the database is at REVS[n-1] (n == 0: base) with tables t1..tn."""
        self.assertEqual(self.db.user_tables(), [f"t{i}" for i in range(1, n + 1)])
        self.assertVersions([] if n == 0 else [REVS[n - 1]])

    def test_upgrade_head_applies_everything_and_records_history(self):
        res = self.ok("migrate", "upgrade")
        self.at(4)
        history = self.db.history()
        self.assertEqual([(h["version_table"], h["revision"], h["direction"]) for h in history],
                         [("alembic_version", r, "upgrade") for r in REVS])
        for h in history:
            self.assertRegex(h["checksum"], r"^[0-9a-f]{64}$")
            self.assertRegex(h["applied_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
            self.assertGreaterEqual(int(h["duration_ms"]), 0)
        # one progress line per migration, then a summary
        for i, rev in enumerate(REVS, 1):
            self.assertRegex(res.out, rf"(?m)^core {rev} create t{i} … \d+ ms$")
        self.assertRegex(res.out, r"(?m)^Applied 4 migrations in \d+ ms$")
        # nothing left to do: exit 0, the database unchanged
        before = self.db.snapshot()
        res = self.ok("migrate", "upgrade", "head")
        self.assertIn(f"core is up to date ({HEAD})", res.out)
        self.assertEqual(self.db.snapshot(), before)

    def test_version_and_history_tables_match_alembic(self):
        self.ok("migrate", "upgrade", "+1")
        self.assertEqual(self.db.columns("alembic_version"), ["version_num"])
        self.assertEqual(self.db.columns("fastappkit_history"),
                         ["version_table", "revision", "direction", "checksum", "applied_at", "duration_ms"])
        if self.db.backend == "sqlite":
            sql = self.db.query("SELECT sql FROM sqlite_master WHERE name = 'alembic_version'")[0][0]
            self.assertRegex(sql, r"version_num VARCHAR\(32\) NOT NULL")
            self.assertIn("CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)", sql)
        else:
            self.assertEqual(self.db.query(
                "SELECT data_type, character_maximum_length, is_nullable FROM information_schema.columns "
                "WHERE table_name = 'alembic_version' AND column_name = 'version_num'"),
                [("character varying", 32, "NO")])
            self.assertEqual(self.db.query(
                "SELECT constraint_name, constraint_type FROM information_schema.table_constraints "
                "WHERE table_name = 'alembic_version' AND constraint_type = 'PRIMARY KEY'"),
                [("alembic_version_pkc", "PRIMARY KEY")])
        (row,) = self.db.history()
        self.assertRegex(row["applied_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$")

    def test_upgrade_to_revision_positional_and_option(self):
        self.ok("migrate", "upgrade", REVS[1])
        self.at(2)
        self.ok("migrate", "upgrade", "-r", REVS[2])
        self.at(3)
        self.ok("migrate", "upgrade", "--revision", "head")
        self.at(4)

    def test_relative_upgrade_and_downgrade(self):
        self.ok("migrate", "upgrade", "+1")
        self.at(1)
        self.ok("migrate", "upgrade", "+2")
        self.at(3)
        self.ok("migrate", "downgrade", "-1")
        self.at(2)
        self.ok("migrate", "upgrade", f"{REVS[1]}+2")  # rev+N counts from rev, not from current
        self.at(4)
        self.ok("migrate", "downgrade", f"{HEAD}-3")
        self.at(1)
        self.assertEqual(self.db.history_pairs()[-3:],
                         [(REVS[3], "downgrade"), (REVS[2], "downgrade"), (REVS[1], "downgrade")])
        self.ok("migrate", "downgrade", "-1")
        self.at(0)

    def test_downgrade_base_reverts_in_reverse_order(self):
        self.ok("migrate", "upgrade")
        res = self.ok("migrate", "downgrade", "base")
        self.at(0)
        self.assertEqual(self.db.history_pairs()[4:], [(r, "downgrade") for r in reversed(REVS)])
        self.assertRegex(res.out, rf"(?m)^core {HEAD} \(downgrade\) create t4 … \d+ ms$")
        self.assertRegex(res.out, r"(?m)^Reverted 4 migrations in \d+ ms$")
        # the version table stays, empty, like Alembic's
        self.assertIn("alembic_version", self.db.tables())

    def test_downgrade_to_revision(self):
        self.ok("migrate", "upgrade")
        self.ok("migrate", "downgrade", REVS[1])
        self.at(2)
        self.ok("migrate", "downgrade", "-r", REVS[0])
        self.at(1)

    def test_unique_prefixes(self):
        self.ok("migrate", "upgrade", "2b")
        self.at(2)
        self.ok("migrate", "upgrade", "3c00")
        self.at(3)
        self.ok("migrate", "downgrade", "1a")
        self.at(1)

    def test_ambiguous_prefix_lists_candidates(self):
        self.project.core_migration("2b9999999999", REVS[0], upgrade=create_table("other"),
                                    downgrade=drop_table("other"))
        self.ok("migrate", "upgrade", REVS[0])
        self.assertFails(["migrate", "upgrade", "2b"], 2,
                               "Multiple revisions start with '2b'", "2b0000000002", "2b9999999999")
        self.at(1)

    def test_unknown_revision_spec(self):
        self.ok("migrate", "upgrade", REVS[1])
        self.assertFails(["migrate", "upgrade", "zz"], 2, "Can't locate revision identified by 'zz'")
        self.assertFails(["migrate", "downgrade", "9f9f"], 2, "Can't locate revision identified by '9f9f'")
        self.at(2)

    def test_relative_overwalk_errors(self):
        self.ok("migrate", "stamp", "base")  # an existing, empty database
        self.assertFails(["migrate", "downgrade", "-1"], 2,
                         "Relative revision -1 didn't produce 1 migrations")
        self.ok("migrate", "upgrade", "+3")
        self.assertFails(["migrate", "upgrade", "+2"], 2,
                         "Relative revision +2 didn't produce 2 migrations")
        self.assertFails(["migrate", "downgrade", "-5"], 2,
                         "Relative revision -5 didn't produce 5 migrations")
        self.assertFails(["migrate", "downgrade", f"{HEAD}+1"], 2, "Walked too far")
        self.at(3)

    def test_bad_spec_does_not_create_a_missing_sqlite_database(self):
        if self.db.backend != "sqlite":
            self.skipTest("SQLite only")
        self.assertFails(["migrate", "downgrade", "-1"], 2,
                         "Relative revision -1 didn't produce 1 migrations")
        self.assertFails(["migrate", "upgrade", "zz"], 2, "Can't locate revision identified by 'zz'")
        self.assertFalse(self.db.exists(), "a rejected command created the SQLite file")

    def test_downgrade_target_above_current(self):
        self.ok("migrate", "upgrade", REVS[1])
        self.assertFails(["migrate", "downgrade", HEAD], 1,
                         f"Destination {HEAD} is not a valid downgrade target from current head(s)")
        self.at(2)

    def test_downgrade_needs_a_revision(self):
        self.ok("migrate", "upgrade")
        res = self.fk("migrate", "downgrade")
        self.assertEqual(res.code, 2, repr(res))
        self.at(4)

    def test_current_and_history(self):
        self.ok("migrate", "upgrade", REVS[2])
        res = self.ok("migrate", "current")
        self.assertEqual(res.out.strip(), REVS[2])
        res = self.ok("migrate", "history")
        lines = res.out.strip().splitlines()
        self.assertEqual(len(lines), 4)
        self.assertIn(HEAD, lines[0])
        self.assertIn("(head)", lines[0])
        self.assertTrue(lines[-1].startswith(f"<base> -> {REVS[0]}"), lines[-1])
        res = self.ok("migrate", "heads")
        self.assertEqual(res.out.strip(), f"{HEAD} (head)")

    def test_stamp_and_purge(self):
        self.ok("migrate", "upgrade", REVS[0])
        res = self.ok("migrate", "stamp", REVS[2])
        self.assertIn(f"Stamped core at {REVS[2]}", res.out)
        # stamp runs no migration and writes no history row
        self.assertEqual(self.db.user_tables(), ["t1"])
        self.assertVersions([REVS[2]])
        self.assertEqual(self.db.history_pairs(), [(REVS[0], "upgrade")])
        self.ok("migrate", "upgrade")
        self.assertEqual(self.db.user_tables(), ["t1", "t4"])
        self.assertVersions([HEAD])
        self.ok("migrate", "stamp", "-r", REVS[1], "--purge")
        self.assertVersions([REVS[1]])
        self.assertEqual(self.db.user_tables(), ["t1", "t4"])
        self.assertFails(["migrate", "stamp", "nope"], 2, "Can't locate revision identified by 'nope'")
        self.assertVersions([REVS[1]])

    def test_stamp_base_removes_the_version_rows(self):
        # Alembic: `stamp base` leaves the version table empty.
        self.ok("migrate", "upgrade")
        res = self.ok("migrate", "stamp", "base")
        self.assertVersions([])
        self.assertIn("Stamped core at base", res.out)
        self.assertEqual(self.db.user_tables(), ["t1", "t2", "t3", "t4"])


class HeaderIndex(CliTestCase):
    """Parsed headers are kept in $FASTAPPKIT_CACHE_DIR; the files always win."""

    def setUp(self):
        super().setUp()
        self.project.config()
        self.cache = os.path.join(self.tmp, "cache")
        self.env = {"FASTAPPKIT_CACHE_DIR": self.cache}
        self.first = self.project.core_migration(REVS[0], None, message="create t1", upgrade=create_table("t1"))
        self.second = self.project.core_migration(REVS[1], REVS[0], message="create t2",
                                                  upgrade=create_table("t2"))
        time.sleep(2.1)  # files changed in the last two seconds are not indexed yet

    def index_files(self):
        return glob.glob(os.path.join(self.cache, "headers", "*.idx"))

    def test_an_edited_file_is_read_again(self):
        self.ok("migrate", "upgrade", env=self.env)
        self.assertEqual(len(self.index_files()), 1)
        with open(self.index_files()[0], "rb") as f:
            self.assertIn(REVS[1].encode(), f.read())
        # same size, other message: seen at once
        with open(self.second, "w") as f:
            f.write(migration(REVS[1], REVS[0], message="CREATE T2", upgrade=create_table("t2")))
        self.assertIn("CREATE T2", self.ok("migrate", "history", env=self.env).out)
        # an added file is planned, a removed one is gone
        self.project.core_migration(REVS[2], REVS[1], message="create t3", upgrade=create_table("t3"))
        self.ok("migrate", "upgrade", env=self.env)
        self.assertVersions([REVS[2]])
        os.remove(self.first)
        self.assertFails(["migrate", "heads"], 2, REVS[0], env=self.env)

    def test_a_corrupt_index_is_ignored(self):
        self.ok("migrate", "heads", env=self.env)
        for path in self.index_files():
            with open(path, "r+b") as f:
                f.seek(40)
                f.write(b"garbage")
        self.ok("migrate", "upgrade", env=self.env)
        self.assertVersions([REVS[1]])

    def test_the_indexed_no_op_checks_the_version_rows(self):
        # Everything indexed: a no-op is told from the index's summary and the version rows.
        self.ok("migrate", "all", env=self.env)
        res = self.ok("migrate", "all", env=self.env)
        self.assertIn(f"core is up to date ({REVS[1]})", res.out)
        self.assertVersions([REVS[1]])
        # Rows that are not the head: planned from the headers as ever.
        self.db.execute("DROP TABLE t2")
        self.db.execute(f"UPDATE alembic_version SET version_num = '{REVS[0]}'")
        self.ok("migrate", "all", env=self.env)
        self.assertIn("t2", self.db.user_tables())
        self.assertVersions([REVS[1]])
        # A revision the history does not hold: Alembic's refusal (a database state), nothing changed.
        self.db.execute("UPDATE alembic_version SET version_num = 'feedfacecafe'")
        self.assertFails(["migrate", "all"], 1, "Can't locate revision identified by 'feedfacecafe'",
                         env=self.env)
        self.db.execute(f"UPDATE alembic_version SET version_num = '{REVS[1]}'")
        # A second head (indexed once it is older than two seconds): `head` is ambiguous.
        self.project.core_migration(REVS[2], REVS[0], message="branch", upgrade=create_table("t3"))
        time.sleep(2.1)
        self.ok("migrate", "heads", env=self.env)  # indexes it
        self.assertFails(["migrate", "all"], 2, "Multiple head revisions are present", env=self.env)

    def test_an_unwritable_cache_is_skipped(self):
        blocker = os.path.join(self.tmp, "file")
        with open(blocker, "w") as f:
            f.write("x")
        env = {"FASTAPPKIT_CACHE_DIR": os.path.join(blocker, "cache")}
        self.ok("migrate", "upgrade", env=env)
        self.assertVersions([REVS[1]])
        self.ok("migrate", "upgrade", env={"FASTAPPKIT_CACHE_DIR": "off"})


if __name__ == "__main__":
    main()
