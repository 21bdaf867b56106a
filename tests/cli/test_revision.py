"""migrate revision (Alembic's `revision`): an empty migration with a fresh id on top of the head,
--head / --depends-on / --branch-label; and the CI conveniences: migrate status --exit-code,
history --indicate-current, offline downgrade SQL with preview -r head:base."""
import os
import re

from fastappkit_testing import CliTestCase, create_table, drop_table, main, migration

C1, C2 = "c1c1c1c1c1c1", "c2c2c2c2c2c2"


def header(text, key):
    match = re.search(rf"(?m)^-- {key}:(.*)$", text)
    return match.group(1).strip() if match else None


class Revision(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config(apps=["pay"], app_path=["external"])
        os.makedirs(self.project.core_dir())
        self.project.external_app("pay")

    def revision(self, *args):
        res = self.ok("migrate", "revision", *args)
        match = re.match(r"Generated (\S+) \(revision ([0-9a-f]{12})", res.out)
        self.assertTrue(match, res)
        with open(match.group(1)) as f:
            return match.group(2), f.read(), res

    def test_empty_revisions_chain_on_the_head(self):
        first, text, res = self.revision("-m", "first step")
        self.assertEqual(header(text, "down_revision"), "none")
        self.assertIn(", a new base): write its upgrade and downgrade sections", res.out)
        self.assertTrue(text.endswith("-- migrate:upgrade\n\n-- migrate:downgrade\n"), text)
        second, text, _ = self.revision("-m", "second step")
        self.assertEqual(header(text, "down_revision"), first)
        self.assertEqual(header(text, "message"), "second step")
        # a second root with a label: now there are two heads
        root, text, _ = self.revision("-m", "feature", "--head", "base", "--branch-label", "feature",
                                      "--depends-on", first)
        self.assertEqual((header(text, "down_revision"), header(text, "branch_labels"), header(text, "depends_on")),
                         ("none", "feature", first))
        self.assertFails(["migrate", "revision", "-m", "x"], 2,
                         "core: the history has several heads (", "pass --head REV to choose the new "
                         "revision's parent, or merge them first with 'fastappkit migrate merge -m MESSAGE'")
        on_feature, text, _ = self.revision("-m", "on feature", "--head", "feature@head")
        self.assertEqual(header(text, "down_revision"), root)
        self.assertFails(["migrate", "revision", "-m", "x", "--head", second, "--branch-label", "feature"], 2,
                         f"core: branch label 'feature' is already used by revision {root}")
        self.assertFails(["migrate", "revision", "-m", "x", "--head", second, "--depends-on", "abcabcabcabc"], 2,
                         "abcabcabcabc")
        # the empty revisions run
        self.ok("migrate", "upgrade", "heads")
        self.assertVersions(sorted([second, on_feature]))

    def test_external_app_revisions_belong_in_its_checkout(self):
        self.assertFails(["migrate", "revision", "-m", "x", "--app", "pay"], 2,
                         "App 'pay' is an external app")
        res = self.fk("migrate", "revision", "-m", "charges", cwd=self.project.path("external", "pay"))
        self.assertEqual(res.code, 0, res)
        self.assertEqual(len(os.listdir(self.project.path("external", "pay", "pay", "migrations", "versions"))), 1)


class CiConveniences(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config()
        self.project.core_migration(C1, message="create t1", upgrade=create_table("t1"), downgrade=drop_table("t1"))
        self.project.core_migration(C2, C1, message="create t2", upgrade=create_table("t2"), downgrade=drop_table("t2"))

    def test_status_exit_code(self):
        self.assertExit(self.fk("migrate", "status", "--exit-code"), 1, "2 pending")
        self.assertExit(self.fk("migrate", "status"), 0)
        self.ok("migrate", "upgrade")
        self.assertExit(self.fk("migrate", "status", "--exit-code"), 0, "up to date")

    def test_history_indicate_current(self):
        self.ok("migrate", "upgrade", C1)
        res = self.ok("migrate", "history", "--indicate-current")
        self.assertEqual(res.out.splitlines(), [f"{C1} -> {C2} (head), create t2",
                                                f"<base> -> {C1} (current), create t1"])

    def test_offline_downgrade_sql(self):
        res = self.ok("migrate", "preview", "-r", "head:base", db=False, env={"DATABASE_URL": "sqlite:///x.db"})
        out = res.out
        self.assertIn("DROP TABLE t2;", out)
        self.assertIn("DROP TABLE t1;", out)
        self.assertLess(out.index("DROP TABLE t2;"), out.index("DROP TABLE t1;"))
        self.assertNotIn("CREATE TABLE t", out)
        self.assertFalse(os.path.exists(self.project.path("x.db")))
        res = self.ok("migrate", "preview", "-r", f"{C2}:{C1}", "--dialect", "postgresql", db=False)
        self.assertIn("DROP TABLE t2;", res.out)
        self.assertNotIn("DROP TABLE t1", res.out)


if __name__ == "__main__":
    main()
