"""Shared helpers of the interop tests: scratch databases on either backend, the runner, a
project/Alembic-script writer, and read-only inspection of version rows and user tables.

Environment (set by tests/CMakeLists.txt): FASTAPPKIT (the runner), FASTAPPKIT_TEST_BACKEND
(sqlite|postgresql), FASTAPPKIT_TEST_POSTGRES_URL, FASTAPPKIT_TEST_TMP.
"""
import atexit
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

RUNNER = os.environ.get("FASTAPPKIT", "fastappkit")
BACKEND = os.environ.get("FASTAPPKIT_TEST_BACKEND", "sqlite")
PG_URL = os.environ.get("FASTAPPKIT_TEST_POSTGRES_URL", "")

# Tables that are not "user" tables: the version tables and the runner's own history.
BOOKKEEPING = re.compile(r"^(alembic_version(_[a-z0-9_]+)?|fastappkit_history|fastappkit_unfinished|fastappkit_lock)$")


class TestFailure(AssertionError):
    pass


def fail(message):
    raise TestFailure(message)


def check(condition, message):
    if not condition:
        fail(message)


def log(message):
    print(message, flush=True)


# --------------------------------------------------------------------------------------------
# Scratch directories and databases

def scratch_dir(tag):
    base = os.environ.get("FASTAPPKIT_TEST_TMP") or tempfile.gettempdir()
    os.makedirs(base, exist_ok=True)
    path = tempfile.mkdtemp(prefix=f"{tag}-{BACKEND}-", dir=base)
    atexit.register(shutil.rmtree, path, True)
    return path


_db_counter = [0]


def new_database(tag, workdir):
    """A fresh, empty database for this test only; dropped at exit. Returns its URL in the
    form both the runner and SQLAlchemy accept."""
    _db_counter[0] += 1
    n = _db_counter[0]
    if BACKEND == "sqlite":
        return "sqlite:///" + os.path.join(os.path.abspath(workdir), f"{tag}_{n}.db")
    if not PG_URL:
        fail("FASTAPPKIT_TEST_POSTGRES_URL is not set for the postgresql backend")
    name = f"fki_{tag}_{os.getpid()}_{n}".lower()[:63]
    parts = urllib.parse.urlsplit(PG_URL)
    url = urllib.parse.urlunsplit(("postgresql+psycopg2", parts.netloc, "/" + name, parts.query, ""))
    result = run_runner(workdir, url, "db", "reset")
    check(result.returncode == 0, f"db reset of {name} failed: {result.stderr}")
    atexit.register(drop_database, workdir, url)
    return url


def drop_database(workdir, url):
    if BACKEND == "postgresql":
        subprocess.run([RUNNER, "--project-root", workdir, "--database-url", url, "db", "drop"],
                       capture_output=True, text=True)


# --------------------------------------------------------------------------------------------
# The runner

def run_runner(root, url, *args, timeout=120):
    command = [RUNNER, "--project-root", root, "--database-url", url, *args]
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)


def popen_runner(root, url, *args):
    command = [RUNNER, "--project-root", root, "--database-url", url, *args]
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


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
# Inspection (plain DB-API connections, never through the runner)

def connect(url):
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        conn = sqlite3.connect(path, timeout=60)
        conn.isolation_level = None
        return conn
    import psycopg2
    conn = psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://", 1))
    conn.autocommit = True
    return conn


def query(url, sql, params=()):
    return query_many(url, [(sql, params)])[0]


def query_many(url, statements):
    """Runs each (sql, params) on one connection; returns each result's rows. A missing
    SQLite file is not created: every result is then empty."""
    if url.startswith("sqlite:///") and not os.path.exists(url[len("sqlite:///"):]):
        return [[] for _ in statements]
    conn = connect(url)
    try:
        out = []
        sqlite = url.startswith("sqlite:///")
        for sql, params in statements:
            cur = conn.cursor()
            # psycopg2 reads % as a placeholder only when given parameters.
            cur.execute(sql, params if (sqlite or params) else None)
            out.append(cur.fetchall())
        return out
    finally:
        conn.close()


def _tables_sql(url):
    if url.startswith("sqlite:///"):
        return "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
    return ("SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")


def tables(url):
    return {r[0] for r in query(url, _tables_sql(url))}


def user_tables(url):
    return {t for t in tables(url) if not BOOKKEEPING.match(t)}


def snapshot(url, table="alembic_version"):
    """(version rows or None when the table is missing, user tables), on one connection."""
    if url.startswith("sqlite:///") and not os.path.exists(url[len("sqlite:///"):]):
        return None, set()
    conn = connect(url)
    try:
        cur = conn.cursor()
        cur.execute(_tables_sql(url))
        names = {r[0] for r in cur.fetchall()}
        rows = None
        if table in names:
            cur.execute(f"SELECT version_num FROM {table}")
            values = [r[0] for r in cur.fetchall()]
            check(len(values) == len(set(values)), f"duplicate rows in {table}: {values}")
            rows = set(values)
        return rows, {t for t in names if not BOOKKEEPING.match(t)}
    finally:
        conn.close()


