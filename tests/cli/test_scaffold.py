"""Scaffolding (run once, on SQLite): core new, app new, app new --as-package."""
import os
import sqlite3

from fastappkit_testing import CliTestCase, main, migration, run_runner

REV = "5a0000000001"
PAY = "5b0000000001"


def tables(path):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return sorted(r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
    finally:
        con.close()


def versions(path, table):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return sorted(r[0] for r in con.execute(f"SELECT version_num FROM {table}"))
    finally:
        con.close()


def all_files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


class Scaffold(CliTestCase):
    def fka(self, *args, cwd):
        return run_runner(list(args), cwd=cwd)

    def set_apps(self, shop, apps, app_path=None):
        path = os.path.join(shop, "fastappkit.toml")
        with open(path) as f:
            text = f.read()
        self.assertIn("apps = []", text)
        line = "apps = [" + ", ".join(f'"{a}"' for a in apps) + "]"
        if app_path:
            line += "\napp_path = [" + ", ".join(f'"{p}"' for p in app_path) + "]"
        with open(path, "w") as f:
            f.write(text.replace("apps = []", line, 1))

    def test_core_new_then_migrate_all(self):
        res = self.fka("core", "new", "shop", cwd=self.tmp)
        self.assertEqual(res.code, 0, res)
        shop = os.path.join(self.tmp, "shop")
        self.assertIn(shop, res.out)
        files = all_files(shop)
        for expected in ("fastappkit.toml", "CMakeLists.txt", ".env", os.path.join("core", "models.sql")):
            self.assertIn(expected, files)
        self.assertTrue(os.path.isdir(os.path.join(shop, "core", "db", "migrations", "versions")))
        for name in files:
            with open(os.path.join(shop, name)) as f:
                text = f.read()
            self.assertNotIn("{{", text, name)
            self.assertNotIn("__name__", name)
        with open(os.path.join(shop, "CMakeLists.txt")) as f:
            cmake = f.read()
        self.assertIn("project(shop", cmake)
        self.assertIn("fastappkit_add_project(", cmake)
        # an empty project migrates (nothing to do) ...
        res = self.fka("migrate", "all", cwd=shop)
        self.assertEqual(res.code, 0, res)
        # ... and so does one with a migration, into the database its .env names
        with open(os.path.join(shop, "core", "db", "migrations", "versions", f"{REV}_create_product.sql"), "w") as f:
            f.write(migration(REV, message="create product",
                              upgrade="CREATE TABLE product (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
                              downgrade="DROP TABLE product;"))
        res = self.fka("migrate", "all", cwd=shop)
        self.assertEqual(res.code, 0, res)
        self.assertRegex(res.out, rf"(?m)^core {REV} create product … \d+ ms$")
        dbs = [f for f in os.listdir(shop) if f.endswith(".db")]
        self.assertEqual(len(dbs), 1, os.listdir(shop))
        db = os.path.join(shop, dbs[0])
        self.assertIn("product", tables(db))
        self.assertEqual(versions(db, "alembic_version"), [REV])

    def test_app_new_internal(self):
        self.assertEqual(self.fka("core", "new", "shop", cwd=self.tmp).code, 0)
        shop = os.path.join(self.tmp, "shop")
        res = self.fka("app", "new", "blog", cwd=shop)
        self.assertEqual(res.code, 0, res)
        self.assertTrue(os.path.isfile(os.path.join(shop, "apps", "blog", "models.sql")))
        self.assertIn("apps.blog", res.out)
        self.set_apps(shop, ["apps.blog"])
        res = self.fka("app", "list", cwd=shop)
        self.assertEqual(res.code, 0, res)
        self.assertEqual(res.out.split()[:2], ["blog", "internal"])
        res = self.fka("migrate", "all", cwd=shop)
        self.assertEqual(res.code, 0, res)

    def test_app_new_as_package_resolves_in_a_project(self):
        self.assertEqual(self.fka("core", "new", "shop", cwd=self.tmp).code, 0)
        shop = os.path.join(self.tmp, "shop")
        external = os.path.join(shop, "external")
        os.makedirs(external)
        res = self.fka("--project-root", external, "app", "new", "payments", "--as-package", cwd=shop)
        self.assertEqual(res.code, 0, res)
        manifest = os.path.join(external, "payments", "payments", "fastappkit.toml")
        self.assertTrue(os.path.isfile(manifest))
        with open(manifest) as f:
            self.assertIn('name = "payments"', f.read())
        self.assertTrue(os.path.isdir(os.path.join(external, "payments", "payments", "migrations", "versions")))
        self.set_apps(shop, ["payments"], app_path=["external"])
        res = self.fka("app", "list", cwd=shop)
        self.assertEqual(res.code, 0, res)
        self.assertEqual(res.out.split(), ["payments", "external", "0.1.0", "alembic_version_payments"])
        res = self.fka("app", "validate", "payments", cwd=shop)
        self.assertEqual(res.code, 0, res)
        with open(os.path.join(external, "payments", "payments", "migrations", "versions", f"{PAY}_charge.sql"),
                  "w") as f:
            f.write(migration(PAY, message="create charge", upgrade="CREATE TABLE payments_charge (id INTEGER);",
                              downgrade="DROP TABLE payments_charge;"))
        res = self.fka("--database-url", self.db.url, "migrate", "all", cwd=shop)
        self.assertEqual(res.code, 0, res)
        self.assertRegex(res.out, rf"(?m)^payments {PAY} create charge … \d+ ms$")
        self.assertEqual(self.db.versions("alembic_version_payments"), [PAY])
        # standalone, in its own checkout, with its own .env
        checkout = os.path.join(external, "payments")
        res = self.fka("migrate", "app", "payments", "upgrade", cwd=checkout)
        self.assertEqual(res.code, 0, res)
        dbs = [f for f in os.listdir(checkout) if f.endswith(".db")]
        self.assertEqual(len(dbs), 1, os.listdir(checkout))
        self.assertEqual(versions(os.path.join(checkout, dbs[0]), "alembic_version_payments"), [PAY])

    def test_scaffold_errors(self):
        for args in (["core", "new", "Shop"], ["core", "new", "my-shop"], ["app", "new", "Blog"],
                     ["app", "new", "9x", "--as-package"]):
            with self.subTest(args=args):
                res = self.fka(*args, cwd=self.tmp)
                self.assertEqual(res.code, 2, res)
                self.assertIn("is not a valid name", res.err)
                self.assertOneSentence(res)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["proj"])
        self.assertEqual(self.fka("core", "new", "shop", cwd=self.tmp).code, 0)
        before = all_files(os.path.join(self.tmp, "shop"))
        res = self.fka("core", "new", "shop", cwd=self.tmp)
        self.assertEqual(res.code, 2, res)
        self.assertIn("already exists", res.err)
        shop = os.path.join(self.tmp, "shop")
        self.assertEqual(self.fka("app", "new", "blog", cwd=shop).code, 0)
        res = self.fka("app", "new", "blog", cwd=shop)
        self.assertEqual(res.code, 2, res)
        self.assertIn("already exists", res.err)
        self.assertEqual(all_files(shop), sorted(before + [os.path.join("apps", "blog", f)
                                                           for f in os.listdir(os.path.join(shop, "apps", "blog"))]))


if __name__ == "__main__":
    main()
