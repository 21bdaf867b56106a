"""The PostgreSQL plugin boundary: whatever the plugin throws reaches the user as one sentence
with the right exit code, and a plugin of another version is refused, naming its file. Runs a
stand-in plugin (fake_postgres_plugin.cpp) through FASTAPPKIT_PLUGIN; needs no server."""
import os

from fastappkit_testing import CliTestCase, main, migration

FAKE = os.environ.get("FASTAPPKIT_FAKE_PLUGIN", "")


class PluginBoundary(CliTestCase):
    def setUp(self):
        super().setUp()
        if not FAKE:
            self.skipTest("FASTAPPKIT_FAKE_PLUGIN is not set")
        self.project.config(apps=[])
        self.project.core_migration("aa1111111111", None, upgrade="CREATE TABLE t (id INTEGER);",
                                    downgrade="DROP TABLE t;")
        self.env = {"FASTAPPKIT_PLUGIN": FAKE}

    def run_with(self, database, *args, env=None):
        return self.fk("--database-url", f"postgresql://fake/{database}", *args, db=False,
                       env={**self.env, **(env or {})})

    def assertSentence(self, res, code, expected):
        self.assertEqual(res.code, code, repr(res))
        self.assertEqual(res.err, expected + "\n", repr(res))

    def test_errors_keep_their_exit_code_and_sentence(self):
        self.assertSentence(self.run_with("usage", "migrate", "current"), 2, "fake usage error")
        self.assertSentence(self.run_with("failure", "migrate", "current"), 1, "fake failure")

    def test_other_exceptions_become_a_sentence_naming_the_plugin(self):
        self.assertSentence(self.run_with("runtime", "migrate", "current"), 1,
                            f"The PostgreSQL plugin {FAKE} failed: fake runtime error")
        self.assertSentence(self.run_with("int", "migrate", "current"), 1,
                            f"The PostgreSQL plugin {FAKE} failed: an exception of unknown type")

    def test_statement_error_names_the_migration_file_and_line(self):
        res = self.run_with("statement", "migrate", "upgrade")
        self.assertEqual(res.code, 1, repr(res))
        self.assertIn("aa1111111111_rev.sql", res.err)
        self.assertIn("fake statement failure", res.err)
        self.assertNotIn("unexpected error", res.err)

    def test_plugin_of_another_version_is_refused(self):
        res = self.run_with("failure", "migrate", "current", env={"FAKE_PLUGIN_VERSION": "0.0.1-other"})
        self.assertEqual(res.code, 1, repr(res))
        self.assertIn(f"The PostgreSQL plugin {FAKE} is version 0.0.1-other, but this runner is fastappkit ",
                      res.err)
        self.assertTrue(res.err.endswith("; install both from one build\n"), repr(res))


if __name__ == "__main__":
    main()
