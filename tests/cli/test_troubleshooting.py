"""The seed's troubleshooting cases, each with its exact sentence: revision not found, wrong
version table, connection failures (passwords masked), migrations directory not found,
configuration file not found."""
import os
import shutil
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

from fastappkit_testing import (BACKEND, CliTestCase, create_table, drop_table, main, migration,
                     pg_password, pg_url_for, run_runner)

R1, R2 = "aa1111111111", "bb2222222222"
GHOST = "deadbeef0000"


class RevisionNotFound(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config(apps=["pay"], app_path=["external"])
        self.project.core_migration(R1, None, upgrade=create_table("t1"), downgrade=drop_table("t1"))
        self.project.core_migration(R2, R1, upgrade=create_table("t2"), downgrade=drop_table("t2"))
        self.project.external_app("pay", {"p1p1p1p1p1p1": migration("p1p1p1p1p1p1", upgrade=create_table("charge"),
                                                                     downgrade=drop_table("charge"))})

    def test_database_at_a_revision_no_file_defines(self):
        self.ok("migrate", "upgrade", R1)
        self.db.execute(f"UPDATE alembic_version SET version_num = '{GHOST}'")
        sentence = f"Can't locate revision identified by '{GHOST}'"
        for command in (["migrate", "upgrade"], ["migrate", "all"], ["migrate", "downgrade", "base"],
                        ["migrate", "current"], ["migrate", "status"], ["migrate", "preview"],
                        ["migrate", "stamp", "head"]):
            with self.subTest(command=command):
                self.assertFails(command, 1, sentence)
        self.assertVersions([GHOST])
        self.assertEqual(self.db.user_tables(), ["t1"])
        # stamp --purge is the way out
        self.ok("migrate", "stamp", "--purge", R1)
        self.assertVersions([R1])
        self.ok("migrate", "all")
        self.assertVersions([R2])

    def test_external_app_at_unknown_revision(self):
        self.ok("migrate", "all")
        self.db.execute(f"UPDATE alembic_version_pay SET version_num = '{GHOST}'")
        self.assertFails(["migrate", "app", "pay", "upgrade"], 1, f"Can't locate revision identified by '{GHOST}'",
                         "pay")
        self.assertFails(["migrate", "current", "--app", "pay"], 1, f"Can't locate revision identified by '{GHOST}'")


class WrongVersionTable(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config(apps=["payments"], app_path=["external"])
        self.project.core_migration(R1, None, upgrade=create_table("t1"), downgrade=drop_table("t1"))

    def manifest(self, version_table):
        self.project.external_app("payments", {"p1p1p1p1p1p1": migration(
            "p1p1p1p1p1p1", upgrade=create_table("charge"), downgrade=drop_table("charge"))},
            extra=f'version_table = "{version_table}"\n')
        return self.project.path("external", "payments", "payments", "fastappkit.toml")

    def test_shared_version_table_in_manifest(self):
        self.manifest("alembic_version_payments")
        self.ok("migrate", "upgrade")
        manifest = self.manifest("alembic_version")
        for command in (["migrate", "all"], ["migrate", "app", "payments", "upgrade"], ["app", "validate", "payments"],
                        ["app", "list"]):
            with self.subTest(command=command):
                self.assertFails(command, 2, manifest, "payments", "alembic_version_payments")
        self.assertVersions([R1])
        self.assertVersions(None, "alembic_version_payments")

    def test_other_version_table_in_manifest(self):
        self.manifest("alembic_version_payments")
        self.ok("migrate", "upgrade")
        manifest = self.manifest("payments_versions")
        self.assertFails(["migrate", "all"], 2, manifest, "payments_versions", "alembic_version_payments")

    def test_correct_version_table_is_accepted(self):
        self.manifest("alembic_version_payments")
        self.ok("migrate", "all")
        self.assertVersions(["p1p1p1p1p1p1"], "alembic_version_payments")


class ConnectionFailures(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config()
        self.project.core_migration(R1, None, upgrade=create_table("t1"), downgrade=drop_table("t1"))

    def test_postgresql_closed_port(self):
        url = "postgresql://bob:s3cretPassw0rd@127.0.0.1:1/shop?sslmode=disable"
        for command in (["migrate", "upgrade"], ["migrate", "all"], ["migrate", "current"], ["migrate", "status"]):
            with self.subTest(command=command):
                res = self.fk("--database-url", url, *command, db=False)
                self.assertExit(res, 1, "Cannot connect to postgresql://bob:***@127.0.0.1:1/shop")
                self.assertOneSentence(res)
                self.assertNotIn("s3cretPassw0rd", res.text)

    def test_password_query_parameter_is_masked(self):
        url = "postgres://bob@127.0.0.1:1/shop?password=queryS3cret&connect_timeout=5"
        res = self.fk("--database-url", url, "migrate", "upgrade", db=False)
        self.assertExit(res, 1, "Cannot connect to", "password=***")
        self.assertNotIn("queryS3cret", res.text)
        # the environment and .env forms are masked the same way
        res = self.fk("migrate", "upgrade", db=False, env={"DATABASE_URL": "postgresql+psycopg2://u:envS3cret@127.0.0.1:1/x"})
        self.assertExit(res, 1, "://u:***@127.0.0.1:1/x")
        self.assertNotIn("envS3cret", res.text)
        self.project.write(".env", "DATABASE_URL='postgresql+asyncpg://u:fileS3cret@127.0.0.1:1/x'\n")
        res = self.fk("migrate", "upgrade", db=False)
        self.assertExit(res, 1, "://u:***@127.0.0.1:1/x")
        self.assertNotIn("fileS3cret", res.text)

    def test_unsupported_url(self):
        res = self.fk("--database-url", "mysql://u:myS3cret@host/db", "migrate", "upgrade", db=False)
        self.assertExit(res, 2, "Unsupported database URL", "mysql://u:***@host/db")
        self.assertOneSentence(res)
        self.assertNotIn("myS3cret", res.text)

    def test_sqlite_file_in_missing_directory(self):
        missing = os.path.join(self.tmp, "no", "such", "dir")
        res = self.fk("--database-url", f"sqlite:///{missing}/app.db", "migrate", "upgrade", db=False)
        self.assertExit(res, 1, f"Cannot open database sqlite:///{missing}/app.db",
                        f"the directory {missing} does not exist")
        self.assertOneSentence(res)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "no")))

    def test_no_database_url(self):
        res = self.fk("migrate", "upgrade", db=False)
        self.assertExit(res, 2, "No database URL", self.project.path(".env"))
        self.assertOneSentence(res)

    def test_url_forms(self):
        # driver suffixes are stripped; postgres:// and a password= parameter work
        if BACKEND == "sqlite":
            urls = [self.db.url.replace("sqlite://", "sqlite+aiosqlite://", 1)]
        else:
            password = pg_password()
            urls = [self.db.url.replace("postgresql://", "postgres://", 1),
                    self.db.url.replace("postgresql://", "postgresql+psycopg2://", 1),
                    self.db.url.replace("postgresql://", "postgresql+asyncpg://", 1) + "?sslmode=disable",
                    self.db.url.replace(f":{password}@", "@", 1) + f"?password={password}"]
        for i, url in enumerate(urls):
            with self.subTest(url=url):
                res = self.ok("--database-url", url, "migrate", "upgrade" if i == 0 else "current", db=False)
                if BACKEND == "postgresql":
                    self.assertNotIn(pg_password(), res.text)
                self.assertVersions([R1])

    def test_real_server_failures_never_print_the_password(self):
        if BACKEND != "postgresql":
            self.skipTest("PostgreSQL only")
        password = pg_password()
        self.assertTrue(password)
        wrong = self.db.url.replace(f":{password}@", ":notTheRightOne@")
        missing_db = self.db.url.rsplit("/", 1)[0] + "/fk_cli_no_such_database"
        self.project.core_migration(R2, R1, upgrade="INSERT INTO no_such_table VALUES (1);", downgrade="")
        outputs = []
        for args in (["--database-url", wrong, "migrate", "upgrade"],
                     ["--database-url", missing_db, "migrate", "current"],
                     ["--database-url", self.db.url, "migrate", "upgrade"],      # a failing migration
                     ["--database-url", self.db.url, "-v", "migrate", "status"],
                     ["--database-url", self.db.url, "--json", "migrate", "upgrade"],
                     ["--database-url", self.db.url, "db", "reset"]):
            res = run_runner(args, cwd=self.project.root)
            outputs.append(res)
            self.assertNotIn(password, res.text, repr(res))
            self.assertNotIn("notTheRightOne", res.text, repr(res))
        self.assertEqual([r.code for r in outputs], [1, 1, 1, 0, 1, 0])
        self.assertIn("password authentication failed", outputs[0].err)
        self.assertIn("fk_cli_no_such_database", outputs[1].err)