def version_rows(url, table="alembic_version"):
    """The set of version_num rows; None when the table does not exist."""
    return snapshot(url, table)[0]


def version_table_shape(url, table):
    """Columns and primary key of a version table, in a backend-neutral form."""
    if url.startswith("sqlite:///"):
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


# --------------------------------------------------------------------------------------------
# Revision descriptions -> fastappkit SQL files and Alembic scripts
#
# A revision is a dict: rev, down (list), labels (list), depends (list), up (list of SQL
# statements), downgrade (list of SQL statements, or None for no downgrade section), and
# optional up_options (text after "-- migrate:upgrade", e.g. "transaction:false").

def revision(rev, down=(), labels=(), depends=(), up=None, downgrade=None, message=None, up_options=""):
    if up is None:
        up = [f"CREATE TABLE IF NOT EXISTS t_{rev} (id INTEGER)"]
    if downgrade is None:
        downgrade = [f"DROP TABLE IF EXISTS t_{rev}"]
    return dict(rev=rev, down=list(down), labels=list(labels), depends=list(depends), up=list(up),
                downgrade=list(downgrade), message=message or f"revision {rev}", up_options=up_options)


def write_sql_revisions(versions_dir, revisions):
    os.makedirs(versions_dir, exist_ok=True)
    for r in revisions:
        header = [
            f"-- revision: {r['rev']}",
            f"-- down_revision: {', '.join(r['down']) if r['down'] else 'none'}",
            f"-- branch_labels: {', '.join(r['labels'])}",
            f"-- depends_on: {', '.join(r['depends'])}",
            f"-- message: {r['message']}",
            "",
        ]
        marker = "-- migrate:upgrade" + (" " + r["up_options"] if r["up_options"] else "")
        body = [marker] + [s + ";" for s in r["up"]] + ["", "-- migrate:downgrade"] + \
               [s + ";" for s in r["downgrade"]]
        with open(os.path.join(versions_dir, f"{r['rev']}_{r['rev']}.sql"), "w") as f:
            f.write("\n".join(header + body) + "\n")


def write_project(root, core_revisions, apps=None):
    """A project at `root`: core history, plus external apps {name: revisions} under external/."""
    apps = apps or {}
    os.makedirs(root, exist_ok=True)
    app_list = ", ".join(f'"{a}"' for a in apps)
    toml = f"[tool.fastappkit]\napps = [{app_list}]\n"
    if apps:
        toml += 'app_path = ["external"]\n'
    with open(os.path.join(root, "fastappkit.toml"), "w") as f:
        f.write(toml)
    write_sql_revisions(os.path.join(root, "core", "db", "migrations", "versions"), core_revisions)
    for name, revisions in apps.items():
        app_dir = os.path.join(root, "external", name, name)
        os.makedirs(app_dir, exist_ok=True)
        with open(os.path.join(app_dir, "fastappkit.toml"), "w") as f:
            f.write(f'[tool.fastappkit]\nname = "{name}"\nversion = "0.1.0"\nmigrations = "migrations"\n')
        write_sql_revisions(os.path.join(app_dir, "migrations", "versions"), revisions)


ALEMBIC_ENV = '''\
from alembic import context
from sqlalchemy import create_engine, pool

config = context.config
engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None,
                      version_table=config.get_main_option("version_table") or "alembic_version")
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
'''


def _py_tuple(values):
    if not values:
        return "None"
    if len(values) == 1:
        return repr(values[0])
    return repr(tuple(values))


def write_alembic_scripts(script_dir, revisions):
    versions = os.path.join(script_dir, "versions")
    os.makedirs(versions, exist_ok=True)
    with open(os.path.join(script_dir, "env.py"), "w") as f:
        f.write(ALEMBIC_ENV)
    for r in revisions:
        up = "\n".join(f"    op.execute({s!r})" for s in r["up"]) or "    pass"
        down = "\n".join(f"    op.execute({s!r})" for s in r["downgrade"]) or "    pass"
        labels = repr(tuple(r["labels"])) if r["labels"] else "None"
        with open(os.path.join(versions, f"{r['rev']}_{r['rev']}.py"), "w") as f:
            f.write(f'''"""{r['message']}"""
from alembic import op

revision = {r['rev']!r}
down_revision = {_py_tuple(r['down'])}
branch_labels = {labels}
depends_on = {_py_tuple(r['depends'])}


def upgrade():
{up}


def downgrade():
{down}
''')


def alembic_config(script_dir, url, version_table="alembic_version"):
    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", script_dir)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("version_table", version_table)
    return cfg


def alembic_run(cfg, command, rev):
    """Runs `alembic <command> <rev>`; returns None on success, else the error's text."""
    from alembic import command as commands
    fn = {"upgrade": commands.upgrade, "downgrade": commands.downgrade, "stamp": commands.stamp,
          "stamp_purge": lambda c, r: commands.stamp(c, r, purge=True)}[command]
    try:
        fn(cfg, rev)
        return None
    except Exception as e:  # CommandError, and Alembic's own asserts on shapes it cannot do
        return f"{type(e).__name__}: {e}"


def main(scenarios):
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
