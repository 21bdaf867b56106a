"""Helpers shared by the Python tests: the CLI tests (tests/cli, unittest) and the interop
scenario scripts (tests/interop, Alembic parity, concurrency, PgBouncer).

Every test runs the real runner binary on a scratch project written into a fresh directory
under FASTAPPKIT_TEST_TMP, against a fresh database of the backend under test (sqlite: a file
in the scratch directory; postgresql: a uniquely named database on the server of
FASTAPPKIT_TEST_POSTGRES_URL, created with `db reset` and dropped with `db drop`), so that test
scripts can run in parallel under `ctest -j`.

Environment (set by tests/CMakeLists.txt): FASTAPPKIT (the runner), FASTAPPKIT_TEST_BACKEND
(sqlite|postgresql), FASTAPPKIT_TEST_POSTGRES_URL, FASTAPPKIT_SOURCE_DIR, FASTAPPKIT_TEST_TMP,
and PYTHONPATH naming this directory (set it to tests/support to run a script by hand).
"""

import atexit
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback
import unittest
import uuid
from urllib.parse import urlsplit, urlunsplit

RUNNER = os.environ.get("FASTAPPKIT", "")
BACKEND = os.environ.get("FASTAPPKIT_TEST_BACKEND", "sqlite")
POSTGRES_URL = os.environ.get("FASTAPPKIT_TEST_POSTGRES_URL", "")
SOURCE_DIR = os.environ.get("FASTAPPKIT_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
TEST_TMP = os.environ.get("FASTAPPKIT_TEST_TMP", os.path.join(tempfile.gettempdir(), "fastappkit-tests"))

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Environment variables the runner reads; tests start from none of them.
RUNNER_ENV = ("DATABASE_URL", "DATABASE_DIRECT_URL", "FASTAPPKIT_APP_PATH", "NO_COLOR")

if BACKEND not in ("sqlite", "postgresql"):
    raise SystemExit(f"FASTAPPKIT_TEST_BACKEND must be sqlite or postgresql, not {BACKEND!r}")


# --------------------------------------------------------------------------------------------
# Migration files and projects


def migration(rev, down=None, message=None, upgrade="", downgrade="", branch_labels="",
              depends_on="", sections=None, header=None, create_date="2026-01-01T00:00:00Z"):
    """Text of a migration file.

    down: None (a base), a revision id, or a list (a merge). downgrade=None leaves the downgrade
    section out (an irreversible revision). sections: a list of (marker options, body) that
    replaces the upgrade/downgrade pair, e.g. [("upgrade dialect:sqlite", "..."), ...].
    header: the whole header text instead of the generated one. create_date=None leaves the
    create_date line out.
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
                  f"-- message: {message if message is not None else 'revision ' + rev}\n")
        if create_date is not None:
            header += f"-- create_date: {create_date}\n"
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

    def app_migration(self, app, rev, text, base="external", slug=None):
        """Writes <base>/<app>/<app>/migrations/versions/<rev>_<slug>.sql; returns its path."""
        return self.write(os.path.join(base, app, app, "migrations", "versions", f"{rev}_{slug or 'rev'}.sql"),
                          text)


# Revision descriptions: one graph written both as fastappkit SQL files (write_project) and,
# by the Alembic parity test, as an Alembic script directory. A revision is a dict: rev, down
# (list), labels (list), depends (list), up (list of SQL statements), downgrade (list of SQL
# statements), message, and up_options (text after "-- migrate:upgrade", e.g.
# "transaction:false").

def revision(rev, down=(), labels=(), depends=(), up=None, downgrade=None, message=None, up_options=""):
    if up is None:
        up = [f"CREATE TABLE IF NOT EXISTS t_{rev} (id INTEGER)"]
    if downgrade is None:
        downgrade = [f"DROP TABLE IF EXISTS t_{rev}"]
    return dict(rev=rev, down=list(down), labels=list(labels), depends=list(depends), up=list(up),
                downgrade=list(downgrade), message=message or f"revision {rev}", up_options=up_options)


def revision_text(r):
    """The SQL migration file of revision description `r` (no create_date line)."""
    upgrade_marker = "upgrade" + (" " + r["up_options"] if r["up_options"] else "")
    return migration(r["rev"], r["down"] or None, message=r["message"], branch_labels=", ".join(r["labels"]),
                     depends_on=", ".join(r["depends"]), create_date=None,
                     sections=[(upgrade_marker, "\n".join(s + ";" for s in r["up"])),
                               ("downgrade", "\n".join(s + ";" for s in r["downgrade"]))])


def write_project(root, core_revisions, apps=None):
    """A project at `root`: core history, plus external apps {name: revisions} under external/.
    Files are named <rev>_<rev>.sql, so that they sort as Alembic's <rev>_<rev>.py do."""
    apps = apps or {}
    project = Project(root)
    project.config(apps=list(apps), app_path=["external"] if apps else None)
    os.makedirs(project.core_dir(), exist_ok=True)
    for r in core_revisions:
        project.core_migration(r["rev"], slug=r["rev"], text=revision_text(r))
    for name, revisions in apps.items():
        project.external_app(name)
        for r in revisions:
            project.app_migration(name, r["rev"], revision_text(r), slug=r["rev"])
    return project


# --------------------------------------------------------------------------------------------
# Scratch directories


def fresh_dir(prefix):
    """A new directory under FASTAPPKIT_TEST_TMP; the caller removes it."""
    os.makedirs(TEST_TMP, exist_ok=True)
    return tempfile.mkdtemp(prefix=prefix + "-", dir=TEST_TMP)


def scratch_dir(tag):
    """A new directory under FASTAPPKIT_TEST_TMP, removed when the script exits."""
    path = fresh_dir(f"{tag}-{BACKEND}")
    atexit.register(shutil.rmtree, path, True)
    return path


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


def runner_arguments(args, root=None, url=None):
    """[--project-root root] [--database-url url] args..."""
    pre = []
    if root is not None:
        pre += ["--project-root", root]
    if url is not None:
        pre += ["--database-url", url]
    return pre + list(args)


def runner_environment(env=None):
    """This process's environment without the variables the runner reads (RUNNER_ENV), plus `env`."""
    full_env = {k: v for k, v in os.environ.items() if k not in RUNNER_ENV}
    full_env.update(env or {})
    return full_env


def _runner():
    if not RUNNER:
        raise SystemExit("FASTAPPKIT (the runner's path) is not set")
    return RUNNER


def run_runner(args, root=None, url=None, cwd=None, env=None, input=None, timeout=120, prefix=()):
    """Runs `fastappkit [--project-root root] [--database-url url] args...` after the command
    `prefix` (such as setpriv's), and waits for it; returns a Result."""
    args = runner_arguments(args, root, url)
    proc = subprocess.run([*prefix, _runner(), *args], cwd=cwd, env=runner_environment(env), input=input,
                          capture_output=True, text=True, timeout=timeout)
    return Result(args, proc.returncode, proc.stdout, proc.stderr)


def popen_runner(args, root=None, url=None, cwd=None, env=None, **popen_options):
    """Starts `fastappkit [--project-root root] [--database-url url] args...`; returns the
    Popen (stdout and stderr piped, as text, unless `popen_options` say otherwise)."""
    options = dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    options.update(popen_options)
    return subprocess.Popen([_runner(), *runner_arguments(args, root, url)], cwd=cwd,
                            env=runner_environment(env), **options)


def wait_all(procs, timeout=120):
    """communicate() with every process; kills them all and fails on a timeout (a hang guard:
    a deadlock or a lost wake-up). Returns (returncode, stdout, stderr) per process."""
    deadline = time.time() + timeout
    results = []
    for p in procs:
        try:
            out, err = p.communicate(timeout=max(1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            for q in procs:
                if q.poll() is None:
                    q.kill()
            for q in procs:
                q.communicate()
            fail(f"runners still running after {timeout} s (a deadlock or a lost wake-up)")
        results.append((p.returncode, out, err))
    return results


# --------------------------------------------------------------------------------------------
# Databases: created and dropped through the runner, read and set up directly (sqlite3 /
# psycopg2), never through the runner


def pg_url_for(name, scheme=None):
    """The URL of database `name` on the server of FASTAPPKIT_TEST_POSTGRES_URL (with another
    scheme, such as SQLAlchemy's postgresql+psycopg2, when given)."""
    parts = urlsplit(POSTGRES_URL)
    return urlunsplit((scheme or parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def pg_password():
    return urlsplit(POSTGRES_URL).password or ""


def create_pg_database(name, scheme=None):
    """A fresh, empty PostgreSQL database `name` (made by `db reset`); returns its URL."""
    url = pg_url_for(name, scheme)
    res = run_runner(["db", "reset"], url=url)
    if res.code != 0:
        raise RuntimeError(f"cannot create the test database:\n{res!r}")
    return url


def drop_pg_database(url):
    run_runner(["db", "drop"], url=url)


def sqlite_file(url):
    """The file of a sqlite:/// URL; None for any other URL."""
    return url[len("sqlite:///"):] if url.startswith("sqlite:///") else None


def connect(url, read_only=False):
    """An autocommit connection. SQLite: waits up to 60 s for a lock; read_only never creates
    or writes the file."""
    path = sqlite_file(url)
    if path is not None:
        if read_only:
            return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60, isolation_level=None)
        return sqlite3.connect(path, timeout=60, isolation_level=None)
    import psycopg2  # only needed on PostgreSQL
    conn = psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://", 1))
    conn.autocommit = True
    return conn


def _fetch(conn, sql, params):
    """Rows of `sql` on `conn` ([] for a statement without rows)."""
    cur = conn.cursor()
    try:
        # psycopg2 reads % as a placeholder only when given parameters.
        cur.execute(sql, params if (isinstance(conn, sqlite3.Connection) or params) else None)
        return [tuple(r) for r in cur.fetchall()] if cur.description else []
    finally:
        cur.close()


def query_many(url, statements, read_only=False):
    """Runs each (sql, params) on one new connection; returns each result's rows. A missing
    SQLite file is not created: every result is then empty."""
    path = sqlite_file(url)
    if path is not None and not os.path.exists(path):
        return [[] for _ in statements]
    conn = connect(url, read_only)
    try:
        return [_fetch(conn, sql, params) for sql, params in statements]
    finally:
        conn.close()


def query(url, sql, params=(), read_only=False):
    return query_many(url, [(sql, params)], read_only)[0]


def tables_sql(sqlite, views=False):
    """Lists the tables of the current schema (on PostgreSQL with its views when `views`)."""
    if sqlite:
        return "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    return ("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            + ("" if views else " AND table_type = 'BASE TABLE'"))


def is_bookkeeping(table):
    """The version tables and fastappkit's own (history, unfinished sections, lease)."""
    return table.startswith("alembic_version") or table in ("fastappkit_history", "fastappkit_unfinished",
                                                            "fastappkit_lock")


def tables(url):
    return {r[0] for r in query(url, tables_sql(sqlite_file(url) is not None))}


def user_tables(url):
    return {t for t in tables(url) if not is_bookkeeping(t)}


def snapshot(url, table="alembic_version"):
    """(version rows or None when the table is missing, user tables), on one connection."""
    path = sqlite_file(url)
    if path is not None and not os.path.exists(path):
        return None, set()
    conn = connect(url)
    try:
        names = {r[0] for r in _fetch(conn, tables_sql(path is not None), ())}
        rows = None
        if table in names:
            values = [r[0] for r in _fetch(conn, f"SELECT version_num FROM {table}", ())]
            check(len(values) == len(set(values)), f"duplicate rows in {table}: {values}")
            rows = set(values)
        return rows, {t for t in names if not is_bookkeeping(t)}
    finally:
        conn.close()


def version_rows(url, table="alembic_version"):
    """The set of version_num rows; None when the table does not exist."""
    return snapshot(url, table)[0]


def version_table_shape(url, table):
    """Columns and primary key of a version table, in a backend-neutral form."""
    if sqlite_file(url) is not None:
        cols = [(r[1], r[2].upper(), bool(r[3]), r[5]) for r in query(url, f"PRAGMA table_info({table})")]
        sql = query(url, "SELECT sql FROM sqlite_master WHERE name = ?", (table,))[0][0]
        pk = re.findall(r"CONSTRAINT\s+(\w+)\s+PRIMARY\s+KEY\s*\((\w+)\)", sql, re.I)
        return cols, pk
    cols = query(url, "SELECT column_name, data_type, character_maximum_length, is_nullable "
                      "FROM information_schema.columns WHERE table_schema = current_schema() "
                      "AND table_name = %s ORDER BY ordinal_position", (table,))
    pk = query(url, "SELECT c.conname, a.attname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
                    "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(c.conkey) "
                    "WHERE t.relname = %s AND c.contype = 'p' AND t.relnamespace = current_schema()::regnamespace",
               (table,))
    return [tuple(c) for c in cols], sorted(tuple(p) for p in pk)


class Database:
    """One test's database, read directly to check what the runner did. PostgreSQL: one
    autocommit connection kept for the test (it holds no locks between queries), closed before
    the database is dropped; SQLite: a read-only connection per query. A test may point `url`
    elsewhere to give the runner another URL: the file read stays `sqlite_path`."""

    def __init__(self, url):
        self.url = url
        self.sqlite_path = sqlite_file(url)
        self.backend = "sqlite" if self.sqlite_path is not None else "postgresql"
        self.pg_name = None if self.sqlite_path is not None else urlsplit(url).path.lstrip("/")
        self._pg = None

    # connections -----------------------------------------------------------------------------
    def exists(self):
        if self.backend == "sqlite":
            return os.path.exists(self.sqlite_path)
        return True

    def connection(self):
        if self._pg is None or self._pg.closed:
            self._pg = connect(self.url)
        return self._pg

    def close(self):
        if self._pg is not None and not self._pg.closed:
            self._pg.close()
        self._pg = None

    def query(self, sql, params=()):
        """Rows of `sql` (%s placeholders on both backends); [] when the SQLite file does not
        exist (never creates it)."""
        if self.backend == "sqlite":
            return query("sqlite:///" + self.sqlite_path, sql.replace("%s", "?"), params, read_only=True)
        return _fetch(self.connection(), sql, params)

    def execute(self, sql):
        """Runs statements outside the runner (to set up odd states)."""
        if self.backend == "sqlite":
            con = connect("sqlite:///" + self.sqlite_path)
            try:
                con.executescript(sql)
            finally:
                con.close()
            return
        with self.connection().cursor() as cur:
            cur.execute(sql)

    # schema ----------------------------------------------------------------------------------
    def tables(self):
        """Tables, and on PostgreSQL views."""
        return sorted(r[0] for r in self.query(tables_sql(self.backend == "sqlite", views=True)))

    def user_tables(self):
        return [t for t in self.tables() if not is_bookkeeping(t)]

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
# unittest tests (tests/cli)


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
            return Database("sqlite:///" + os.path.join(self.tmp, f"db-{uuid.uuid4().hex[:8]}.sqlite"))
        if not POSTGRES_URL:
            self.skipTest("FASTAPPKIT_TEST_POSTGRES_URL is not set")
        url = create_pg_database("fk_cli_" + uuid.uuid4().hex[:16])
        self.addCleanup(drop_pg_database, url)
        database = Database(url)
        self.addCleanup(database.close)  # runs before the drop
        return database

    # running -------------------------------------------------------------------------------------
    def fk(self, *args, db=True, cwd=None, env=None, root=None):
        """Runs `fastappkit [--project-root root] [--database-url self.db.url] args...` from the
        project root (or `cwd`)."""
        url = (db.url if isinstance(db, Database) else self.db.url) if db else None
        return run_runner(args, root=root, url=url, cwd=cwd or self.project.root, env=env)

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


# --------------------------------------------------------------------------------------------
# Scenario scripts (tests/interop): a list of (name, function) run in turn, each failing with
# check()/fail(); the script exits 1 when any failed.


class TestFailure(AssertionError):
    pass


def fail(message):
    raise TestFailure(message)


def check(condition, message):
    if not condition:
        fail(message)


def log(message):
    print(message, flush=True)


_db_counter = [0]


def new_database(tag, workdir):
    """A fresh, empty database for this script only (a file in `workdir`, or a PostgreSQL
    database dropped at exit). Returns its URL in the form both the runner and SQLAlchemy accept."""
    _db_counter[0] += 1
    n = _db_counter[0]
    if BACKEND == "sqlite":
        return "sqlite:///" + os.path.join(os.path.abspath(workdir), f"{tag}_{n}.db")
    if not POSTGRES_URL:
        fail("FASTAPPKIT_TEST_POSTGRES_URL is not set for the postgresql backend")
    url = create_pg_database(f"fki_{tag}_{os.getpid()}_{n}".lower()[:63], scheme="postgresql+psycopg2")
    atexit.register(drop_pg_database, url)
    return url


def run_scenarios(scenarios):
    """Runs each (name, fn) and reports; exit 1 when any failed."""
    failures = []
    for name, fn in scenarios:
        log(f"=== {name} [{BACKEND}]")
        try:
            fn()
            log(f"--- ok: {name}")
        except TestFailure as e:
            log(f"--- FAILED: {name}: {e}")
            failures.append(name)
        except Exception:  # a broken test is a failure too, and the others still run
            log(f"--- ERROR: {name}:\n{traceback.format_exc()}")
            failures.append(name)
    if failures:
        log(f"{len(failures)} scenario(s) failed: {', '.join(failures)}")
        sys.exit(1)
    log("all scenarios passed")
