"""An external app that `requires` another: its models and migrations stand on core and the
required apps (autogenerate's scratch schemas hold them, the comparison covers the app's own
tables), and the per-app commands keep the required order (docs/configuration.md)."""
import os
import re

from fastappkit_testing import BACKEND, CliTestCase, create_table, drop_table, main, migration

CORE1 = "c1c1c1c1c1c1"
ACC1 = "a1a1a1a1a1a1"
BILL1 = "b1b1b1b1b1b1"

USER_TABLE = "CREATE TABLE accounts_user (id INTEGER PRIMARY KEY, email TEXT NOT NULL);"
INVOICE_TABLE = ("CREATE TABLE billing_invoice (\n    id INTEGER PRIMARY KEY,\n"
                 "    user_id INTEGER NOT NULL REFERENCES accounts_user (id)\n);")


class Requires(CliTestCase):
    """apps = [billing, accounts]; billing requires accounts and has a foreign key to
    accounts_user; each external app declares models.sql beside its manifest."""

    def setUp(self):
        super().setUp()
        self.project.config(apps=["billing", "accounts"], app_path=["external"])
        self.project.core_migration(CORE1, text=migration(CORE1, message="create site",
                                                     upgrade=create_table("site"),
                                                     downgrade=drop_table("site")))
        self.accounts = self.project.external_app(
            "accounts", {ACC1: migration(ACC1, message="create user", upgrade=USER_TABLE,
                                         downgrade=drop_table("accounts_user"))},
            requires=[], extra='models = "models.sql"\n')
        self.project.write(os.path.join(self.accounts, "models.sql"), "-- accounts\n" + USER_TABLE + "\n")
        self.billing = self.project.external_app(
            "billing", {BILL1: migration(BILL1, message="create invoice", upgrade=INVOICE_TABLE,
                                         downgrade=drop_table("billing_invoice"))},
            requires=["accounts"], extra='models = "models.sql"\n')
        self.models = os.path.join(self.billing, "models.sql")
        self.project.write(self.models, "-- billing's models\n" + INVOICE_TABLE + "\n")
        self.checkout = self.project.path("external", "billing")

    def test_check_resolves_a_foreign_key_to_a_required_app(self):
        before = self.db.snapshot()
        res = self.ok("migrate", "check")
        self.assertEqual(res.out.splitlines(), [
            "core: skipped, there are no models to compare; declare them in "
            f"{self.project.path('core', 'models.sql')} (and apps/<name>/models.sql for internal apps)",
            "accounts: models and migrations agree", "billing: models and migrations agree"])
        # a change to billing's models is billing's alone: the required tables are not in it
        self.project.write(self.models, "-- billing's models\n" + INVOICE_TABLE.replace(
            "(id)\n", "(id),\n    amount INTEGER\n") + "\n")
        res = self.fk("migrate", "check")
        self.assertExit(res, 1)
        self.assertIn("billing: the models differ from the migrations (1 change):\n"
                      "  add column billing_invoice.amount\n", res.out)
        self.assertEqual(self.db.snapshot(), before)

    def test_makemigrations_in_the_checkout_finds_the_required_app_beside_it(self):
        self.project.write(self.models, "-- billing's models\n" + INVOICE_TABLE + "\n"
                           "CREATE INDEX billing_invoice_user_idx ON billing_invoice (user_id);\n")
        before = self.db.snapshot()
        versions = os.path.join(self.billing, "migrations", "versions")
        res = self.ok("migrate", "app", "billing", "makemigrations", "-m", "index users", cwd=self.checkout)
        self.assertIn("  add index billing_invoice_user_idx on billing_invoice (user_id)", res.out)
        new = sorted(set(os.listdir(versions)) - {f"{BILL1}_rev.sql"})
        self.assertEqual(len(new), 1, res)
        with open(os.path.join(versions, new[0])) as f:
            text = f.read()
        self.assertIn(f"-- down_revision: {BILL1}\n", text)
        self.assertIn("billing_invoice_user_idx", text)
        self.assertNotIn("accounts_user", text)
        self.assertNotIn("site", text)
        self.assertEqual(self.db.snapshot(), before)
        res = self.ok("migrate", "app", "billing", "makemigrations", "-m", "again", cwd=self.checkout)
        self.assertIn("No changes detected", res.out)

    def test_a_failing_model_statement_names_its_own_line(self):
        # billing may not redeclare a table of the app it requires
        self.project.write(self.models, "-- billing's models\n\n" + USER_TABLE + "\n")
        res = self.assertFails(["migrate", "check"], 2, f"{self.models}:3: ", "accounts_user",
                               "(statement: CREATE TABLE accounts_user")
        self.assertNotIn("(statement: --", res.err)

    def test_a_required_app_missing_beside_the_checkout_is_named(self):
        manifest = os.path.join(self.billing, "fastappkit.toml")
        self.project.write(manifest, self.project.read(manifest).replace('["accounts"]', '["ledger"]'))
        self.assertFails(["migrate", "app", "billing", "makemigrations", "-m", "x"], 2,
                         f"{manifest}: app 'billing' requires 'ledger', which is not found (searched ",
                         "add its parent directory to FASTAPPKIT_APP_PATH or --app-path",
                         cwd=self.checkout)

    def test_per_app_upgrade_waits_for_the_apps_it_requires(self):
        self.assertFails(["migrate", "app", "billing", "upgrade"], 2,
                         "App 'billing' requires 'accounts', which is not at its head: migrate "
                         "'accounts' first ('fastappkit migrate app accounts upgrade', or 'fastappkit "
                         "migrate all'), or pass --ignore-requires")
        self.assertVersions(None, "alembic_version_billing")
        self.ok("migrate", "app", "accounts", "upgrade")
        self.ok("migrate", "app", "billing", "upgrade")
        self.assertVersions([BILL1], "alembic_version_billing")

    def test_per_app_downgrade_waits_for_the_apps_requiring_it(self):
        self.ok("migrate", "all")
        self.assertFails(["migrate", "app", "accounts", "downgrade", "base"], 2,
                         f"App 'billing' requires 'accounts' and is applied (at {BILL1}): downgrade "
                         "'billing' first ('fastappkit migrate app billing downgrade base'), or pass "
                         "--ignore-requires")
        self.ok("migrate", "app", "billing", "downgrade", "base")
        self.ok("migrate", "app", "accounts", "downgrade", "base")
        self.assertVersions([], "alembic_version_accounts")

    def test_ignore_requires(self):
        # the rare case: the app's tables do not actually need the required app's yet
        self.project.app_migration("billing", BILL1, migration(
            BILL1, message="create invoice", upgrade=create_table("billing_invoice"),
            downgrade=drop_table("billing_invoice")))
        self.ok("migrate", "app", "billing", "upgrade", "--ignore-requires")
        self.assertVersions([BILL1], "alembic_version_billing")
        self.assertVersions(None, "alembic_version_accounts")
        self.ok("migrate", "app", "accounts", "upgrade")
        self.ok("migrate", "app", "accounts", "downgrade", "base", "--ignore-requires")
        self.assertVersions([], "alembic_version_accounts")
        self.assertVersions([BILL1], "alembic_version_billing")


if __name__ == "__main__":
    main()
