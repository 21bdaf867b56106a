"""Shared helpers of the CLI integration tests.

Every test runs the real runner binary (FASTAPPKIT) on a scratch project written into a fresh
directory under FASTAPPKIT_TEST_TMP, against a fresh database of the backend named by
FASTAPPKIT_TEST_BACKEND (sqlite: a file in the scratch directory; postgresql: a uniquely named
database on the server of FASTAPPKIT_TEST_POSTGRES_URL, created with `db reset` and dropped with
`db drop`), so that test scripts can run in parallel under `ctest -j`.
"""

import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import textwrap
import unittest
import uuid
from urllib.parse import urlsplit, urlunsplit

RUNNER = os.environ.get("FASTAPPKIT", "")
BACKEND = os.environ.get("FASTAPPKIT_TEST_BACKEND", "sqlite")
POSTGRES_URL = os.environ.get("FASTAPPKIT_TEST_POSTGRES_URL", "")
SOURCE_DIR = os.environ.get("FASTAPPKIT_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
TEST_TMP = os.environ.get("FASTAPPKIT_TEST_TMP", os.path.join(tempfile.gettempdir(), "fastappkit-cli-tests"))

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Environment variables the runner reads; tests start from none of them.
RUNNER_ENV = ("DATABASE_URL", "DATABASE_DIRECT_URL", "FASTAPPKIT_APP_PATH", "NO_COLOR")

if BACKEND not in ("sqlite", "postgresql"):
    raise SystemExit(f"FASTAPPKIT_TEST_BACKEND must be sqlite or postgresql, not {BACKEND!r}")
if BACKEND == "postgresql":
    import psycopg2  # noqa: E402  (only needed on PostgreSQL)


# --------------------------------------------------------------------------------------------
# Migration files and projects


def migration(rev, down=None, message=None, upgrade="", downgrade="", branch_labels="",
              depends_on="", sections=None, header=None, create_date="2026-01-01T00:00:00Z"):
    """Text of a migration file.

    down: None (a base), a revision id, or a list (a merge). downgrade=None leaves the downgrade
    section out (an irreversible revision). sections: a list of (marker options, body) that
    replaces the upgrade/downgrade pair, e.g. [("upgrade dialect:sqlite", "..."), ...].
    header: the whole header text instead of the generated one.
    """
    if header is None:
        if down is None:
            down_text = "none"
        elif isinstance(down, (list, tuple)):
            down_text = ", ".join(down)
        else:
            down_text = down
        header = (f"-- revision: {rev}\n"
                  f"-- down_revision: {down_text}\n"
                  f"-- branch_labels: {branch_labels}\n"
                  f"-- depends_on: {depends_on}\n"
                  f"-- message: {message if message is not None else 'revision ' + rev}\n"
                  f"-- create_date: {create_date}\n")
    if sections is None:
        sections = [("upgrade", upgrade)]
        if downgrade is not None:
            sections.append(("downgrade", downgrade))
    body = ""
    for marker, sql in sections:
        body += f"\n-- migrate:{marker}\n{textwrap.dedent(sql).strip()}\n" if sql.strip() else f"\n-- migrate:{marker}\n"
    return header + body


def create_table(name, columns="id INTEGER PRIMARY KEY"):
    return f"CREATE TABLE {name} ({columns});"


def drop_table(name):
    return f"DROP TABLE {name};"


def table_migration(rev, down, table, **kw):
    """A revision that creates `table` (and drops it on downgrade)."""
    kw.setdefault("message", f"create {table}")
    return migration(rev, down, upgrade=create_table(table), downgrade=drop_table(table), **kw)


def toml_list(values):
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


class Project:
    """A scratch project directory. Paths given to its methods are relative to its root."""

    def __init__(self, root):
        self.root = root
        os.makedirs(root, exist_ok=True)

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def write(self, relative, text, mode="w"):
        target = self.path(relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, mode, newline="" if "b" not in mode else None) as f:
            f.write(text)
        return target

    def read(self, relative):
        with open(self.path(relative), newline="") as f:
            return f.read()

    def remove(self, relative):
        os.remove(self.path(relative))

    def config(self, apps=(), app_path=None, order=None, extra="", text=None):
        """Writes fastappkit.toml (or `text` verbatim)."""
        if text is None:
            text = "[tool.fastappkit]\n"
            text += f"apps = {toml_list(apps)}\n"
            if app_path is not None:
                text += f"app_path = {toml_list(app_path)}\n"
            text += extra
            if order is not None:
                text += f"\n[tool.fastappkit.migration]\norder = {toml_list(order)}\n"
        return self.write("fastappkit.toml", text)

    def core_dir(self):
        return self.path("core", "db", "migrations", "versions")

    def core_migration(self, rev, *args, slug=None, text=None, **kw):
        """Writes core/db/migrations/versions/<rev>_<slug>.sql; returns its path."""
        if text is None:
            text = migration(rev, *args, **kw)
        name = f"{rev}_{slug or 'rev'}.sql"
        return self.write(os.path.join("core", "db", "migrations", "versions", name), text)

    def internal_app(self, name, models=""):
        return self.write(os.path.join("apps", name, "models.sql"), models)

    def external_app(self, name, migrations=None, base="external", requires=None, version="0.1.0",
                     manifest=None, extra="", installed=False, migrations_dir="migrations"):
        """An external app under <base>/<name>/<name>/ (source layout) or <base>/<name>/
        (installed layout). migrations: {rev: file text}. Returns the manifest's directory."""
        app_dir = os.path.join(base, name) if installed else os.path.join(base, name, name)
        if manifest is None:
            manifest = (f'[tool.fastappkit]\nname = "{name}"\nversion = "{version}"\n'
                        f'migrations = "{migrations_dir}"\n')
            if requires is not None:
                manifest += f"requires = {toml_list(requires)}\n"
            manifest += extra
        self.write(os.path.join(app_dir, "fastappkit.toml"), manifest)
        os.makedirs(self.path(app_dir, migrations_dir, "versions"), exist_ok=True)
        for rev, text in (migrations or {}).items():
            self.write(os.path.join(app_dir, migrations_dir, "versions", f"{rev}_rev.sql"), text)
        return self.path(app_dir)

    def app_migration(self, app, rev, text, base="external"):
        return self.write(os.path.join(base, app, app, "migrations", "versions", f"{rev}_rev.sql"), text)


# --------------------------------------------------------------------------------------------
# Databases


def pg_url_for(name, base=None):
    """The URL of database `name` on the server of FASTAPPKIT_TEST_POSTGRES_URL."""
    parts = urlsplit(base or POSTGRES_URL)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def pg_password():
    return urlsplit(POSTGRES_URL).password or ""


class Database:
    """One test's database, read directly (sqlite3 / psycopg2) to check what the runner did."""

    def __init__(self, backend, url, sqlite_path=None, pg_name=None):
        self.backend = backend
        self.url = url
        self.sqlite_path = sqlite_path
        self.pg_name = pg_name
        self._pg = None

    # connections -----------------------------------------------------------------------------
    def exists(self):
        if self.backend == "sqlite":
            return os.path.exists(self.sqlite_path)
        return True

    def connection(self):
        """PostgreSQL: one autocommit connection per test database (it holds no locks between
        queries); closed before the database is dropped."""
        if self._pg is None or self._pg.closed:
            self._pg = psycopg2.connect(self.url)
            self._pg.autocommit = True
        return self._pg

    def close(self):
        if self._pg is not None and not self._pg.closed:
            self._pg.close()
        self._pg = None

    def query(self, sql, params=()):
        """Rows of `sql`; [] when the SQLite file does not exist (never creates it)."""
        if self.backend == "sqlite":
            if not os.path.exists(self.sqlite_path):
                return []
            con = sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True)
            try:
                return [tuple(r) for r in con.execute(sql.replace("%s", "?"), params).fetchall()]
            finally:
                con.close()
        with self.connection().cursor() as cur:
            cur.execute(sql, params or None)
            return [tuple(r) for r in cur.fetchall()] if cur.description else []

    def execute(self, sql):
        """Runs statements outside the runner (to set up odd states)."""
        if self.backend == "sqlite":
            con = sqlite3.connect(self.sqlite_path, isolation_level=None)
            try:
                con.executescript(sql)
            finally:
                con.close()
            return
        with self.connection().cursor() as cur:
            cur.execute(sql)

    # schema ----------------------------------------------------------------------------------
    def tables(self):
        if self.backend == "sqlite":
            rows = self.query("SELECT name FROM sqlite_master WHERE type = 'table' "
                              "AND name NOT LIKE 'sqlite_%'")
        else:
            rows = self.query("SELECT table_name FROM information_schema.tables "
                              "WHERE table_schema = 'public'")
        return sorted(r[0] for r in rows)

    def user_tables(self):
        """Tables other than the version tables and fastappkit's own (history, unfinished sections)."""
        return [t for t in self.tables()
                if not t.startswith("alembic_version") and t not in ("fastappkit_history", "fastappkit_unfinished", "fastappkit_lock")]

    def columns(self, table):
        if self.backend == "sqlite":
            return [r[1] for r in self.query(f"PRAGMA table_info({table})")]
        rows = self.query("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                          "'public' AND table_name = %s ORDER BY ordinal_position", (table,))
        return [r[0] for r in rows]

    def indexes(self):
        if self.backend == "sqlite":
            rows = self.query("SELECT name FROM sqlite_master WHERE type = 'index' "
                              "AND name NOT LIKE 'sqlite_%'")
        else:
            rows = self.query("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' "
                              "AND indexname NOT LIKE '%_pkc' AND indexname NOT LIKE '%_pkey'")
        return sorted(r[0] for r in rows)

    def index_is_valid(self, name):
        """PostgreSQL: whether the index is valid (a failed CONCURRENTLY build leaves it invalid)."""
        rows = self.query("SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                          "WHERE c.relname = %s", (name,))
        return bool(rows and rows[0][0])

    # version tables and history ----------------------------------------------------------------
    def versions(self, table="alembic_version"):
        """Sorted version rows of `table`; None when the table does not exist."""
        if table not in self.tables():
            return None
        return sorted(r[0] for r in self.query(f"SELECT version_num FROM {table}"))

    def history(self, table=None):
        """fastappkit_history rows as dicts, in insertion order."""
        if "fastappkit_history" not in self.tables():
            return []
        # ctid order is insertion order on PostgreSQL for an append-only table.
        order = "rowid" if self.backend == "sqlite" else "ctid"
        rows = self.query("SELECT version_table, revision, direction, checksum, applied_at, duration_ms "
                          f"FROM fastappkit_history ORDER BY {order}")
        out = [dict(zip(("version_table", "revision", "direction", "checksum", "applied_at",
                         "duration_ms"), r)) for r in rows]
        if table is not None:
            out = [r for r in out if r["version_table"] == table]
        return out

    def history_pairs(self, table=None):
        """[(revision, direction), ...] of fastappkit_history, in order."""
        return [(r["revision"], r["direction"]) for r in self.history(table)]

    def snapshot(self):
        """Everything a runner could change: tables with columns and rows, and indexes.
        None when the SQLite file does not exist."""
        if not self.exists():
            return None
        snap = {"indexes": self.indexes()}
        for t in self.tables():
            # A lease row changes with every run that takes the lock, like an advisory lock
            # would: its presence counts, not its owner, token or expiry.
            rows = [] if t == "fastappkit_lock" else self.query(f"SELECT * FROM {t}")
            snap[t] = (self.columns(t), sorted(map(repr, rows)))
        return snap


# --------------------------------------------------------------------------------------------
# Running the runner


class Result:
    def __init__(self, args, code, out, err):
        self.args, self.code, self.out, self.err = args, code, out, err

    @property
    def text(self):
        return self.out + self.err

    def __repr__(self):
        return (f"$ fastappkit {' '.join(self.args)}\nexit code {self.code}\n"
                f"--- stdout ---\n{self.out}--- stderr ---\n{self.err}")


def run_runner(args, cwd=None, env=None, input=None, timeout=120, prefix=()):
    """Runs the runner with `args` (no implicit options), after the command `prefix` (such as
    setpriv's); returns a Result."""
    if not RUNNER:
        raise SystemExit("FASTAPPKIT (the runner's path) is not set")
    full_env = {k: v for k, v in os.environ.items() if k not in RUNNER_ENV}
    full_env.update(env or {})
    proc = subprocess.run([*prefix, RUNNER, *args], cwd=cwd, env=full_env, input=input, capture_output=True,
                          text=True, timeout=timeout)
    return Result(list(args), proc.returncode, proc.stdout, proc.stderr)


def fresh_dir(prefix):
    os.makedirs(TEST_TMP, exist_ok=True)
    return tempfile.mkdtemp(prefix=prefix + "-", dir=TEST_TMP)


class CliTestCase(unittest.TestCase):
    """Gives each test a scratch directory (self.tmp), a project in it (self.project) and a
    fresh database (self.db) of the backend under test."""

    maxDiff = None

    def setUp(self):
        name = self.id().split(".")[-1][:40]
        self.tmp = fresh_dir(f"{BACKEND}-{name}")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.project = Project(os.path.join(self.tmp, "proj"))
        self.db = self.database()

    # fixtures ------------------------------------------------------------------------------------
    def database(self, backend=None):
        """A fresh database URL for this test (dropped at the end of the test)."""
        backend = backend or BACKEND
        if backend == "sqlite":
            path = os.path.join(self.tmp, f"db-{uuid.uuid4().hex[:8]}.sqlite")
            return Database("sqlite", "sqlite:///" + path, sqlite_path=path)
        if not POSTGRES_URL:
            self.skipTest("FASTAPPKIT_TEST_POSTGRES_URL is not set")
        name = "fk_cli_" + uuid.uuid4().hex[:16]
        url = pg_url_for(name)
        res = run_runner(["--database-url", url, "db", "reset"])
        if res.code != 0:
            raise RuntimeError(f"cannot create the test database:\n{res!r}")
        self.addCleanup(run_runner, ["--database-url", url, "db", "drop"])
        database = Database("postgresql", url, pg_name=name)
        self.addCleanup(database.close)  # runs before the drop
        return database

    # running -------------------------------------------------------------------------------------
    def fk(self, *args, db=True, cwd=None, env=None, root=None):
        """Runs `fastappkit [--database-url self.db.url] [--project-root root] args...` from the
        project root (or `cwd`)."""
        pre = []
        if root is not None:
            pre += ["--project-root", root]
        if db:
            pre += ["--database-url", db.url if isinstance(db, Database) else self.db.url]
        return run_runner(pre + list(args), cwd=cwd or self.project.root, env=env)

    def ok(self, *args, **kw):
        """fk(), asserting exit code 0."""
        res = self.fk(*args, **kw)
        self.assertEqual(res.code, 0, f"expected success:\n{res!r}")
        return res

    # assertions ----------------------------------------------------------------------------------
    def assertExit(self, res, code, *fragments):
        """Exit code `code`, and each fragment in stdout+stderr."""
        self.assertEqual(res.code, code, f"expected exit code {code}:\n{res!r}")
        for fragment in fragments:
            self.assertIn(fragment, res.text, f"missing {fragment!r}:\n{res!r}")

    def assertFails(self, args, code, *fragments, db=True, env=None, cwd=None, root=None,
                    database=None):
        """Runs `args`, asserts the exit code, that stderr is one sentence on one line holding
        every fragment, and that the database (self.db or `database`) did not change."""
        database = database or self.db
        before = database.snapshot()
        res = self.fk(*args, db=db, env=env, cwd=cwd, root=root)
        self.assertExit(res, code, *fragments)
        self.assertOneSentence(res)
        self.assertEqual(database.snapshot(), before, f"the database changed:\n{res!r}")
        return res

    def assertOneSentence(self, res):
        lines = [l for l in res.err.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, f"expected one error line on stderr:\n{res!r}")
        self.assertNotIn("unexpected error", res.err, repr(res))

    def assertVersions(self, expected, table="alembic_version", database=None):
        database = database or self.db
        self.assertEqual(database.versions(table), None if expected is None else sorted(expected))


def main():
    unittest.main(verbosity=2)