class MissingFiles(CliTestCase):
    def test_configuration_file_not_found(self):
        os.makedirs(self.project.root, exist_ok=True)
        res = self.fk("migrate", "upgrade")
        self.assertExit(res, 2)
        self.assertEqual(res.err.strip(), f"Configuration file not found: {self.project.root}/fastappkit.toml "
                                          "(run from the project root or pass --project-root)")
        elsewhere = os.path.join(self.tmp, "elsewhere")
        res = self.fk("--project-root", elsewhere, "migrate", "all")
        self.assertEqual(res.err.strip(), f"Configuration file not found: {elsewhere}/fastappkit.toml "
                                          "(run from the project root or pass --project-root)")
        self.assertEqual(res.code, 2)
        # --project-root works from anywhere
        self.project.config()
        self.project.core_migration(R1, None, upgrade=create_table("t1"), downgrade=drop_table("t1"))
        self.ok("--project-root", self.project.root, "migrate", "upgrade", cwd=self.tmp)
        self.assertVersions([R1])

    def test_core_migrations_directory_not_found(self):
        self.project.config()
        self.assertFails(["migrate", "upgrade"], 2, "Migrations directory not found: "
                               f"{self.project.path('core', 'db', 'migrations')}")
        self.assertFails(["migrate", "current"], 2, "Migrations directory not found")
        self.assertFails(["migrate", "status"], 2, "Migrations directory not found")
        self.db.execute("CREATE TABLE unrelated (id INTEGER)")
        self.assertFails(["migrate", "all"], 2, "Migrations directory not found")

    def test_configuration_errors_do_not_create_the_database(self):
        # a command must read the configuration before it opens (creates) the database
        if BACKEND != "sqlite":
            self.skipTest("SQLite only")
        created = []

        def check(command, fragment):
            res = self.fk(*command)
            self.assertExit(res, 2, fragment)
            if self.db.exists():
                created.append(" ".join(command))
                os.remove(self.db.sqlite_path)

        for command in (["migrate", "all"], ["migrate", "upgrade"], ["migrate", "downgrade", "base"],
                        ["migrate", "stamp", "head"]):
            check(command, "Configuration file not found")
        self.project.config()
        for command in (["migrate", "all"], ["migrate", "upgrade"]):
            check(command, "Migrations directory not found")
        self.assertEqual(created, [], "these commands created the SQLite file before failing")

    def test_external_migrations_directory_not_found(self):
        self.project.config(apps=["pay"], app_path=["external"])
        self.project.core_migration(R1, None, upgrade=create_table("t1"), downgrade=drop_table("t1"))
        self.project.external_app("pay")
        self.ok("migrate", "upgrade")
        shutil.rmtree(self.project.path("external", "pay", "pay", "migrations"))
        self.assertFails(["migrate", "upgrade"], 2, "Migrations directory not found")
        self.assertFails(["migrate", "all"], 2, "Migrations directory not found: "
                         f"{self.project.path('external', 'pay', 'pay', 'migrations')}", "'pay'")
        self.assertVersions([R1])


