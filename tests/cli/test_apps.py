"""Core, internal and external apps: migrate all's order, version tables per app, --json, per-app
commands and their refusals, app list / validate, the version table conflict, standalone mode."""
import json
import os

from fastappkit_testing import BACKEND, CliTestCase, create_table, drop_table, main, migration

CORE1, CORE2 = "c1c1c1c1c1c1", "c2c2c2c2c2c2"
REPORT1 = "e1e1e1e1e1e1"
PAY1, PAY2 = "p1p1p1p1p1p1", "p2p2p2p2p2p2"
EVENT1 = "a1a1a1a1a1a1"


def table_rev(rev, table, down=None):
    return migration(rev, down, message=f"create {table}", upgrade=create_table(table), downgrade=drop_table(table))


class Apps(CliTestCase):
    """apps = [apps.blog, reports, payments, analytics]; payments requires analytics;
    analytics has requires = []; reports has no requires key."""

    def setUp(self):
        super().setUp()
        self.project.config(apps=["apps.blog", "reports", "payments", "analytics"], app_path=["external"])
        self.project.internal_app("blog", "CREATE TABLE blog_post (id INTEGER PRIMARY KEY);\n")
        self.project.core_migration(CORE1, text=table_rev(CORE1, "account"))
        self.project.core_migration(CORE2, text=table_rev(CORE2, "blog_post", CORE1))
        self.project.external_app("reports", {REPORT1: table_rev(REPORT1, "report")})
        self.project.external_app("payments", {PAY1: table_rev(PAY1, "charge"),
                                               PAY2: table_rev(PAY2, "refund", PAY1)}, requires=["analytics"])
        self.project.external_app("analytics", {EVENT1: table_rev(EVENT1, "event")}, requires=[])

    def test_migrate_all_order_and_version_tables(self):
        res = self.ok("migrate", "all")
        history = self.db.history()
        self.assertEqual([(h["version_table"], h["revision"]) for h in history], [
            ("alembic_version", CORE1), ("alembic_version", CORE2),
            ("alembic_version_reports", REPORT1),
            ("alembic_version_analytics", EVENT1),
            ("alembic_version_payments", PAY1), ("alembic_version_payments", PAY2)])
        self.assertVersions([CORE2])
        self.assertVersions([REPORT1], "alembic_version_reports")
        self.assertVersions([EVENT1], "alembic_version_analytics")
        self.assertVersions([PAY2], "alembic_version_payments")
        self.assertEqual(self.db.user_tables(), ["account", "blog_post", "charge", "event", "refund", "report"])
        lines = [l for l in res.out.splitlines() if l.strip()]
        self.assertEqual([l.split()[:2] for l in lines[:-1]], [
            ["core", CORE1], ["core", CORE2], ["reports", REPORT1], ["analytics", EVENT1],
            ["payments", PAY1], ["payments", PAY2]])
        self.assertRegex(lines[-1], r"^Applied 6 migrations in \d+ ms$")
        # again: nothing to do, every history says so, the database is unchanged
        before = self.db.snapshot()
        res = self.ok("migrate", "all")
        self.assertEqual(res.out.splitlines(), [
            f"core is up to date ({CORE2})", f"reports is up to date ({REPORT1})",
            f"analytics is up to date ({EVENT1})", f"payments is up to date ({PAY2})"])
        self.assertEqual(self.db.snapshot(), before)

    def test_migrate_all_stops_at_a_failure(self):
        path = self.project.core_migration(CORE2, text=migration(CORE2, CORE1, upgrade="CREATE TABLE blog_post (id INTEGER);\n"
                                                                 "INSERT INTO nowhere VALUES (1);", downgrade=""))
        res = self.fk("migrate", "all")
        self.assertExit(res, 1, path, "nowhere")
        self.assertOneSentence(res)
        self.assertVersions([CORE1])
        self.assertEqual(self.db.user_tables(), ["account"])
        for app in ("reports", "analytics", "payments"):
            self.assertVersions(None, f"alembic_version_{app}")

    def test_verify_covers_external_apps(self):
        self.ok("migrate", "all")
        path = self.project.path("external", "payments", "payments", "migrations", "versions", f"{PAY2}_rev.sql")
        self.project.write(path, migration(PAY2, PAY1, upgrade=create_table("refund_v2"),
                                           downgrade="DROP TABLE IF EXISTS refund;\nDROP TABLE IF EXISTS refund_v2;"))
        res = self.fk("migrate", "verify")
        self.assertExit(res, 1, f"revision {PAY2} changed since it was applied", path, "payments")
        # once reverted, the edited revision is not applied any more: nothing to report
        self.ok("migrate", "app", "payments", "downgrade", "-1")
        self.ok("migrate", "verify")
        self.ok("migrate", "all")
        self.assertIn("refund_v2", self.db.user_tables())
        self.ok("migrate", "verify")

    def test_migrate_all_json(self):
        res = self.ok("--json", "migrate", "all")
        doc = json.loads(res.out)
        self.assertEqual(doc["applied"], 6)
        self.assertEqual([(h["name"], h["version_table"], [a["revision"] for a in h["applied"]], h["heads"])
                          for h in doc["histories"]], [
            ("core", "alembic_version", [CORE1, CORE2], [CORE2]),
            ("reports", "alembic_version_reports", [REPORT1], [REPORT1]),
            ("analytics", "alembic_version_analytics", [EVENT1], [EVENT1]),
            ("payments", "alembic_version_payments", [PAY1, PAY2], [PAY2])])
        self.assertEqual({a["direction"] for h in doc["histories"] for a in h["applied"]}, {"upgrade"})
        doc = json.loads(self.ok("--json", "migrate", "all").out)
        self.assertEqual(doc["applied"], 0)

    def test_describe_order(self):
        doc = json.loads(self.ok("describe", db=False).out)
        self.assertEqual([(a["name"], a["kind"]) for a in doc["apps"]], [
            ("blog", "internal"), ("reports", "external"), ("payments", "external"), ("analytics", "external")])
        self.assertEqual([(s["name"], s["depends_on"]) for s in doc["external_order"]],
                         [("reports", []), ("analytics", []), ("payments", ["analytics"])])

    def test_per_app_upgrade_downgrade_touch_only_that_app(self):
        self.ok("migrate", "app", "analytics", "upgrade")  # payments requires it
        res = self.ok("migrate", "app", "payments", "upgrade")
        self.assertRegex(res.out, rf"(?m)^payments {PAY1} create charge … \d+ ms$")
        self.assertEqual(self.db.user_tables(), ["charge", "event", "refund"])
        self.assertVersions([PAY2], "alembic_version_payments")
        self.assertVersions(None)  # core untouched
        self.assertVersions([EVENT1], "alembic_version_analytics")
        self.ok("migrate", "app", "payments", "downgrade", "-r", PAY1)
        self.assertVersions([PAY1], "alembic_version_payments")
        self.ok("migrate", "app", "payments", "downgrade", "base")
        self.assertVersions([], "alembic_version_payments")
        self.ok("migrate", "app", "payments", "upgrade", "-r", "+1")
        self.assertVersions([PAY1], "alembic_version_payments")
        self.assertEqual(self.ok("migrate", "current", "--app", "payments").out.strip(), PAY1)
        self.assertEqual(self.ok("migrate", "app", "payments", "current").out.strip(), PAY1)
        self.assertEqual(self.ok("migrate", "heads", "--app", "payments").out.strip(), f"{PAY2} (head)")
        self.assertEqual(len(self.ok("migrate", "history", "--app", "payments").out.strip().splitlines()), 2)
        res = self.ok("migrate", "app", "payments", "preview")
        self.assertIn(f"-- Running upgrade {PAY1} -> {PAY2}", res.out)
        self.assertIn(f"UPDATE alembic_version_payments SET version_num='{PAY2}'", res.out)
        self.ok("migrate", "stamp", "--app", "payments", PAY2)
        self.assertVersions([PAY2], "alembic_version_payments")
        self.assertEqual(self.db.user_tables(), ["charge", "event"])
        self.assertVersions(None)

    def test_internal_app_per_app_upgrade_is_refused(self):
        self.ok("migrate", "upgrade", CORE1)
        for command in ("upgrade", "downgrade -r base", "preview"):
            with self.subTest(command=command):
                self.assertFails(["migrate", "app", "blog", *command.split()], 2,
                                 "App 'blog' is an internal app", "fastappkit migrate upgrade")
        self.assertVersions([CORE1])

    def test_external_app_makemigrations_and_merge_are_refused(self):
        self.ok("migrate", "all")
        files = sorted(os.listdir(self.project.path("external", "payments", "payments", "migrations", "versions")))
        self.assertFails(["migrate", "app", "payments", "makemigrations", "-m", "x"], 2,
                         "App 'payments' is an external app", self.project.path("external", "payments"))
        self.assertFails(["migrate", "merge", "-m", "x", "--app", "payments"], 2,
                         "App 'payments' is an external app")
        self.assertEqual(sorted(os.listdir(self.project.path("external", "payments", "payments", "migrations",
                                                             "versions"))), files)

    def test_per_app_commands_read_only_that_apps_manifest(self):
        reports = self.project.path("external", "reports", "reports", "fastappkit.toml")
        with open(reports, "w") as f:
            f.write("[tool.fastappkit\n")  # broken, but not the app the command is about
        self.ok("migrate", "app", "analytics", "upgrade")  # payments requires it
        res = self.ok("migrate", "app", "payments", "upgrade")
        self.assertRegex(res.out, rf"(?m)^payments {PAY2} create refund")
        self.assertVersions([PAY2], "alembic_version_payments")
        self.assertEqual(self.ok("migrate", "current", "--app", "payments").out.strip(), f"{PAY2} (head)")
        # migrate all still reads every manifest
        self.assertFails(["migrate", "all"], 2, reports)
        # the app's own bad manifest is refused, the database untouched
        payments = self.project.path("external", "payments", "payments", "fastappkit.toml")
        with open(payments, "w") as f:
            f.write('[tool.fastappkit]\nname = "payments"\nversion = "0.1.0"\nmigrations = "migrations"\n'
                    'version_table = "alembic_version"\n')
        self.assertFails(["migrate", "app", "payments", "downgrade", "-r", "base"], 2, payments,
                         "an external app's version table must be 'alembic_version_payments'")
        self.assertVersions([PAY2], "alembic_version_payments")
        # so is a duplicate in the project's apps list, even of another app
        self.project.config(apps=["apps.blog", "reports", "payments", "analytics", "reports"], app_path=["external"])
        self.assertFails(["migrate", "app", "analytics", "upgrade"], 2, "app 'reports' is listed twice in apps")

    def test_unknown_app(self):
        self.ok("migrate", "upgrade")
        toml = self.project.path("fastappkit.toml")
        self.assertFails(["migrate", "app", "nosuch", "upgrade"], 2, f"App 'nosuch' is not in the apps list of {toml}")
        self.assertFails(["migrate", "current", "--app", "nosuch"], 2, "App 'nosuch' is not in the apps list")
        self.assertFails(["app", "validate", "nosuch"], 2, "App 'nosuch' is not in the apps list")

    def test_app_list(self):
        res = self.ok("app", "list", db=False)
        rows = [l.split() for l in res.out.strip().splitlines()]
        self.assertEqual(rows, [["blog", "internal"],
                                ["reports", "external", "0.1.0", "alembic_version_reports"],
                                ["payments", "external", "0.1.0", "alembic_version_payments"],
                                ["analytics", "external", "0.1.0", "alembic_version_analytics"]])
        res = self.ok("app", "list", "-v", db=False)
        self.assertIn(self.project.path("external", "payments", "payments"), res.out)
        self.assertIn(self.project.path("apps", "blog"), res.out)

    def test_app_validate(self):
        res = self.ok("app", "validate", "payments", db=False)
        self.assertIn("App 'payments' is valid", res.out)
        self.ok("migrate", "all")
        res = self.ok("app", "validate", "payments")
        self.assertIn("App 'payments' is valid", res.out)

    def test_version_table_conflict(self):
        self.ok("migrate", "all")
        # an external app's revision recorded in the shared alembic_version table
        self.db.execute(f"INSERT INTO alembic_version (version_num) VALUES ('{PAY1}')")
        sentence = (f"Version table conflict: revision {PAY1} of app 'payments' is recorded in the shared "
                    "alembic_version table")
        self.assertFails(["migrate", "all"], 1, sentence, "alembic_version_payments")
        self.assertFails(["migrate", "app", "payments", "upgrade"], 1, sentence)
        self.assertFails(["app", "validate", "payments"], 1, sentence)
        self.assertVersions([CORE2, PAY1])

    def test_version_table_conflict_before_anything_runs(self):
        self.ok("migrate", "upgrade", CORE1)
        self.db.execute(f"INSERT INTO alembic_version (version_num) VALUES ('{EVENT1}')")
        self.assertFails(["migrate", "all"], 1, "Version table conflict", "'analytics'")
        self.assertVersions([CORE1, EVENT1])
        self.assertEqual(self.db.user_tables(), ["account"])


