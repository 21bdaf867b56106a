"""Branches, branch labels, merges, depends_on, several heads and stamp on a branched history.

Expected version rows follow Alembic 1.8 (RevisionMap + HeadMaintainer), checked by hand against
Alembic for each case below.
"""
import os

from fastappkit_testing import CliTestCase, create_table, drop_table, main

R0, A1, A2, B1 = "r0aaaaaaaaaa", "a1aaaaaaaaaa", "a2aaaaaaaaaa", "b1bbbbbbbbbb"


class Branches(CliTestCase):
    """r0 -> a1 (label alpha) -> a2, and r0 -> b1 (label beta): two heads."""

    def setUp(self):
        super().setUp()
        self.project.config()
        self.add(R0, None, "t0")
        self.add(A1, R0, "ta1", branch_labels="alpha")
        self.add(A2, A1, "ta2")
        self.add(B1, R0, "tb1", branch_labels="beta")

    def add(self, rev, down, table, **kw):
        self.project.core_migration(rev, down, upgrade=create_table(table), downgrade=drop_table(table),
                                    message=f"create {table}", **kw)

    def versions_dir_files(self):
        return sorted(os.listdir(self.project.core_dir()))

    def test_upgrade_head_with_multiple_heads_fails(self):
        self.ok("migrate", "upgrade", R0)
        res = self.assertFails(["migrate", "upgrade"], 2,
                               "Multiple head revisions are present for given argument 'head'", A2, B1,
                               "'heads'", "merge")
        self.assertFails(["migrate", "upgrade", "head"], 2,
                         "Multiple head revisions are present for given argument 'head'")
        self.assertFails(["migrate", "all"], 2,
                         "Multiple head revisions are present for given argument 'head'")
        self.assertVersions([R0])
        res = self.ok("migrate", "heads")  # as Alembic: the label covers the whole branch
        self.assertEqual(sorted(res.out.strip().splitlines()),
                         [f"{A2} (alpha) (head)", f"{B1} (beta) (head)"])

    def test_branches_merge_and_unmerge_version_rows(self):
        self.ok("migrate", "upgrade", R0)
        self.assertVersions([R0])
        self.ok("migrate", "upgrade", "alpha@head")
        self.assertVersions([A2])
        self.assertEqual(self.db.user_tables(), ["t0", "ta1", "ta2"])
        self.ok("migrate", "upgrade", "beta@head")
        self.assertVersions([A2, B1])  # two rows while branched
        res = self.ok("migrate", "current")  # as Alembic: no labels in `current`
        self.assertEqual(sorted(res.out.strip().splitlines()), [f"{A2} (head)", f"{B1} (head)"])
        self.ok("migrate", "downgrade", "alpha@-1")
        self.assertVersions([A1, B1])
        self.assertEqual(self.db.user_tables(), ["t0", "ta1", "tb1"])
        self.ok("migrate", "upgrade", "heads")
        self.assertVersions([A2, B1])

        # merge -m writes a revision joining both heads ...
        before_files = self.versions_dir_files()
        res = self.ok("migrate", "merge", "-m", "join alpha and beta")
        added = sorted(set(self.versions_dir_files()) - set(before_files))
        self.assertEqual(len(added), 1, res)
        text = self.project.read(os.path.join("core", "db", "migrations", "versions", added[0]))
        header = dict(line[3:].split(":", 1) for line in text.splitlines()
                      if line.startswith("-- ") and ":" in line and not line.startswith("-- migrate:"))
        merge_rev = header["revision"].strip()
        self.assertRegex(merge_rev, r"^[0-9a-f]{12}$")
        self.assertEqual(sorted(d.strip() for d in header["down_revision"].split(",")), [A2, B1])
        self.assertEqual(header["message"].strip(), "join alpha and beta")
        self.assertTrue(added[0].startswith(merge_rev + "_"), added[0])
        self.assertIn(merge_rev, res.out)
        # ... and the database did not move
        self.assertVersions([A2, B1])
        self.assertEqual(self.ok("migrate", "heads").out.strip().split()[0], merge_rev)

        # ... which upgrade then applies: one row after the merge
        self.ok("migrate", "upgrade")
        self.assertVersions([merge_rev])
        self.assertEqual(self.db.history_pairs()[-1], (merge_rev, "upgrade"))

        # downgrading the merge brings both rows back
        self.ok("migrate", "downgrade", A2)
        self.assertVersions([A2, B1])
        self.assertEqual(self.db.history_pairs()[-1], (merge_rev, "downgrade"))
        self.assertEqual(self.db.user_tables(), ["t0", "ta1", "ta2", "tb1"])
        self.ok("migrate", "upgrade", "head")
        self.assertVersions([merge_rev])
        # a relative step down from a merge point is ambiguous (Alembic: "Ambiguous walk")
        self.assertFails(["migrate", "downgrade", "-1"], 2, "Ambiguous walk")
        self.assertVersions([merge_rev])

    def test_merge_with_explicit_revisions_and_refusals(self):
        res = self.ok("migrate", "merge", "-m", "explicit", "a2aa", "b1bb")
        self.assertEqual(len(self.versions_dir_files()), 5)
        heads = self.ok("migrate", "heads").out.strip().splitlines()
        self.assertEqual(len(heads), 1, heads)
        # one head left: nothing to merge, and no file written
        before = self.versions_dir_files()
        res = self.fk("migrate", "merge", "-m", "again")
        self.assertExit(res, 2, "a merge needs at least two revisions")
        self.assertEqual(self.versions_dir_files(), before)
        res = self.fk("migrate", "merge", "-m", "again", "zzzz", A2)
        self.assertExit(res, 2, "Can't locate revision identified by 'zzzz'")
        self.assertEqual(self.versions_dir_files(), before)
        # the whole history now upgrades to its single head
        self.ok("migrate", "upgrade")
        self.assertEqual(self.db.user_tables(), ["t0", "ta1", "ta2", "tb1"])
        self.assertVersions([heads[0].split()[0]])

    def test_branch_label_relative_upgrade_from_other_branch(self):
        # Alembic backtracks to the branch point: beta@+1 from [a1] applies b1.
        self.ok("migrate", "upgrade", A1)
        self.assertVersions([A1])
        self.ok("migrate", "upgrade", "beta@+1")
        self.assertVersions([A1, B1])
        self.assertEqual(self.db.user_tables(), ["t0", "ta1", "tb1"])

    def test_relative_downgrade_from_several_heads_is_refused(self):
        # Alembic 1.8 warns that this is ambiguous and will be disallowed; the runner refuses it
        self.ok("migrate", "upgrade", "heads")
        self.assertFails(["migrate", "downgrade", "-1"], 2,
                         f"core: Ambiguous downgrade -1: the database is at several heads ({A2}, {B1}); name the "
                         f"branch to step back, as {A2}-1 (a head) or alpha@-1 (a branch label)")
        self.assertFails(["migrate", "downgrade", "-2"], 2, f"as {A2}-2 (a head) or alpha@-2 (a branch label)")
        self.ok("migrate", "downgrade", "beta@-1")
        self.assertVersions([A2])
        self.assertEqual(self.db.user_tables(), ["t0", "ta1", "ta2"])

    def test_branch_label_relative_upgrade_on_own_branch(self):
        self.ok("migrate", "upgrade", R0)
        self.ok("migrate", "upgrade", "alpha@+1")
        self.assertVersions([A1])
        self.ok("migrate", "upgrade", "alpha@+1")
        self.assertVersions([A2])
        self.assertFails(["migrate", "upgrade", "alpha@+1"], 2,
                         "Relative revision +1 didn't produce 1 migrations")
        self.assertVersions([A2])

    def test_unknown_branch_label(self):
        self.ok("migrate", "upgrade", R0)
        self.assertFails(["migrate", "upgrade", "nope@head"], 2, "nope")
        self.assertVersions([R0])

    def test_stamp_on_branches(self):
        self.ok("migrate", "upgrade", A2)
        # a head on another branch stays; the target's own lineage is replaced
        self.ok("migrate", "stamp", B1)
        self.assertVersions([A2, B1])
        self.ok("migrate", "stamp", A1)
        self.assertVersions([A1, B1])
        self.ok("migrate", "stamp", "--purge", R0)
        self.assertVersions([R0])
        self.ok("migrate", "stamp", "heads")
        self.assertVersions([A2, B1])
        self.assertEqual(self.db.user_tables(), ["t0", "ta1", "ta2"])  # stamp runs no SQL
        self.assertEqual([r for r, _ in self.db.history_pairs()], [R0, A1, A2])  # nor history rows


