"""An applied migration edited afterwards: `status` names it, `migrate all` warns in one line or
refuses ([tool.fastappkit.migration] verify = "warn" | "error" | "off"), `migrate verify` says
what to do (docs/safety.md)."""
import os

from fastappkit_testing import CliTestCase, create_table, drop_table, main, migration

C1, C2, C3 = "c1c1c1c1c1c1", "c2c2c2c2c2c2", "c3c3c3c3c3c3"
ADVICE = ("revert the edit (the database ran the recorded version), or put the change in a new "
          "migration ('fastappkit migrate revision -m MESSAGE')")


class VerifyEdits(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config()
        self.c1 = self.project.core_migration(C1, message="create t1", upgrade=create_table("t1"),
                                              downgrade=drop_table("t1"))
        self.project.core_migration(C2, C1, message="create t2", upgrade=create_table("t2"),
                                    downgrade=drop_table("t2"))
        self.ok("migrate", "upgrade")
        # edited after it ran
        self.project.write(self.c1, migration(C1, message="create t1", upgrade=create_table("t1", "id INTEGER, x TEXT"),
                                              downgrade=drop_table("t1")))
        self.project.core_migration(C3, C2, message="create t3", upgrade=create_table("t3"),
                                    downgrade=drop_table("t3"))

    def verify_setting(self, value):
        self.project.config(extra=f'\n[tool.fastappkit.migration]\nverify = "{value}"\n')

    def test_status_names_the_edited_file(self):
        res = self.ok("migrate", "status")
        lines = res.out.splitlines()
        self.assertIn(f"    {C1} edited since it was applied: {self.c1}", lines)
        self.assertEqual(lines[-1], f"An applied migration was edited: {ADVICE}; 'fastappkit migrate "
                                    "verify' lists them")

    def test_verify_says_what_to_do(self):
        res = self.fk("migrate", "verify")
        self.assertExit(res, 1)
        self.assertIn(f"core: revision {C1} changed since it was applied ({self.c1}: checksum ", res.err)
        self.assertTrue(res.err.rstrip("\n").endswith(f"now); {ADVICE}"), res)

    def test_migrate_all_warns_in_one_line(self):
        res = self.ok("migrate", "all")
        self.assertEqual(res.err, f"warning: 1 applied migration changed since it ran: core {C1} "
                                  f"({self.c1}); {ADVICE}\n")
        self.assertVersions([C3])

    def test_verify_error_refuses_before_anything_runs(self):
        self.verify_setting("error")
        self.assertFails(["migrate", "all"], 2, f"1 applied migration changed since it ran: core {C1} "
                         f"({self.c1}); {ADVICE} (verify = \"error\" in [tool.fastappkit.migration])")
        self.assertVersions([C2])

    def test_verify_off(self):
        self.verify_setting("off")
        res = self.ok("migrate", "all")
        self.assertEqual(res.err, "")
        self.assertVersions([C3])

    def test_bad_verify_value(self):
        self.verify_setting("sometimes")
        self.assertFails(["migrate", "all"], 2, self.project.path("fastappkit.toml"),
                         "verify must be \"warn\", \"error\" or \"off\", not 'sometimes'")


if __name__ == "__main__":
    main()
