"""Bad input of every kind is one exit-2 sentence naming the file, app or argument, never a
crash, and no message holds a password: malformed URLs, a 30,000-character URL, symlink loops,
a .env that is a directory, a deleted working directory, huge relative revisions, control
characters under --json, SQLite URL options, and SQLite files this user cannot write."""
import json
import os
import shutil
import subprocess
import sys

from fastappkit_testing import BACKEND, RUNNER, CliTestCase, Database, create_table, drop_table, main, migration, run_runner

REV = "c0ffee000001"
PAY = "p1p1p1p1p1p1"
SECRET = "s3cretpw"


class ErrorCase(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config(apps=["pay"], app_path=["external"])
        self.project.core_migration(REV, None, upgrade=create_table("t1"), downgrade=drop_table("t1"))
        self.project.external_app("pay", {PAY: migration(PAY, upgrade=create_table("charge"),
                                                          downgrade=drop_table("charge"))})
        self.db.execute("CREATE TABLE existing (id INTEGER);")

    def assertNoSecret(self, res):
        self.assertNotIn(SECRET, res.out + res.err, repr(res))


class Secrets(ErrorCase):
    MALFORMED = [f"postgresql:/u:{SECRET}@h/db", f"postgresql//u:{SECRET}@h/db",
                 f"postgresql ://u:{SECRET}@h/db", f"u:{SECRET}@h/db", f"mysql://u:{SECRET}@h/db"]

    def test_malformed_urls_are_masked_in_text_and_json(self):
        for url in self.MALFORMED:
            with self.subTest(url=url):
                res = self.assertFails(["--database-url", url, "migrate", "current"], 2,
                                       "Unsupported database URL", ":***@h/db", db=False)
                self.assertNoSecret(res)
                res = self.fk("--json", "--database-url", url, "migrate", "upgrade", db=False)
                self.assertEqual(res.code, 2, repr(res))
                self.assertNoSecret(res)
                doc = json.loads(res.out)
                self.assertEqual(doc["exit_code"], 2)
                self.assertIn(":***@h/db", doc["error"])

    def test_env_line_holding_a_bare_url(self):
        env_file = self.project.write(".env", f"postgresql://u:{SECRET}@h/db?sslmode=require\n")
        res = self.assertFails(["migrate", "current"], 2, f"{env_file}:1: invalid key", db=False)
        self.assertNoSecret(res)

    def test_argument_parse_errors_are_masked(self):
        res = self.fk("migrate", "current", f"postgresql://u:{SECRET}@h/db", db=False)
        self.assertEqual(res.code, 2, repr(res))
        self.assertNoSecret(res)


class Crashes(ErrorCase):
    def test_very_long_url(self):
        url = "postgresql://u@h/" + "a" * 30000 + "?x=" + "b" * 30000
        res = self.fk("--database-url", "mysql://" + "a" * 30000, "migrate", "current", db=False)
        self.assertExit(res, 2, "Unsupported database URL 'mysql://aaaa")
        self.assertOneSentence(res)
        res = self.fk("--database-url", url + "&password=" + SECRET, "migrate", "current", db=False)
        self.assertNoSecret(res)
        self.assertOneSentence(res)

    def test_deleted_working_directory(self):
        gone = os.path.join(self.tmp, "gone")
        os.makedirs(gone)
        # The shell leaves the runner in a directory that no longer exists.
        proc = subprocess.run(["sh", "-c", f'cd "{gone}" && rmdir "{gone}" && exec "{RUNNER}" migrate current'],
                              capture_output=True, text=True)
        self.assertEqual(proc.returncode, 2, proc)
        self.assertEqual(proc.stderr, "The current directory no longer exists: change to the project directory "
                                      "or pass --project-root\n")

    def test_huge_relative_revision(self):
        self.assertFails(["migrate", "upgrade", "+99999999999"], 2,
                         "Relative revision '+99999999999' is out of range: at most 9 digits of steps")

    def test_symlink_loops_name_the_file(self):
        loop = self.project.path("loop")
        os.symlink(loop, loop)
        self.assertFails(["--project-root", loop, "migrate", "current"], 2,
                         f"Cannot read {loop}/fastappkit.toml: Too many levels of symbolic links")
        env_file = self.project.path(".env")
        os.symlink(env_file, env_file)
        self.assertFails(["migrate", "current"], 2, f"Cannot read {env_file}: Too many levels of symbolic links",
                         db=False)
        os.remove(env_file)
        manifest = self.project.path("external", "pay", "pay", "fastappkit.toml")
        os.remove(manifest)
        os.symlink(manifest, manifest)
        self.assertFails(["migrate", "all"], 2, f"Cannot read {manifest}: Too many levels of symbolic links")
        config = self.project.path("fastappkit.toml")
        os.remove(config)
        os.symlink(config, config)
        self.assertFails(["migrate", "upgrade"], 2, f"Cannot read {config}: Too many levels of symbolic links")

    def test_env_file_that_is_a_directory(self):
        os.makedirs(self.project.path(".env"))
        self.assertFails(["migrate", "current"], 2,
                         f"Cannot read {self.project.path('.env')}: it is a directory, not a file", db=False)

    def test_app_validate_with_an_unsupported_url(self):
        self.assertFails(["app", "validate", "pay", "--database-url", "mysql://x"], 2,
                         "Unsupported database URL 'mysql://x'", db=False)
        self.ok("app", "validate", "pay", db=False)  # no URL at all: the database checks are skipped

    def test_control_character_in_an_argument_keeps_json_valid(self):
        res = self.fk("--json", "migrate", "upgrade", "ab\x01c\"\\")
        self.assertEqual(res.code, 2, repr(res))
        doc = json.loads(res.out)
        self.assertEqual(doc["error"], "core: Can't locate revision identified by 'ab\x01c\"\\'")


class SqliteUrlOptions(ErrorCase):
    def url(self, query):
        return f"{self.db.url}?{query}"

    def test_read_only_url_refuses_to_write(self):
        for query in ("mode=ro", "immutable=1"):
            with self.subTest(query=query):
                self.assertFails(["--database-url", self.url(query), "migrate", "upgrade"], 2,
                                 f"Cannot change database sqlite:///{self.db.sqlite_path}: its URL opens it "
                                 f"read-only ({query}); remove that option to migrate it", db=False)
        self.assertEqual(self.db.user_tables(), ["existing"])

    def test_read_only_url_reads(self):
        self.ok("migrate", "upgrade")
        res = self.ok("--database-url", self.url("mode=ro"), "migrate", "current", db=False)
        self.assertEqual(res.out, f"{REV} (head)\n")

    def test_mode_rw_does_not_create_the_file(self):
        os.remove(self.db.sqlite_path)
        self.assertFails(["--database-url", self.url("mode=rw"), "migrate", "upgrade"], 1,
                         "the file does not exist, and mode=rw in the URL keeps SQLite from creating it", db=False)
        self.assertFalse(os.path.exists(self.db.sqlite_path))
        self.ok("--database-url", self.url("mode=rwc&cache=shared"), "migrate", "upgrade", db=False)
        self.assertVersions([REV])

    def test_unknown_option_is_refused(self):
        self.assertFails(["--database-url", self.url("journal=wal"), "migrate", "upgrade"], 2,
                         "Unknown SQLite URL option 'journal'", db=False)
        self.assertFails(["--database-url", self.url("vfs=nope"), "migrate", "upgrade"], 1, "no such vfs: nope",
                         db=False)


# A child that writes enough to spill pages into the database file, then dies before COMMIT:
# its rollback journal is left hot.
HOT_JOURNAL_WRITER = """
import os, sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("PRAGMA cache_size = 10")
connection.execute("BEGIN")
connection.execute("CREATE TABLE filler (b BLOB)")
for _ in range(300):
    connection.execute("INSERT INTO filler VALUES (zeroblob(4000))")
os._exit(0)
"""


class UnwritableSqlite(ErrorCase):
    """A SQLite file or directory this user cannot write: one sentence naming the database.
    Root writes any file, so as root the runner runs as nobody (through setpriv)."""

    def setUp(self):
        super().setUp()
        if BACKEND != "sqlite":
            self.skipTest("SQLite files only")
        self.prefix = ()
        if os.geteuid() == 0:
            if not shutil.which("setpriv"):
                self.skipTest("setpriv is needed to drop root")
            self.prefix = ("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups")
        # The database in a directory of its own, so that the file's and the directory's
        # permissions can be set apart; everything above it readable by nobody.
        self.dir = os.path.join(self.tmp, "data")
        os.mkdir(self.dir)
        path = os.path.join(self.dir, "app.sqlite")
        os.rename(self.db.sqlite_path, path)
        self.db.sqlite_path, self.db.url = path, "sqlite:///" + path
        for d in (self.tmp, self.project.root):
            os.chmod(d, 0o755)
        self.addCleanup(os.chmod, self.dir, 0o777)

    def fk(self, *args, db=True, cwd=None, env=None, root=None):
        pre = ["--database-url", self.db.url] if db else []
        return run_runner(pre + list(args), cwd=cwd or self.project.root, env=env, prefix=self.prefix)

    def writable(self):
        os.chmod(self.dir, 0o777)
        os.chmod(self.db.sqlite_path, 0o666)

    def read_only_file(self):
        """The lock file may be created beside it; the database file itself is read-only."""
        os.chmod(self.dir, 0o777)
        os.chmod(self.db.sqlite_path, 0o444)

    def read_only_sentence(self):
        return (f"Cannot change database {self.db.url}: SQLite can only read it (attempt to write a readonly "
                "database); make the file and its directory writable for this user to migrate it; nothing "
                "was changed")

    def test_stamp_on_a_read_only_file(self):
        self.read_only_file()
        res = self.assertFails(["migrate", "stamp", "head"], 1)
        self.assertEqual(res.err.strip(), self.read_only_sentence())

    def test_pending_transaction_false_revision_on_a_read_only_file(self):
        self.writable()
        self.ok("migrate", "upgrade")
        self.project.core_migration("c0ffee000002", REV, sections=[
            ("upgrade transaction:false", "CREATE INDEX t1_id ON t1 (id);"),
            ("downgrade transaction:false", "DROP INDEX t1_id;")])
        self.read_only_file()
        res = self.assertFails(["migrate", "upgrade"], 1)
        self.assertEqual(res.err.strip(), self.read_only_sentence())

    def test_app_version_table_on_a_read_only_file(self):
        self.writable()
        self.ok("migrate", "upgrade")
        self.read_only_file()
        res = self.assertFails(["migrate", "all"], 1)
        self.assertEqual(res.err.strip(), self.read_only_sentence())

    def rolled_back_snapshot(self, name):
        """The database as it is once its hot journal is rolled back (done on a copy)."""
        copy = os.path.join(self.tmp, name)
        os.mkdir(copy)
        for suffix in ("", "-journal"):
            if os.path.exists(self.db.sqlite_path + suffix):
                shutil.copy(self.db.sqlite_path + suffix, os.path.join(copy, "app.sqlite" + suffix))
        path = os.path.join(copy, "app.sqlite")
        copied = Database("sqlite:///" + path)
        copied.execute("SELECT count(*) FROM sqlite_master;")
        self.assertFalse(os.path.exists(path + "-journal"))
        return copied.snapshot()

    def test_hot_journal_in_a_read_only_directory(self):
        journal = self.db.sqlite_path + "-journal"
        subprocess.run([sys.executable, "-c", HOT_JOURNAL_WRITER, self.db.sqlite_path], check=True)
        self.assertTrue(os.path.exists(journal), "the writer left no journal")
        before = self.rolled_back_snapshot("before")
        self.assertNotIn("filler", before)
        os.chmod(self.db.sqlite_path, 0o666)  # writable; its directory is not
        os.chmod(journal, 0o666)
        os.chmod(self.dir, 0o555)
        for command in (["migrate", "current"], ["migrate", "upgrade"]):
            with self.subTest(command=command):
                res = self.fk(*command)
                self.assertExit(res, 1)
                self.assertOneSentence(res)
                self.assertEqual(res.err.strip(), (
                    f"Cannot read database {self.db.url}: an interrupted write left the journal "
                    f"{journal}, which SQLite could not roll back (disk I/O error); make the file and its "
                    "directory writable for this user, then run any fastappkit command to roll it back"))
                # SQLite may have written the old pages back without deleting the journal
                self.assertTrue(os.path.exists(journal))
                self.assertEqual(self.rolled_back_snapshot(command[1]), before)
        os.chmod(self.dir, 0o777)
        self.assertEqual(self.fk("migrate", "current").code, 0)
        self.assertFalse(os.path.exists(journal))

    def test_a_directory_as_the_database(self):
        self.db.url = "sqlite:///" + self.dir
        for command in (["migrate", "current"], ["migrate", "upgrade"]):
            with self.subTest(command=command):
                res = self.assertFails(command, 2)
                self.assertEqual(res.err.strip(), f"Cannot open database sqlite:///{self.dir}: it is a "
                                                  "directory, not a file; check the database URL")


if __name__ == "__main__":
    main()