class Standalone(CliTestCase):
    """An external app's own checkout: no project fastappkit.toml, NAME/fastappkit.toml, its own .env."""

    def setUp(self):
        super().setUp()
        self.checkout = self.project.external_app("payments", {PAY1: table_rev(PAY1, "charge"),
                                                               PAY2: table_rev(PAY2, "refund", PAY1)},
                                                  base=".")
        self.checkout_root = os.path.dirname(self.checkout)

    def test_standalone_upgrade_uses_the_apps_env(self):
        with open(os.path.join(self.checkout_root, ".env"), "w") as f:
            f.write(f"DATABASE_URL={self.db.url}\n")
        res = self.ok("migrate", "upgrade", db=False, cwd=self.checkout_root)
        self.assertRegex(res.out, rf"(?m)^payments {PAY1} create charge")
        self.assertVersions([PAY2], "alembic_version_payments")
        self.assertVersions(None)
        self.assertEqual(self.ok("migrate", "current", db=False, cwd=self.checkout_root).out.strip(),
                         f"{PAY2} (head)")
        self.ok("migrate", "app", "payments", "downgrade", PAY1, db=False, cwd=self.checkout_root)
        self.assertVersions([PAY1], "alembic_version_payments")
        res = self.fk("migrate", "app", "other", "upgrade", db=False, cwd=self.checkout_root)
        self.assertExit(res, 2, "App 'other' not found")

    def test_every_command_uses_the_apps_env(self):
        """lint and test read the standalone app's own .env too, as upgrade does."""
        with open(os.path.join(self.checkout_root, ".env"), "w") as f:
            f.write(f"DATABASE_URL={self.db.url}\n")
        res = self.ok("--json", "migrate", "lint", db=False, cwd=self.checkout_root)
        self.assertEqual(json.loads(res.out)["dialect"], BACKEND)
        # A PostgreSQL-only statement round-trips on PostgreSQL, where the .env points; SQLite
        # would refuse it.
        if BACKEND == "postgresql":
            self.project.write(os.path.join(self.checkout, "migrations", "versions", "p3p3p3p3p3p3_rev.sql"),
                               migration("p3p3p3p3p3p3", PAY2, message="identity",
                                         upgrade="CREATE TABLE ledger (id INT GENERATED ALWAYS AS IDENTITY);",
                                         downgrade="DROP TABLE ledger;"))
            res = self.ok("migrate", "test", db=False, cwd=self.checkout_root)
            self.assertIn("payments: 3 revisions downgrade and upgrade again to the same schema", res.out)


if __name__ == "__main__":
    main()
