"""Configuration (backend-independent, run once on SQLite): every error rule of
docs/configuration.md, migration file errors, .env parsing and the database URL's precedence,
external app resolution."""
import json
import os

from fastappkit_testing import CliTestCase, Project, create_table, drop_table, main, migration

REV = "c0ffee000001"
PAY = "p1p1p1p1p1p1"


def pay_rev():
    return migration(PAY, upgrade=create_table("charge"), downgrade=drop_table("charge"))


class ConfigCase(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.core_migration(REV, None, upgrade=create_table("t1"), downgrade=drop_table("t1"))
        # an existing database, so that "unchanged" is checked against real content
        self.db.execute("CREATE TABLE existing (id INTEGER); INSERT INTO existing VALUES (42);")

    def expect_error(self, fragments, commands=(("describe",), ("app", "list"), ("migrate", "all"),
                                                ("migrate", "upgrade"))):
        """Each command exits 2 with one sentence holding every fragment, database unchanged."""
        results = []
        for command in commands:
            with self.subTest(command=command):
                results.append(self.assertFails(list(command), 2, *fragments))
        return results


class ProjectConfigErrors(ConfigCase):
    def toml(self):
        return self.project.path("fastappkit.toml")

    def test_missing_apps_key(self):
        self.project.config(text="[tool.fastappkit]\napp_path = []\n")
        self.expect_error([self.toml(), "missing the required key 'apps'"])

    def test_missing_tool_table(self):
        self.project.config(text="[tool.other]\napps = []\n")
        self.expect_error([self.toml(), "[tool.fastappkit]"])

    def test_toml_syntax_error(self):
        self.project.config(text='[tool.fastappkit]\napps = ["apps.blog"\n')
        self.expect_error([f"{self.toml()}:2:"])

    def test_apps_not_an_array(self):
        self.project.config(text='[tool.fastappkit]\napps = "apps.blog"\n')
        self.expect_error([f"{self.toml()}:2:", "'apps' must be an array of strings"])

    def test_bad_app_names(self):
        for entry in ("apps.Blog", "my-app", "9lives", "apps." + "a" * 41, "apps.", ""):
            with self.subTest(entry=entry):
                self.project.config(apps=[entry])
                self.expect_error([f"{self.toml()}:2:", "not valid"], commands=(("describe",), ("migrate", "all")))

    def test_longest_valid_name(self):
        name = "a" * 40
        self.project.config(apps=[f"apps.{name}"])
        self.project.internal_app(name)
        self.assertIn(name, self.ok("app", "list").out)

    def test_reserved_core_name(self):
        self.project.config(apps=["core"])
        self.expect_error([self.toml(), "reserved name 'core'"])

    def test_duplicate_app(self):
        self.project.internal_app("blog")
        for apps in (["apps.blog", "apps.blog"], ["apps.blog", "blog"]):
            with self.subTest(apps=apps):
                self.project.config(apps=apps, app_path=["external"])
                self.expect_error([self.toml(), "'blog' is listed twice"])

    def test_filesystem_path_as_app(self):
        self.project.external_app("pay", {PAY: pay_rev()})
        for entry in ("external/pay", "./external/pay", os.path.join(self.project.root, "external", "pay")):
            with self.subTest(entry=entry):
                self.project.config(apps=[entry], app_path=["external"])
                self.expect_error([self.toml(), f"'{entry}' is a filesystem path"])

    def test_missing_internal_app_directory(self):
        self.project.config(apps=["apps.ghost"])
        self.expect_error([self.toml(), "internal app 'ghost'", self.project.path("apps", "ghost")])

    def test_unresolvable_external_app(self):
        self.project.config(apps=["nowhere"], app_path=["external"])
        self.expect_error([self.toml(), "external app 'nowhere' not found", self.project.path("external")])

    def test_order_with_unknown_name(self):
        self.project.internal_app("blog")
        self.project.external_app("pay", {PAY: pay_rev()})
        for name in ("ghost", "pay"):  # an external app is not an internal one
            with self.subTest(name=name):
                self.project.config(apps=["apps.blog", "pay"], app_path=["external"], order=["core", name])
                self.expect_error([self.toml(), f"migration.order names '{name}'"])

    def test_order_core_not_first(self):
        self.project.internal_app("blog")
        self.project.config(apps=["apps.blog"], order=["blog", "core"])
        self.expect_error([self.toml(), "'core' first"])

    def test_order_without_core_is_fine(self):
        self.project.internal_app("blog")
        self.project.internal_app("auth")
        self.project.config(apps=["apps.blog", "apps.auth"], order=["auth", "blog"])
        self.ok("migrate", "all")

    def test_unknown_keys(self):
        cases = [('[tool.fastappkit]\napps = []\ncolour = 1\n', ":3:", "unknown key 'colour'"),
                 ('[tool.fastappkit]\napps = []\n[tool.fastappkit.migration]\nordr = []\n', ":4:",
                  "unknown key 'ordr'")]
        for text, line, fragment in cases:
            with self.subTest(fragment=fragment):
                self.project.config(text=text)
                self.expect_error([self.toml() + line, fragment])


class ManifestErrors(ConfigCase):
    def setUp(self):
        super().setUp()
        self.project.config(apps=["pay", "ana"], app_path=["external"])
        self.project.external_app("ana", {"a1a1a1a1a1a1": migration("a1a1a1a1a1a1", upgrade="", downgrade="")})
        self.manifest = self.project.path("external", "pay", "pay", "fastappkit.toml")

    def write_manifest(self, text):
        self.project.external_app("pay", {PAY: pay_rev()}, manifest=text)

    def test_missing_required_keys(self):
        for key in ("name", "version", "migrations"):
            with self.subTest(key=key):
                values = {"name": '"pay"', "version": '"0.1.0"', "migrations": '"migrations"'}
                del values[key]
                self.write_manifest("[tool.fastappkit]\n" + "".join(f"{k} = {v}\n" for k, v in values.items()))
                self.expect_error([self.manifest, f"missing the required key '{key}'"])

    def test_name_mismatch(self):
        self.write_manifest('[tool.fastappkit]\nname = "payments"\nversion = "1"\nmigrations = "migrations"\n')
        self.expect_error([f"{self.manifest}:2:", "'payments' does not match its directory name 'pay'"])

    def test_migrations_outside_the_app(self):
        for value, fragment in (("../migrations", "'..'"), ("migrations/../../x", "'..'"),
                                ("/abs/migrations", "relative")):
            with self.subTest(value=value):
                self.write_manifest(f'[tool.fastappkit]\nname = "pay"\nversion = "1"\nmigrations = "{value}"\n')
                self.expect_error([f"{self.manifest}:4:", fragment])

    def test_unknown_key(self):
        self.write_manifest('[tool.fastappkit]\nname = "pay"\nversion = "1"\nmigrations = "migrations"\nfoo = 1\n')
        self.expect_error([f"{self.manifest}:5:", "unknown key 'foo'"])

    def test_wrong_types(self):
        self.write_manifest('[tool.fastappkit]\nname = "pay"\nversion = 1\nmigrations = "migrations"\n')
        self.expect_error([f"{self.manifest}:3:", "'version' must be a string"])

    def test_optional_keys_are_accepted(self):
        self.write_manifest('[tool.fastappkit]\nname = "pay"\nversion = "1"\nmigrations = "migrations"\n'
                            'models = "models.sql"\nrequires = []\nentrypoint = "pay:register"\n'
                            'version_table = "alembic_version_pay"\n')
        self.ok("migrate", "all")
        self.assertVersions([PAY], "alembic_version_pay")

    def test_requires_cycle(self):
        self.write_manifest('[tool.fastappkit]\nname = "pay"\nversion = "1"\nmigrations = "migrations"\n'
                            'requires = ["ana"]\n')
        self.project.external_app("ana", manifest='[tool.fastappkit]\nname = "ana"\nversion = "1"\n'
                                                  'migrations = "migrations"\nrequires = ["pay"]\n')
        self.expect_error(["cycle", "pay", "ana"], commands=(("describe",), ("migrate", "all")))

    def test_requires_itself(self):
        self.write_manifest('[tool.fastappkit]\nname = "pay"\nversion = "1"\nmigrations = "migrations"\n'
                            'requires = ["pay"]\n')
        self.expect_error(["cycle", "pay"], commands=(("describe",), ("migrate", "all")))

    def test_requires_app_not_in_apps(self):
        self.write_manifest('[tool.fastappkit]\nname = "pay"\nversion = "1"\nmigrations = "migrations"\n'
                            'requires = ["ghost"]\n')
        self.expect_error([self.manifest, "'pay' requires 'ghost'"], commands=(("describe",), ("migrate", "all")))

    def test_app_validate_reports_requires_errors(self):
        # app validate checks the manifest: an unsatisfiable requires is not "valid"
        self.write_manifest('[tool.fastappkit]\nname = "pay"\nversion = "1"\nmigrations = "migrations"\n'
                            'requires = ["ghost"]\n')
        self.expect_error(["'pay' requires 'ghost'"], commands=(("app", "validate", "pay"),))


class MigrationFileErrors(ConfigCase):
    def setUp(self):
        super().setUp()
        self.project.config()

    def write(self, name, text):
        return self.project.write(os.path.join("core", "db", "migrations", "versions", name), text)

    def check(self, fragments, commands=(("migrate", "upgrade"), ("migrate", "all"), ("migrate", "history"),
                                         ("migrate", "heads"))):
        return self.expect_error(fragments, commands)

    HEADER = "-- revision: aaaa\n-- down_revision: {down}\n"

    def test_unknown_header_key(self):
        path = self.write("a.sql", "-- revision: aaaa\n-- down_revision: c0ffee000001\n-- colour: red\n"
                                   "-- migrate:upgrade\nSELECT 1;\n")
        self.check([f"{path}:3:", "unknown header key 'colour'"])

    def test_duplicate_header_key(self):
        path = self.write("a.sql", "-- revision: aaaa\n-- down_revision: c0ffee000001\n-- revision: bbbb\n"
                                   "-- migrate:upgrade\nSELECT 1;\n")
        self.check([f"{path}:3:", "duplicate header key 'revision'"])

    def test_bad_revision_ids(self):
        for bad in ("aa-aa", "a" * 33, "a b"):
            with self.subTest(revision=bad):
                path = self.write("a.sql", f"-- revision: {bad}\n-- down_revision: none\n-- migrate:upgrade\n")
                self.check([f"{path}:1:", f"invalid revision id '{bad}'"])

    def test_longest_revision_id(self):
        rev = "A_" + "9" * 30
        self.write("a.sql", migration(rev, REV, upgrade="", downgrade=""))
        self.ok("migrate", "upgrade")
        self.assertVersions([rev])

    def test_missing_required_headers(self):
        path = self.write("a.sql", "-- down_revision: none\n-- migrate:upgrade\n")
        self.check([path, "missing required header 'revision'"])
        path = self.write("a.sql", "-- revision: aaaa\n-- migrate:upgrade\n")
        self.check([path, "missing required header 'down_revision'"])

    def test_dangling_down_revision(self):
        path = self.write("a.sql", migration("aaaa", "bbbb", upgrade="SELECT 1;"))
        self.check([path, "Revision bbbb referenced from aaaa is not present"])

    def test_dangling_depends_on(self):
        path = self.write("a.sql", migration("aaaa", REV, depends_on="zzzz", upgrade="SELECT 1;"))
        self.check([path, "Revision zzzz referenced from aaaa is not present"])

    def test_duplicate_revision_ids(self):
        a = self.write("a.sql", migration("aaaa", REV, upgrade="SELECT 1;"))
        b = self.write("b.sql", migration("aaaa", REV, upgrade="SELECT 2;"))
        self.check(["Revision aaaa is present more than once", a, b])

    def test_cycle(self):
        self.write("a.sql", migration("aaaa", ["bbbb", REV], upgrade="SELECT 1;"))
        self.write("b.sql", migration("bbbb", "aaaa", upgrade="SELECT 1;"))
        self.check(["Cycle is detected in revisions (", "aaaa", "bbbb"])

    def test_self_loop(self):
        self.write("a.sql", migration("aaaa", "aaaa", upgrade="SELECT 1;"))
        self.check(["is detected in revisions (aaaa)"])

    def test_duplicate_branch_label(self):
        self.write("a.sql", migration("aaaa", REV, branch_labels="x", upgrade="SELECT 1;"))
        self.write("b.sql", migration("bbbb", REV, branch_labels="x", upgrade="SELECT 1;"))
        self.check(["Branch name 'x'", "bbbb", "aaaa"])

    def test_section_errors(self):
        cases = [
            ("-- migrate:upgrade\nSELECT 1;\n-- migrate:upgrade\nSELECT 2;\n", 5, "duplicate '-- migrate:upgrade' section"),
            ("-- migrate:upgrade colour:red\nSELECT 1;\n", 3, "unknown section option 'colour:red'"),
            ("-- migrate:upgrade dialect:oracle\nSELECT 1;\n", 3, "dialect:oracle"),
            ("-- migrate:sideways\nSELECT 1;\n", 3, "unknown section 'migrate:sideways'"),
            ("-- migrate:downgrade\nSELECT 1;\n", 1, "missing '-- migrate:upgrade' section"),
            ("SELECT 1;\n-- migrate:upgrade\n", 3, "before the first '-- migrate:' section marker"),
        ]
        for body, line, fragment in cases:
            with self.subTest(fragment=fragment):
                path = self.write("a.sql", f"-- revision: aaaa\n-- down_revision: {REV}\n" + body)
                self.check([f"{path}:{line}:", fragment], commands=(("migrate", "upgrade"), ("migrate", "all")))

    def test_external_app_file_error_names_the_file(self):
        self.project.config(apps=["pay"], app_path=["external"])
        self.project.external_app("pay", {PAY: "-- revision: p1p1p1p1p1p1\n-- down_revision: none\n-- bogus: 1\n"
                                                "-- migrate:upgrade\n"})
        path = self.project.path("external", "pay", "pay", "migrations", "versions", f"{PAY}_rev.sql")
        self.expect_error([f"{path}:3:", "unknown header key 'bogus'"],
                          commands=(("migrate", "all"), ("migrate", "app", "pay", "upgrade")))

    def test_other_files_are_ignored(self):
        self.write("README.md", "not a migration")
        self.write("notes.txt", "-- revision: nope\n")
        self.ok("migrate", "upgrade")
        self.assertVersions([REV])


class DatabaseUrl(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config()
        self.project.core_migration(REV, None, upgrade=create_table("t1"), downgrade=drop_table("t1"))
        self.paths = {k: os.path.join(self.tmp, f"{k}.db") for k in ("option", "env", "dotenv")}

    def migrated(self):
        return sorted(k for k, p in self.paths.items() if os.path.exists(p))

    def reset(self):
        for p in self.paths.values():
            if os.path.exists(p):
                os.remove(p)

    def test_precedence(self):
        self.project.write(".env", f"DATABASE_URL=sqlite:///{self.paths['dotenv']}\n")
        env = {"DATABASE_URL": f"sqlite:///{self.paths['env']}"}
        self.ok("--database-url", f"sqlite:///{self.paths['option']}", "migrate", "upgrade", db=False, env=env)
        self.assertEqual(self.migrated(), ["option"])
        self.reset()
        self.ok("migrate", "upgrade", db=False, env=env)
        self.assertEqual(self.migrated(), ["env"])
        self.reset()
        self.ok("migrate", "upgrade", db=False)
        self.assertEqual(self.migrated(), ["dotenv"])
        self.reset()
        self.ok("migrate", "upgrade", db=False, env={"DATABASE_URL": ""})  # empty counts as unset
        self.assertEqual(self.migrated(), ["dotenv"])

    def test_relative_sqlite_url_is_relative_to_the_project_root(self):
        self.project.write(".env", "DATABASE_URL=sqlite:///data/app.db\n")
        os.makedirs(self.project.path("data"))
        self.ok("--project-root", self.project.root, "migrate", "upgrade", db=False, cwd=self.tmp)
        self.assertTrue(os.path.exists(self.project.path("data", "app.db")))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "data")))

    def test_env_file_syntax(self):
        target = self.paths["dotenv"]
        forms = [
            f"DATABASE_URL=sqlite:///{target}",
            f"export DATABASE_URL=sqlite:///{target}",
            f"DATABASE_URL='sqlite:///{target}'",
            f'DATABASE_URL="sqlite:///{target}"',
            f'  DATABASE_URL = "sqlite:///{target}"   # trailing comment',
            f"DATABASE_URL=sqlite:///{target} # trailing comment",
            f"# DATABASE_URL=sqlite:///nope.db\nOTHER=1\n\nDATABASE_URL=sqlite:///{target}\r",
        ]
        for line in forms:
            with self.subTest(line=line):
                self.reset()
                self.project.write(".env", "# settings\n" + line + "\n")
                self.ok("migrate", "upgrade", db=False)
                self.assertEqual(self.migrated(), ["dotenv"])

    def test_env_file_errors(self):
        env_file = self.project.path(".env")
        cases = [("DATABASE_URL='sqlite:///x.db\n", ":2:", "no closing quote"),
                 ("JUSTAWORD\n", ":2:", "expected KEY=VALUE"),
                 ("BAD-KEY=1\n", ":2:", "invalid key 'BAD-KEY'"),
                 ('DATABASE_URL="sqlite:///x.db" junk\n', ":2:", "unexpected text after the quoted value")]
        for text, line, fragment in cases:
            with self.subTest(fragment=fragment):
                self.project.write(".env", "# settings\n" + text)
                res = self.fk("migrate", "upgrade", db=False)
                self.assertExit(res, 2, env_file + line, fragment)
                self.assertOneSentence(res)
                self.assertEqual(os.listdir(self.tmp).count("x.db"), 0)


