"""migrate lint: findings as path:line: rule: sentence, exit codes, --strict, --json, --since,
--app, lint:ignore lines; it never opens a database."""
import json
import os

from fastappkit_testing import CliTestCase, main, migration

CORE = os.path.join("core", "db", "migrations", "versions")


class Lint(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config()
        self.project.core_migration("a1a1a1a1a1a1", upgrade="CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT);",
                                    downgrade="DROP TABLE account;")

    def lint(self, *args, code):
        res = self.fk("migrate", "lint", *args, db=False)
        self.assertEqual(res.code, code, repr(res))
        return res

    def test_clean_history_passes(self):
        res = self.lint(code=0)
        self.assertEqual(res.out, "1 revision checked for sqlite: 0 errors, 0 warnings\n")
        self.assertFalse(os.path.exists(self.db.sqlite_path or "/nonexistent"))

    def test_error_exits_1_with_path_line_rule_sentence(self):
        self.project.core_migration("b2b2b2b2b2b2", "a1a1a1a1a1a1", upgrade="DELETE FROM account;", downgrade="")
        res = self.lint(code=1)
        self.assertEqual(res.out.splitlines()[0],
                         f"{CORE}/b2b2b2b2b2b2_rev.sql:9: delete-without-where: DELETE FROM account without "
                         "WHERE deletes every row; add a WHERE clause naming the rows to remove")
        self.assertIn("2 revisions checked for sqlite: 1 error, 0 warnings", res.out)

    def test_warnings_fail_only_with_strict(self):
        self.project.core_migration("b2b2b2b2b2b2", "a1a1a1a1a1a1", upgrade="ALTER TABLE account RENAME TO customer;",
                                    downgrade=None)
        res = self.lint(code=0)
        self.assertIn(f"{CORE}/b2b2b2b2b2b2_rev.sql:9: rename-table: ", res.out)
        self.assertIn(f"{CORE}/b2b2b2b2b2b2_rev.sql:8: irreversible: ", res.out)
        self.assertIn("0 errors, 2 warnings (warnings fail only with --strict)", res.out)
        self.lint("--strict", code=1)

    def test_json(self):
        self.project.core_migration("b2b2b2b2b2b2", "a1a1a1a1a1a1", upgrade="TRUNCATE account;", downgrade="")
        res = self.fk("--json", "migrate", "lint", db=False)
        self.assertEqual(res.code, 1, repr(res))
        document = json.loads(res.out)
        self.assertEqual(document["errors"], 1)
        self.assertEqual(document["passed"], False)
        self.assertEqual(document["findings"], [{
            "file": f"{CORE}/b2b2b2b2b2b2_rev.sql", "line": 9, "rule": "truncate", "severity": "error",
            "message": "TRUNCATE account deletes every row; move data out in a reviewed data migration, "
                       "or annotate why it is safe"}])

    def test_ignore_line_with_reason_silences_the_rule(self):
        self.project.core_migration("b2b2b2b2b2b2", "a1a1a1a1a1a1",
                                    upgrade="-- lint:ignore drop-table account moved to customer in a1\n"
                                            "DROP TABLE account;",
                                    downgrade="")
        res = self.lint(code=0)
        self.assertIn("0 errors, 0 warnings", res.out)

    def test_ignore_line_without_reason_is_an_error(self):
        self.project.core_migration("b2b2b2b2b2b2", "a1a1a1a1a1a1",
                                    upgrade="-- lint:ignore drop-table\nDROP TABLE account;", downgrade="")
        res = self.lint(code=1)
        self.assertIn(f"{CORE}/b2b2b2b2b2b2_rev.sql:9: lint-ignore: lint:ignore drop-table needs a reason",
                      res.out)
        self.assertIn(f"{CORE}/b2b2b2b2b2b2_rev.sql:10: drop-table: ", res.out)

    def test_unknown_rule_in_ignore_line_is_an_error(self):
        self.project.core_migration("b2b2b2b2b2b2", "a1a1a1a1a1a1",
                                    upgrade="-- lint:ignore drop-tabel typo here\nSELECT 1;", downgrade="")
        res = self.lint(code=1)
        self.assertIn("lint-ignore: lint:ignore names 'drop-tabel', which is not a rule", res.out)

    def test_dialect_option_and_since(self):
        self.project.core_migration("b2b2b2b2b2b2", "a1a1a1a1a1a1",
                                    upgrade="CREATE INDEX ix_account_name ON account (name);",
                                    downgrade="DROP INDEX ix_account_name;")
        self.lint(code=0)  # SQLite: an index build is no concern there
        res = self.lint("--dialect", "postgresql", code=1)
        self.assertIn("pg-create-index-blocking: CREATE INDEX on existing table account", res.out)
        # --since: only the revisions after it
        res = self.lint("--dialect", "postgresql", "--since", "b2b2b2b2b2b2", code=0)
        self.assertIn("0 revisions checked", res.out)

    def test_settings_lock_timeout_satisfies_pg_rule(self):
        self.project.core_migration("b2b2b2b2b2b2", "a1a1a1a1a1a1", upgrade="ALTER TABLE account ADD COLUMN note TEXT;",
                                    downgrade="ALTER TABLE account DROP COLUMN note;")
        res = self.lint("--dialect", "postgresql", "--strict", code=1)
        self.assertIn("pg-no-lock-timeout: ALTER TABLE account waits for its lock", res.out)
        self.project.config(extra='\n[tool.fastappkit.migration]\nlock_timeout = "2s"\n')
        self.lint("--dialect", "postgresql", "--strict", code=0)

    def test_external_app_history(self):
        self.project.config(apps=["payments"], app_path=["external"])
        self.project.external_app("payments", {"p1p1p1p1p1p1": migration(
            "p1p1p1p1p1p1", upgrade="DROP TABLE legacy_payment;", downgrade="")})
        res = self.lint(code=1)
        self.assertIn("external/payments/payments/migrations/versions/p1p1p1p1p1p1_rev.sql:9: drop-table: ",
                      res.out)
        res = self.lint("--app", "payments", code=1)
        self.assertIn("1 revision checked", res.out)

    def test_help_lists_the_rules(self):
        res = self.fk("migrate", "lint", "--help", db=False)
        self.assertEqual(res.code, 0, repr(res))
        for rule in ("drop-table", "pg-no-lock-timeout", "sqlite-alter-unsupported", "lint-ignore"):
            self.assertIn(rule, res.out)
        self.assertRegex(res.out, r"pg-create-index-blocking +error +CREATE INDEX without CONCURRENTLY")

    def test_bad_timeout_header_is_a_usage_error(self):
        path = self.project.core_migration("b2b2b2b2b2b2", "a1a1a1a1a1a1", header=(
            "-- revision: b2b2b2b2b2b2\n-- down_revision: a1a1a1a1a1a1\n-- lock_timeout: 2 seconds\n"),
            upgrade="SELECT 1;", downgrade="")
        res = self.fk("migrate", "lint", db=False)
        self.assertExit(res, 2, f"{path}:3: invalid lock_timeout '2 seconds'")
        self.assertOneSentence(res)


if __name__ == "__main__":
    main()