class DependsOn(CliTestCase):
    """c1 -> c2, where c2 depends_on a1 (a separate base labelled auth)."""

    C1, C2, AU = "c1cccccccccc", "c2cccccccccc", "a1aaaaaaaaaa"

    def setUp(self):
        super().setUp()
        self.project.config()
        self.project.core_migration(self.C1, None, upgrade=create_table("tc1"), downgrade=drop_table("tc1"))
        self.project.core_migration(self.AU, None, upgrade=create_table("account"),
                                    downgrade=drop_table("account"), branch_labels="auth")
        self.project.core_migration(
            self.C2, self.C1, depends_on=self.AU, downgrade=drop_table("tc2"),
            upgrade="CREATE TABLE tc2 (id INTEGER PRIMARY KEY, account_id INTEGER REFERENCES account (id));")

    def test_dependency_applied_first(self):
        self.ok("migrate", "upgrade", self.C2)
        order = [r for r, _ in self.db.history_pairs()]
        self.assertEqual(sorted(order), sorted([self.C1, self.C2, self.AU]))
        self.assertLess(order.index(self.AU), order.index(self.C2))
        self.assertLess(order.index(self.C1), order.index(self.C2))
        self.assertVersions([self.C2])  # Alembic: the dependency's row is absorbed
        self.assertEqual(self.db.user_tables(), ["account", "tc1", "tc2"])

    def test_heads_and_downgrade(self):
        res = self.ok("migrate", "heads")
        self.assertEqual(sorted(res.out.strip().splitlines()),
                         [f"{self.AU} (auth) (effective head)", f"{self.C2} (head)"])  # C2 depends on it
        self.ok("migrate", "upgrade", self.C1)
        self.assertFails(["migrate", "upgrade"], 2,
                         "Multiple head revisions are present for given argument 'head'")
        self.ok("migrate", "upgrade", "heads")
        self.assertVersions([self.C2])
        self.ok("migrate", "downgrade", "base")
        self.assertEqual(self.db.history_pairs()[3:],
                         [(self.C2, "downgrade"), (self.C1, "downgrade"), (self.AU, "downgrade")])
        self.assertEqual(self.db.user_tables(), [])
        self.assertVersions([])

    def test_downgrading_through_a_dependency(self):
        # Alembic: reverting the dependency reverts its dependents first; c1 stays
        for target in (self.C1, "auth@base", "auth@-1"):
            with self.subTest(target=target):
                self.ok("migrate", "upgrade", self.C2)
                self.ok("migrate", "downgrade", target)
                if target == self.C1:
                    self.assertVersions([self.AU, self.C1])
                    self.assertEqual(self.db.user_tables(), ["account", "tc1"])
                    self.ok("migrate", "downgrade", "base")
                    continue
                self.assertVersions([self.C1])
                self.assertEqual(self.db.user_tables(), ["tc1"])
                self.assertEqual(self.db.history_pairs()[-2:], [(self.C2, "downgrade"), (self.AU, "downgrade")])
                self.ok("migrate", "downgrade", "base")

    def test_upgrading_the_dependency_alone(self):
        self.ok("migrate", "upgrade", "auth@head")
        self.assertVersions([self.AU])
        self.assertEqual(self.db.user_tables(), ["account"])


if __name__ == "__main__":
    main()
