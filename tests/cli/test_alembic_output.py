"""Output as Alembic 1.8 prints it (tests/interop/alembic_parity.py compares with Alembic
itself): `current` with the heads implied through depends_on, `heads` and `history` with branch
labels on the whole labelled branch; `status` listing pending revisions; and a redundant
version row, as Alembic can leave one, removed by the next write."""
import json

from fastappkit_testing import BACKEND, CliTestCase, create_table, drop_table, main, pg_password

C1, C2 = "c1c1c1c1c1c1", "c2c2c2c2c2c2"
X1, X2 = "e1e1e1e1e1e1", "e2e2e2e2e2e2"


class AlembicOutput(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config(apps=[])
        self.add(C1, None, "tc1")
        self.add(C2, C1, "tc2")
        self.add(X1, None, "tx1", depends_on=C1)
        self.add(X2, X1, "tx2", branch_labels="ext")

    def add(self, rev, down, table, **kw):
        self.project.core_migration(rev, down, upgrade=create_table(table), downgrade=drop_table(table),
                                    message=f"create {table}", **kw)

    def lines(self, *args):
        return self.ok(*args).out.splitlines()

    def test_current_shows_the_heads_implied_through_depends_on(self):
        self.ok("migrate", "upgrade", X1)
        self.assertVersions([X1])
        self.assertEqual(self.lines("migrate", "current"), [X1, C1])
        doc = json.loads(self.ok("--json", "migrate", "current").out)
        self.assertEqual((doc["current"], doc["heads"]), ([X1], [X1, C1]))
        self.ok("migrate", "upgrade", "heads")
        self.assertEqual(sorted(self.lines("migrate", "current")), [f"{C2} (head)", f"{X2} (head)"])

    def test_heads_and_history(self):
        # the label, set on the branch's second revision, names the whole branch
        self.assertEqual(self.lines("migrate", "heads"), [f"{C2} (head)", f"{X2} (ext) (head)"])
        self.assertEqual(self.lines("migrate", "history"), [  # Alembic's order (alembic_parity.py)
            f"{C1} -> {C2} (head), create tc2",
            f"{X1} -> {X2} (ext) (head), create tx2",
            f"<base> ({C1}) -> {X1} (ext), create tx1",
            f"<base> -> {C1}, create tc1",  # a dependent does not make a branch point
        ])

    def test_status_lists_pending_revisions_in_run_order(self):
        self.ok("migrate", "upgrade", C1)
        out = self.ok("migrate", "status").out.splitlines()
        # the database first: the SQLite file, or the server with the password masked
        self.assertEqual(out[0], f"Database: {self.db.sqlite_path} (SQLite)" if BACKEND == "sqlite" else
                         f"Database: {self.db.url.replace(':' + pg_password() + '@', ':***@')} (PostgreSQL)")
        self.assertRegex(out[1], rf"^core\s+alembic_version\s+at {C1}\s+1 applied, 3 pending$")
        self.assertEqual(out[2:], [f"    {C2} create tc2", f"    {X1} create tx1", f"    {X2} create tx2"])
        doc = json.loads(self.ok("--json", "migrate", "status").out)
        self.assertEqual(doc["histories"][0]["pending_revisions"], [
            {"revision": C2, "message": "create tc2"}, {"revision": X1, "message": "create tx1"},
            {"revision": X2, "message": "create tx2"}])
        self.ok("migrate", "upgrade", "heads")
        self.assertEqual(len(self.ok("migrate", "status").out.splitlines()), 2)

    def test_next_write_removes_a_redundant_row(self):
        self.ok("migrate", "upgrade", X1)
        # Alembic can leave the row of a dependency beside the row that depends on it
        self.db.execute(f"INSERT INTO alembic_version (version_num) VALUES ('{C1}')")
        self.assertVersions([C1, X1])
        self.assertEqual(sorted(self.lines("migrate", "current")), sorted([X1, C1]))
        self.ok("migrate", "upgrade", X2)
        self.assertVersions([X2])
        self.assertEqual(self.db.user_tables(), ["tc1", "tx1", "tx2"])


if __name__ == "__main__":
    main()
