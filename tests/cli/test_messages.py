"""A newcomer's mistakes get a sentence that says what to do: --app on migrate upgrade, a
mistyped app or command, `migrate app core`, an empty DATABASE_URL, a hyphenated project name;
status names the database; app list -v shows requires."""
import os

from fastappkit_testing import CliTestCase, main

TABLE = "CREATE TABLE t (id INTEGER PRIMARY KEY);"


class Messages(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config(apps=["accounts", "billing"], app_path=["external"])
        os.makedirs(self.project.core_dir())
        self.project.external_app("accounts", requires=[])
        self.project.external_app("billing", requires=["accounts"])

    def test_app_option_on_upgrade_points_to_migrate_app(self):
        for command in ("upgrade", "downgrade"):
            with self.subTest(command=command):
                self.assertFails(["migrate", command, "--app", "billing"] + (["-1"] if command == "downgrade" else []), 2,
                                 f"'fastappkit migrate {command}' moves the core history and has no --app "
                                 f"option; move an external app with 'fastappkit migrate app billing {command}'")

    def test_did_you_mean(self):
        toml = self.project.path("fastappkit.toml")
        self.assertFails(["migrate", "app", "biling", "upgrade"], 2,
                         f"App 'biling' is not in the apps list of {toml}; did you mean 'billing'?")
        res = self.assertFails(["migrate", "app", "reports", "upgrade"], 2, "App 'reports' is not in the apps list")
        self.assertNotIn("did you mean", res.err)
        self.assertFails(["migrate", "app", "billing", "upgarde"], 2,
                         "Unknown command 'upgarde' for 'fastappkit migrate app'; did you mean 'upgrade'?")

    def test_did_you_mean_for_options(self):
        self.assertFails(["migrate", "fleet", "--paralel", "2"], 2,
                         "Unknown option '--paralel' for 'fastappkit migrate fleet'; did you mean '--parallel'?")
        # A global option, mistyped after the command; a value after '=' is never echoed.
        res = self.assertFails(["migrate", "status", "--databse-url=postgresql://u:s3cret@db/x"], 2,
                               "Unknown option '--databse-url' for 'fastappkit migrate status'; "
                               "did you mean '--database-url'?")
        self.assertNotIn("s3cret", res.text)
        self.assertFails(["migrate", "all", "--zzzzzzzzzz"], 2,
                         "Unknown option '--zzzzzzzzzz' for 'fastappkit migrate all'; run "
                         "'fastappkit migrate all --help' for the options")

    def test_migrate_app_core(self):
        self.assertFails(["migrate", "app", "core", "upgrade"], 2,
                         "'core' is not an app: the core history is migrated with 'fastappkit migrate upgrade'")

    def test_empty_database_url(self):
        env = self.project.write(".env", "DATABASE_URL=\n")
        self.assertFails(["migrate", "status"], 2, f"DATABASE_URL is empty in {env}; set it to a database URL",
                         db=False, env={"DATABASE_URL": ""})

    def test_hyphenated_project_name_gets_a_suggestion(self):
        self.assertFails(["core", "new", "my-shop"], 2, "'my-shop' is not a valid name",
                         "(for example 'my_shop')", db=False, cwd=self.tmp)

    def test_app_list_verbose_shows_requires(self):
        res = self.ok("app", "list", "-v", db=False)
        lines = res.out.splitlines()
        self.assertIn("    requires nothing", lines)
        self.assertIn("    requires accounts", lines)
        self.assertLess(lines.index("    requires nothing"), lines.index("    requires accounts"))


if __name__ == "__main__":
    main()