class DropWhileConnected(CliTestCase):
    """db drop ends this role's sessions (the FORCE of DROP DATABASE, else by hand and a plain DROP,
    which also stops autovacuum); a session of another role, which this role may not end, is named
    in one sentence after a few seconds instead of a long wait."""

    def setUp(self):
        super().setUp()
        if BACKEND != "postgresql":
            self.skipTest("PostgreSQL only")
        import psycopg2
        self.psycopg2 = psycopg2
        self.name = "fk_cli_drop_" + uuid.uuid4().hex[:12]
        self.url = pg_url_for(self.name)
        self.assertExit(run_runner(["--database-url", self.url, "db", "reset"]), 0)
        self.addCleanup(run_runner, ["--database-url", self.url, "db", "drop"])

    def exists(self):
        return self.db.query(f"SELECT count(*) FROM pg_database WHERE datname = '{self.name}'") == [(1,)]

    def connect(self, url):
        connection = self.psycopg2.connect(url)
        self.addCleanup(connection.close)
        return connection

    def test_sessions_of_this_role_are_ended(self):
        self.connect(self.url)  # idle
        busy = self.connect(self.url)
        busy.cursor().execute("CREATE TABLE held (id INTEGER)")  # a transaction left open
        res = run_runner(["--database-url", self.url, "db", "drop"])
        self.assertExit(res, 0)
        self.assertFalse(self.exists())

    def test_a_session_of_another_role_is_named(self):
        admin = os.environ.get("FASTAPPKIT_TEST_POSTGRES_ADMIN_URL", "")
        if not admin:
            self.skipTest("FASTAPPKIT_TEST_POSTGRES_ADMIN_URL is not set (needed to create a role)")
        role = "fk_drop_" + uuid.uuid4().hex[:8]
        administration = self.connect(admin)
        administration.autocommit = True
        administration.cursor().execute(f"CREATE ROLE {role} LOGIN PASSWORD 'pw'")
        self.addCleanup(administration.cursor().execute, f"DROP ROLE IF EXISTS {role}")
        parts = urlsplit(self.url)
        other = self.connect(urlunsplit((parts.scheme, f"{role}:pw@{parts.hostname}:{parts.port}",
                                         parts.path, "", "")))
        started = time.monotonic()
        res = run_runner(["--database-url", self.url, "db", "drop"])
        self.assertExit(res, 1, f"1 session of role {role} is connected to \"{self.name}\", which this "
                                "role may not end; close it (or drop the database as a superuser) and run again")
        self.assertOneSentence(res)
        self.assertLess(time.monotonic() - started, 30)
        self.assertTrue(self.exists())
        other.close()
        self.assertExit(run_runner(["--database-url", self.url, "db", "drop"]), 0)
        self.assertFalse(self.exists())


if __name__ == "__main__":
    main()
