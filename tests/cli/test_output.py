"""Output (run once, on SQLite): progress lines, colour only on a terminal and never under
NO_COLOR, -q, --version, --help on every command, usage errors."""
import json
import os
import pty
import re
import subprocess

from fastappkit_testing import ANSI, SOURCE_DIR, CliTestCase, create_table, drop_table, main, popen_runner, run_runner

R1, R2 = "aa1111111111", "bb2222222222"

HELP_COMMANDS = [
    [], ["migrate"], ["migrate", "all"], ["migrate", "upgrade"], ["migrate", "downgrade"], ["migrate", "preview"],
    ["migrate", "current"], ["migrate", "history"], ["migrate", "heads"], ["migrate", "stamp"], ["migrate", "merge"],
    ["migrate", "status"], ["migrate", "verify"], ["migrate", "check"], ["migrate", "core"], ["migrate", "app"],
    ["migrate", "app", "pay", "upgrade"], ["migrate", "app", "pay", "downgrade"], ["migrate", "app", "pay", "preview"],
    ["migrate", "app", "pay", "current"], ["migrate", "app", "pay", "history"], ["migrate", "app", "pay", "heads"],
    ["migrate", "app", "pay", "makemigrations"], ["app"], ["app", "list"], ["app", "validate"], ["app", "new"],
    ["core"], ["core", "new"], ["describe"], ["db"], ["db", "reset"], ["db", "drop"],
]


def run_on_terminal(args, cwd, env_extra=None):
    """Runs the runner with stdout and stderr on a pseudo-terminal; returns (code, bytes)."""
    master, slave = pty.openpty()
    proc = popen_runner(args, cwd=cwd, env=env_extra, stdout=slave, stderr=slave, stdin=subprocess.DEVNULL,
                        text=False)
    os.close(slave)
    out = b""
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    code = proc.wait(timeout=60)
    os.close(master)
    return code, out.decode()


