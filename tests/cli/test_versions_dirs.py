"""A versions directory that cannot be read (missing, unreadable, a symbolic-link loop, not a
directory) and a .sql entry that is a broken or looping symbolic link: each is one exit-2
sentence naming the path, and nothing runs (no history is read as empty, no app after it
is migrated)."""
import os
import shutil
import subprocess
import unittest

from fastappkit_testing import RUNNER, CliTestCase, create_table, drop_table, main, migration

R1 = "aa1111111111"
P1 = "p1p1p1p1p1p1"


class VersionsDirectories(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config(apps=["pay"], app_path=["external"])
        self.project.core_migration(R1, None, upgrade=create_table("t1"), downgrade=drop_table("t1"))
        self.project.external_app("pay", {P1: migration(P1, upgrade=create_table("charge"),
                                                        downgrade=drop_table("charge"))})
        self.core_versions = self.project.core_dir()
        self.app_versions = self.project.path("external", "pay", "pay", "migrations", "versions")

    def replace_with(self, path, make):
        shutil.rmtree(path)
        make(path)

    def check_refused(self, *fragments):
        for command in (["migrate", "all"], ["migrate", "status"], ["migrate", "upgrade"]):
            with self.subTest(command=command):
                self.assertFails(command, 2, *fragments)
        self.assertFalse(self.db.exists() and self.db.user_tables(), "something ran")

    def test_missing_core_versions_directory(self):
        shutil.rmtree(self.core_versions)
        self.check_refused(f"{self.core_versions}: the versions directory does not exist; create it")

    def test_missing_app_versions_directory(self):
        shutil.rmtree(self.app_versions)
        self.assertFails(["migrate", "all"], 2, f"{self.app_versions}: the versions directory does not exist")
        self.assertFails(["migrate", "app", "pay", "upgrade"], 2, self.app_versions)

    def test_symlink_loop(self):
        self.replace_with(self.core_versions, lambda p: os.symlink(p, p))
        self.check_refused(f"{self.core_versions}: cannot read the versions directory: "
                           "Too many levels of symbolic links")

    def test_symlink_to_a_missing_directory(self):
        self.replace_with(self.core_versions, lambda p: os.symlink(p + "-gone", p))
        self.check_refused(f"{self.core_versions}: the versions directory is a symbolic link to a missing directory")

    def test_a_file_instead_of_a_directory(self):
        self.replace_with(self.core_versions, lambda p: open(p, "w").close())
        self.check_refused(f"{self.core_versions}: the versions directory is not a directory")

    def test_unreadable_directory(self):
        os.chmod(self.core_versions, 0o000)
        self.addCleanup(os.chmod, self.core_versions, 0o755)
        args = ["--database-url", self.db.url, "migrate", "all"]
        if os.geteuid() == 0:
            # root reads any directory: run the runner as nobody, which can read the project
            if not shutil.which("setpriv"):
                self.skipTest("setpriv is needed to drop root")
            for d in (self.tmp, self.project.root):
                os.chmod(d, 0o755)
            command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", RUNNER, *args]
        else:
            command = [RUNNER, *args]
        res = subprocess.run(command, cwd=self.project.root, capture_output=True, text=True, timeout=60)
        self.assertEqual(res.returncode, 2, res)
        self.assertEqual(res.stderr.strip(),
                         f"{self.core_versions}: cannot read the versions directory: Permission denied")
        self.assertFalse(self.db.exists())

    def test_dangling_sql_symlink(self):
        link = os.path.join(self.core_versions, "bb2222222222_rev.sql")
        os.symlink(os.path.join(self.tmp, "gone.sql"), link)
        self.check_refused(f"{link}: the migration file is a symbolic link to a missing file")

    def test_looping_sql_symlink(self):
        link = os.path.join(self.core_versions, "bb2222222222_rev.sql")
        os.symlink(link, link)
        self.check_refused(f"{link}: cannot read the migration file: Too many levels of symbolic links")

    def test_a_directory_named_like_a_migration(self):
        folder = os.path.join(self.core_versions, "bb2222222222_rev.sql")
        os.mkdir(folder)
        self.check_refused(f"{folder}: named like a migration file but not a regular file; rename or move it")

    def test_makemigrations_creates_a_missing_versions_directory(self):
        shutil.rmtree(self.app_versions)
        self.project.write(os.path.join("external", "pay", "pay", "models.sql"),
                           "CREATE TABLE charge (id INTEGER PRIMARY KEY);\n")
        self.project.write(os.path.join("external", "pay", "pay", "fastappkit.toml"),
                           '[tool.fastappkit]\nname = "pay"\nversion = "0.1.0"\nmigrations = "migrations"\n'
                           'models = "models.sql"\n')
        # in the app's own checkout (standalone), where its migrations are created
        res = self.fk("migrate", "app", "pay", "makemigrations", "-m", "charges",
                      cwd=self.project.path("external", "pay"))
        self.assertEqual(res.code, 0, res)
        self.assertEqual(len(os.listdir(self.app_versions)), 1)


if __name__ == "__main__":
    main()