class ExternalAppResolution(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.core_migration(REV, None, upgrade=create_table("t1"), downgrade=drop_table("t1"))

    def manifest_of(self, name, *args, **kw):
        doc = json.loads(self.ok(*args, "describe", db=False, **kw).out)
        return {a["name"]: a.get("manifest") for a in doc["apps"]}[name]

    def test_app_path(self):
        self.project.config(apps=["pay"], app_path=["vendor"])
        self.project.external_app("pay", {PAY: pay_rev()}, base="vendor")
        self.assertEqual(self.manifest_of("pay"), self.project.path("vendor", "pay", "pay", "fastappkit.toml"))
        self.ok("migrate", "all")
        self.assertVersions([PAY], "alembic_version_pay")

    def test_environment_variable(self):
        self.project.config(apps=["pay"])
        other = Project(os.path.join(self.tmp, "shared"))
        other.external_app("pay", {PAY: pay_rev()}, base="second")
        env = {"FASTAPPKIT_APP_PATH": f"{other.path('first')}:{other.path('second')}"}
        self.assertEqual(self.manifest_of("pay", env=env), other.path("second", "pay", "pay", "fastappkit.toml"))
        self.ok("migrate", "all", env=env)
        self.assertVersions([PAY], "alembic_version_pay")
        res = self.fk("describe", db=False)
        self.assertExit(res, 2, "external app 'pay' not found")

    def test_app_path_option(self):
        self.project.config(apps=["pay", "ana"])
        other = Project(os.path.join(self.tmp, "shared"))
        other.external_app("pay", {PAY: pay_rev()}, base="one")
        other.external_app("ana", base="two")
        args = ["--app-path", other.path("one"), "--app-path", other.path("two")]
        self.assertEqual(self.manifest_of("ana", *args), other.path("two", "ana", "ana", "fastappkit.toml"))
        self.ok(*args, "migrate", "all")
        self.assertVersions([PAY], "alembic_version_pay")

    def test_installed_layout(self):
        # <prefix>/share/fastappkit/apps/<name>/fastappkit.toml, as the CMake package installs it
        self.project.config(apps=["pay"])
        prefix = Project(os.path.join(self.tmp, "prefix"))
        apps_dir = os.path.join("share", "fastappkit", "apps")
        prefix.external_app("pay", {PAY: pay_rev()}, base=apps_dir, installed=True)
        self.assertEqual(self.manifest_of("pay", "--app-path", prefix.path(apps_dir)),
                         prefix.path(apps_dir, "pay", "fastappkit.toml"))
        self.ok("--app-path", prefix.path(apps_dir), "migrate", "all")
        self.assertVersions([PAY], "alembic_version_pay")

    def test_search_order(self):
        # app_path first, then FASTAPPKIT_APP_PATH, then --app-path
        self.project.config(apps=["pay"], app_path=["vendor"])
        for base in ("vendor", "envdir", "optdir"):
            self.project.external_app("pay", {PAY: pay_rev()}, base=base)
        env = {"FASTAPPKIT_APP_PATH": self.project.path("envdir")}
        opt = ["--app-path", self.project.path("optdir")]
        self.assertEqual(self.manifest_of("pay", *opt, env=env),
                         self.project.path("vendor", "pay", "pay", "fastappkit.toml"))
        self.project.config(apps=["pay"])
        self.assertEqual(self.manifest_of("pay", *opt, env=env),
                         self.project.path("envdir", "pay", "pay", "fastappkit.toml"))
        self.assertEqual(self.manifest_of("pay", *opt), self.project.path("optdir", "pay", "pay", "fastappkit.toml"))

    def test_not_found_names_searched_directories(self):
        self.project.config(apps=["pay"], app_path=["vendor"])
        env = {"FASTAPPKIT_APP_PATH": os.path.join(self.tmp, "envdir")}
        res = self.fk("--app-path", os.path.join(self.tmp, "optdir"), "describe", db=False, env=env)
        self.assertExit(res, 2, "external app 'pay' not found", self.project.path("vendor"),
                        os.path.join(self.tmp, "envdir"), os.path.join(self.tmp, "optdir"))
        self.assertOneSentence(res)


if __name__ == "__main__":
    main()