class Output(CliTestCase):
    def setUp(self):
        super().setUp()
        self.project.config()
        self.project.core_migration(R1, None, message="create account table", upgrade=create_table("account"),
                                    downgrade=drop_table("account"))
        self.project.core_migration(R2, R1, message="add orders", upgrade=create_table("orders"),
                                    downgrade=drop_table("orders"))

    def test_progress_lines(self):
        res = self.ok("migrate", "upgrade")
        self.assertEqual(res.err, "")
        lines = res.out.splitlines()
        self.assertEqual(len(lines), 3, res)
        self.assertRegex(lines[0], rf"^core {R1} create account table … \d+ ms$")
        self.assertRegex(lines[1], rf"^core {R2} add orders … \d+ ms$")
        self.assertRegex(lines[2], r"^Applied 2 migrations in \d+ ms$")
        res = self.ok("migrate", "downgrade", "-1")
        self.assertRegex(res.out, rf"^core {R2} \(downgrade\) add orders … \d+ ms\nReverted 1 migration in \d+ ms\n$")

    def test_no_colour_when_not_a_terminal(self):
        for args in (["migrate", "upgrade"], ["migrate", "upgrade", "nope"], ["migrate", "status"]):
            res = self.fk(*args)
            self.assertNotIn("\x1b", res.out + res.err, res)

    def test_colour_on_a_terminal_and_never_under_no_color(self):
        url = ["--database-url", self.db.url]
        code, out = run_on_terminal(url + ["migrate", "upgrade", R1], self.project.root)
        self.assertEqual(code, 0, out)
        self.assertRegex(out, r"\x1b\[[0-9;]*m", "expected colour on a terminal")
        self.assertRegex(ANSI.sub("", out), rf"core {R1} create account table … \d+ ms")
        code, out = run_on_terminal(url + ["migrate", "upgrade", "nope"], self.project.root)
        self.assertEqual(code, 2, out)
        self.assertIn("\x1b[", out)
        code, out = run_on_terminal(url + ["migrate", "upgrade"], self.project.root, {"NO_COLOR": "1"})
        self.assertEqual(code, 0, out)
        self.assertNotIn("\x1b", out)
        self.assertRegex(out, rf"core {R2} add orders … \d+ ms")
        code, out = run_on_terminal(url + ["migrate", "upgrade", "nope"], self.project.root, {"NO_COLOR": "1"})
        self.assertEqual(code, 2, out)
        self.assertNotIn("\x1b", out)
        self.assertIn("Can't locate revision identified by 'nope'", out)

    def test_quiet(self):
        for args in (["migrate", "upgrade", R1], ["migrate", "all"], ["migrate", "stamp", R2],
                     ["migrate", "downgrade", "base"], ["migrate", "upgrade"]):
            with self.subTest(args=args):
                res = self.ok("-q", *args)
                self.assertEqual((res.out, res.err), ("", ""))
        self.assertVersions([R2])
        res = self.fk("--quiet", "migrate", "upgrade", "nope")
        self.assertExit(res, 2, "Can't locate revision identified by 'nope'")
        self.assertEqual(res.out, "")

    def test_json_errors(self):
        self.ok("migrate", "upgrade", R1)
        res = self.fk("--json", "migrate", "upgrade", "nope")
        self.assertEqual(res.code, 2, res)
        doc = json.loads(res.out)
        self.assertEqual(doc["exit_code"], 2)
        self.assertIn("Can't locate revision identified by 'nope'", doc["error"])
        res = self.fk("--json", "migrate", "downgrade", "base")
        self.assertEqual(res.code, 0, res)
        doc = json.loads(res.out)
        self.assertEqual([(h["name"], [(a["revision"], a["direction"]) for a in h["applied"]])
                          for h in doc["histories"]], [("core", [(R1, "downgrade")])])

    def test_version(self):
        with open(os.path.join(SOURCE_DIR, "CMakeLists.txt")) as f:
            version = re.search(r"project\(fastappkit\s+VERSION\s+([0-9.]+)", f.read()).group(1)
        res = run_runner(["--version"], cwd=self.tmp)
        self.assertEqual((res.code, res.out.strip(), res.err), (0, f"fastappkit {version}", ""))
        self.assertEqual(version, "0.1.0")

    def test_help_everywhere(self):
        # from a directory without a project, and without a database
        for command in HELP_COMMANDS:
            for flag in ("--help", "-h"):
                with self.subTest(command=command, flag=flag):
                    res = run_runner(command + [flag], cwd=self.tmp)
                    self.assertEqual(res.code, 0, res)
                    self.assertIn("Usage", res.out, res)
                    self.assertFalse(os.path.exists(os.path.join(self.tmp, "fastappkit.toml")))
        res = run_runner(["migrate", "--help"], cwd=self.tmp)
        for sub in ("all", "upgrade", "downgrade", "preview", "current", "history", "heads", "stamp", "merge",
                    "status", "verify", "check", "core", "app"):
            self.assertRegex(res.out, rf"(?m)^\s+{sub}\s", f"migrate --help does not list {sub}")

    def test_usage_errors(self):
        self.ok("migrate", "upgrade", R1)
        before = self.db.snapshot()
        for args in (["migrate", "sideways"], ["frobnicate"], ["migrate", "upgrade", "--bogus"],
                     ["migrate", "stamp"], ["migrate", "merge"], ["migrate", "app"], ["app", "validate"],
                     ["migrate", "upgrade", R2, "-r", R2], []):
            with self.subTest(args=args):
                res = self.fk(*args)
                self.assertEqual(res.code, 2, res)
        self.assertEqual(self.db.snapshot(), before)
        self.assertVersions([R1])

    def test_mistyped_command_is_named_with_the_closest_one(self):
        self.ok("migrate", "upgrade", R1)
        before = self.db.snapshot()
        for args, sentence in (
                (["migrate", "upgrde"], "Unknown command 'upgrde' for 'fastappkit migrate'; did you mean 'upgrade'?"),
                (["migrat", "all"], "Unknown command 'migrat' for 'fastappkit'; did you mean 'migrate'?"),
                (["migrate", "app", "pay", "hed"],
                 "Unknown command 'hed' for 'fastappkit migrate app'; did you mean 'heads'?"),
                (["migrate", "sideways"],
                 "Unknown command 'sideways' for 'fastappkit migrate'; run 'fastappkit migrate --help' for the list")):
            with self.subTest(args=args):
                res = self.fk(*args)
                self.assertEqual(res.code, 2, res)
                self.assertEqual(res.err, sentence + "\n")
                self.assertEqual(res.out, "")
        self.assertEqual(self.db.snapshot(), before)
        self.assertVersions([R1])


if __name__ == "__main__":
    main()
