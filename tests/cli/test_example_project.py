"""example-project/, copied to a scratch directory: the seed's workflow (write a migration,
preview it, migrate all, downgrade -1), status, and a full round trip."""
import json
import os
import re
import shutil

from fastappkit_testing import SOURCE_DIR, CliTestCase, Project, main

CORE_HEAD = "27ac5b9e0f43"
NEW = "f00d00000001"


def ignore(_, names):
    return [n for n in names if n.startswith("build") or n.endswith((".db", ".db-journal", ".db-wal", ".db-shm"))]


class ExampleProject(CliTestCase):
    def setUp(self):
        super().setUp()
        shutil.rmtree(self.project.root)
        shutil.copytree(os.path.join(SOURCE_DIR, "example-project"), self.project.root, ignore=ignore)
        self.project = Project(self.project.root)

    def histories(self):
        res = self.ok("--json", "migrate", "status")
        return {h["name"]: h for h in json.loads(res.out)["histories"]}

    def test_seed_workflow(self):
        res = self.ok("migrate", "all")
        self.assertRegex(res.out, r"(?m)^Applied \d+ migrations in \d+ ms$")
        self.assertVersions([CORE_HEAD])
        statuses = self.histories()
        self.assertEqual(list(statuses), ["core", "analytics", "payments"])
        for name, status in statuses.items():
            self.assertEqual(status["pending"], 0, name)
            self.assertEqual(self.db.versions(status["version_table"]), sorted(status["current"]))
        self.assertTrue({"blog_post", "auth_user", "payments_charge", "analytics_event"} <= set(self.db.user_tables()))

        # 1. write a new migration on top of the core head
        self.project.core_migration(NEW, CORE_HEAD, slug="add_wishlist", message="add wishlist", upgrade="""
            CREATE TABLE shop_wishlist (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, note TEXT);
            CREATE INDEX shop_wishlist_user_idx ON shop_wishlist (user_id);
        """, downgrade="""
            DROP INDEX shop_wishlist_user_idx;
            DROP TABLE shop_wishlist;
        """)
        res = self.ok("migrate", "status")
        self.assertRegex(res.out, rf"(?m)^core\s+alembic_version\s+at {CORE_HEAD}\s+\d+ applied, 1 pending$")

        # 2. preview shows exactly it, and changes nothing
        before = self.db.snapshot()
        res = self.ok("migrate", "preview")
        self.assertEqual(re.findall(r"(?m)^-- Running (.*)$", res.out), [f"upgrade {CORE_HEAD} -> {NEW}"])
        self.assertIn("CREATE TABLE shop_wishlist", res.out)
        self.assertIn(f"UPDATE alembic_version SET version_num='{NEW}' WHERE alembic_version.version_num = "
                      f"'{CORE_HEAD}';", res.out)
        self.assertEqual(self.db.snapshot(), before)

        # 3. migrate all applies it (and only it)
        res = self.ok("migrate", "all")
        self.assertRegex(res.out, rf"(?m)^core {NEW} add wishlist … \d+ ms$")
        self.assertRegex(res.out, r"(?m)^Applied 1 migration in \d+ ms$")
        self.assertIn("shop_wishlist", self.db.user_tables())
        self.assertEqual(self.db.columns("shop_wishlist"), ["id", "user_id", "note"])
        self.assertVersions([NEW])
        self.assertEqual(self.db.history_pairs()[-1], (NEW, "upgrade"))
        self.ok("migrate", "verify")

        # 4. downgrade -1 reverts it
        res = self.ok("migrate", "downgrade", "-1")
        self.assertRegex(res.out, rf"(?m)^core {NEW} \(downgrade\) add wishlist … \d+ ms$")
        self.assertNotIn("shop_wishlist", self.db.user_tables())
        self.assertVersions([CORE_HEAD])
        res = self.ok("migrate", "status")
        self.assertRegex(res.out, rf"(?m)^core\s+alembic_version\s+at {CORE_HEAD}\s+\d+ applied, 1 pending$")
        self.assertRegex(res.out, r"(?m)^analytics\s+alembic_version_analytics\s+at \w+\s+\d+ applied, up to date$")
        self.assertRegex(res.out, r"(?m)^payments\s+alembic_version_payments\s+at \w+\s+\d+ applied, up to date$")

    def test_autogenerate_workflow(self):
        """The seed's "add a model" workflow: edit apps/blog/models.sql, makemigrations, review,
        migrate all; check is the CI gate before and after."""
        self.ok("migrate", "all")
        self.ok("migrate", "check")
        versions = os.path.join(self.project.root, "core", "db", "migrations", "versions")
        files_before = set(os.listdir(versions))

        with open(os.path.join(self.project.root, "apps", "blog", "models.sql"), "a") as models:
            models.write("\nCREATE TABLE blog_reaction (\n    id INTEGER PRIMARY KEY,\n"
                         "    post_id INTEGER NOT NULL REFERENCES blog_post (id),\n    kind TEXT NOT NULL\n);\n"
                         "CREATE INDEX blog_reaction_post_idx ON blog_reaction (post_id);\n")
        res = self.fk("migrate", "check")
        self.assertEqual(res.code, 1, res.out + res.err)
        self.assertIn("blog_reaction", res.out + res.err)

        res = self.ok("migrate", "app", "blog", "makemigrations", "-m", "add reactions")
        new_files = set(os.listdir(versions)) - files_before
        self.assertEqual(len(new_files), 1, res.out)
        new_file = os.path.join(versions, new_files.pop())
        with open(new_file) as f:
            text = f.read()
        self.assertIn(f"-- down_revision: {CORE_HEAD}\n", text)
        self.assertIn("-- message: add reactions\n", text)
        revision = re.search(r"(?m)^-- revision: ([0-9a-f]{12})$", text).group(1)
        self.assertTrue(os.path.basename(new_file).startswith(revision + "_"))

        tables_before = set(self.db.user_tables())
        res = self.ok("migrate", "all")
        self.assertRegex(res.out, rf"(?m)^core {revision} add reactions … \d+ ms$")
        self.assertEqual(self.db.columns("blog_reaction"), ["id", "post_id", "kind"])
        self.assertVersions([revision])
        self.ok("migrate", "check")

        res = self.ok("migrate", "app", "blog", "makemigrations", "-m", "nothing new")
        self.assertIn("No changes detected", res.out)
        self.assertEqual(len(set(os.listdir(versions)) - files_before), 1)

        self.ok("migrate", "downgrade", "-1")
        self.assertNotIn("blog_reaction", self.db.user_tables())
        self.assertVersions([CORE_HEAD])
        self.assertEqual(set(self.db.user_tables()), tables_before)

    def test_round_trip(self):
        # every downgrade reverses its upgrade: down to base and up again gives the same schema
        self.ok("migrate", "all")
        schema = {t: self.db.columns(t) for t in self.db.user_tables()}
        indexes = self.db.indexes()
        self.ok("migrate", "app", "payments", "downgrade", "base")
        self.ok("migrate", "app", "analytics", "downgrade", "base")
        self.ok("migrate", "downgrade", "base")
        self.assertEqual(self.db.user_tables(), [])
        self.assertEqual(self.db.indexes(), [])
        for table in ("alembic_version", "alembic_version_analytics", "alembic_version_payments"):
            self.assertVersions([], table)
        self.ok("migrate", "all")
        self.assertEqual({t: self.db.columns(t) for t in self.db.user_tables()}, schema)
        self.assertEqual(self.db.indexes(), indexes)
        self.ok("migrate", "verify")

    def test_migrate_all_order(self):
        self.ok("migrate", "all")
        tables = [h["version_table"] for h in self.db.history()]
        # core first, then analytics (payments requires it), then payments
        order = [t for i, t in enumerate(tables) if i == 0 or tables[i - 1] != t]
        self.assertEqual(order, ["alembic_version", "alembic_version_analytics", "alembic_version_payments"])


if __name__ == "__main__":
    main()
