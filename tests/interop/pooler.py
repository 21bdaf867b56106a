#!/usr/bin/python3
"""Behind a connection pooler (docs/databases.md, "Behind a pooler"), PostgreSQL only.

Debian's PgBouncer is started here in front of the test server, pool_mode = transaction and
default_pool_size = 3, while background clients keep querying through it so that server
connections rotate between clients. Every migration logs its revision into a log table, so a
revision applied twice shows up even if fastappkit_history were wrong.

  runs        migrate all on a fresh database through the pooler (30 revisions, lock_timeout and
              statement_timeout set, one transaction:false CREATE INDEX CONCURRENTLY): every run
              succeeds, and afterwards 20 fresh clients see the server's defaults and no
              advisory lock is left
  racers      8 runners at once per round, each round on a fresh database: every revision
              applied exactly once
  kill -9     of the lock holder: a waiting runner takes over within the lease's lifetime plus
              one renewal, and finishes
  SIGSTOP     a holder frozen past its lease's lifetime, then resumed: it writes no version row
              and exits 1 with one sentence; the runner that took over finishes
  no advisory with the advisory-lock functions revoked (as on CockroachDB or YugabyteDB) and a
              role that is not a superuser: auto takes the lease and the racers pass;
              lock = "advisory" fails with one sentence

FASTAPPKIT_POOLER_RUNS and FASTAPPKIT_POOLER_ROUNDS (default 20 and 10) set the counts; larger
sweeps are for hand runs.
"""
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse

from fastappkit_testing import (BACKEND, POSTGRES_URL, check, fail, log, new_database, popen_runner, query,
                                revision, run_runner, run_scenarios, scratch_dir, version_rows, wait_all,
                                write_project)

RUNS = int(os.environ.get("FASTAPPKIT_POOLER_RUNS", "20"))
ROUNDS = int(os.environ.get("FASTAPPKIT_POOLER_ROUNDS", "10"))
PROCESS_TIMEOUT = 180
SETTINGS = ("lock_timeout", "statement_timeout", "default_transaction_read_only",
            "client_min_messages")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgBouncer:
    """PgBouncer in transaction mode in front of the test server, as the postgres user (it
    refuses to run as root); every database of the server is reachable through it."""

    def __init__(self):
        server = urllib.parse.urlsplit(POSTGRES_URL)
        self.user = urllib.parse.unquote(server.username)
        self.password = urllib.parse.unquote(server.password)
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="fastappkit-pgbouncer-")  # the postgres user reaches it
        with open(os.path.join(self.dir, "userlist.txt"), "w") as f:
            f.write(f'"{self.user}" "{self.password}"\n')
        with open(os.path.join(self.dir, "pgbouncer.ini"), "w") as f:
            f.write(f"""[databases]
* = host={server.hostname} port={server.port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = {self.dir}/userlist.txt
pool_mode = transaction
default_pool_size = 3
max_client_conn = 500
server_reset_query_always = 0
log_connections = 0
log_disconnections = 0
logfile = {self.dir}/pgbouncer.log
pidfile = {self.dir}/pgbouncer.pid
""")
        command = ["/usr/sbin/pgbouncer", os.path.join(self.dir, "pgbouncer.ini")]
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            for name in [self.dir] + [os.path.join(self.dir, n) for n in os.listdir(self.dir)]:
                os.chown(name, owner.pw_uid, owner.pw_gid)
            command = ["runuser", "-u", "postgres", "--"] + command
        # Its log goes to its logfile and to stderr: stderr to a file too, never to a pipe
        # nobody reads, whose filling up would stop PgBouncer.
        self.errors = open(os.path.join(self.dir, "stderr.log"), "w+")
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=self.errors)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    self.errors.seek(0)
                    fail(f"pgbouncer did not start: {self.errors.read()}")
                time.sleep(0.05)
        fail("pgbouncer did not start listening within 30 s")

    def url(self, direct_url):
        """`direct_url`'s database, through the pooler."""
        parts = urllib.parse.urlsplit(direct_url)
        netloc = f"{parts.username}:{parts.password}@127.0.0.1:{self.port}"
        return urllib.parse.urlunsplit(("postgresql", netloc, parts.path, parts.query, ""))

    def stop(self):
        self.errors.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.dir, True)


class Load:
    """Clients querying through the pooler in the background, so that each transaction of a
    runner may land on another server connection."""

    def __init__(self, url, clients=8):
        import psycopg2
        self.stop_flag = threading.Event()
        self.errors = []
        self.threads = []
        for _ in range(clients):
            conn = psycopg2.connect(url)
            conn.autocommit = True
            thread = threading.Thread(target=self.run, args=(conn,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def run(self, conn):
        cursor = conn.cursor()
        while not self.stop_flag.is_set():
            try:
                cursor.execute("SELECT pg_sleep(0.002)")
            except Exception as error:  # noqa: BLE001 - reported at stop()
                self.errors.append(str(error))
                return
        conn.close()

    def stop(self):
        self.stop_flag.set()
        for thread in self.threads:
            thread.join(timeout=10)
        check(not self.errors, f"the background clients failed: {self.errors[:3]}")


BOUNCER = None
LOAD = None


def setup():
    global BOUNCER, LOAD
    BOUNCER = PgBouncer()
    work = scratch_dir("pool-load")
    LOAD = Load(BOUNCER.url(new_database("pool_load", work)))


def teardown():
    if LOAD:
        LOAD.stop()
    if BOUNCER:
        BOUNCER.stop()


# ---------------------------------------------------------------------------------------------

def logged(rev, first=False, extra=(), **kw):
    up = (["CREATE TABLE p_log (rev VARCHAR(32) NOT NULL)"] if first else []) + \
        [f"CREATE TABLE t_{rev} (id INTEGER)"] + list(extra) + [f"INSERT INTO p_log (rev) VALUES ('{rev}')"]
    down = [f"DELETE FROM p_log WHERE rev = '{rev}'", f"DROP TABLE t_{rev}"] + \
        (["DROP TABLE p_log"] if first else [])
    return revision(rev, up=up, downgrade=down, **kw)


def thirty_revisions():
    revs = [logged("p01", first=True)]
    for i in range(2, 31):
        rev, down = f"p{i:02d}", [f"p{i - 1:02d}"]
        if i == 15:  # outside a transaction: no SET LOCAL can carry its timeouts
            revs.append(revision(rev, down=down, up_options="transaction:false",
                                 up=["CREATE INDEX CONCURRENTLY p_idx ON t_p01 (id)",
                                     f"INSERT INTO p_log (rev) VALUES ('{rev}')"],
                                 downgrade=["DROP INDEX p_idx", f"DELETE FROM p_log WHERE rev = '{rev}'"]))
        else:
            revs.append(logged(rev, down=down))
    return revs


def project(tag, revs, migration_settings='lock_timeout = "5s"\nstatement_timeout = "60s"\n'):
    work = scratch_dir(f"pool-{tag}")
    root = os.path.join(work, "project")
    write_project(root, revs)
    if migration_settings:
        with open(os.path.join(root, "fastappkit.toml"), "a") as f:
            f.write("\n[tool.fastappkit.migration]\n" + migration_settings)
    return work, root


def check_applied_once(url, revs):
    ids = [r["rev"] for r in revs]
    history = dict(query(url, "SELECT revision, COUNT(*) FROM fastappkit_history WHERE "
                              "direction = 'upgrade' AND version_table = 'alembic_version' "
                              "GROUP BY revision"))
    logged_counts = dict(query(url, "SELECT rev, COUNT(*) FROM p_log GROUP BY rev"))
    check(history == {rev: 1 for rev in ids},
          f"fastappkit_history should hold each revision once: {({k: v for k, v in history.items() if v != 1})}"
          f", missing {sorted(set(ids) - set(history))}")
    check(logged_counts == {rev: 1 for rev in ids},
          f"p_log should hold each revision once: {({k: v for k, v in logged_counts.items() if v != 1})}")
    check(version_rows(url) == {ids[-1]}, f"alembic_version: {version_rows(url)}")


def execute(url, sql):
    import psycopg2
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(sql)
    conn.close()


def server_defaults(direct):
    return dict(query(direct, "SELECT name, reset_val FROM pg_settings WHERE name = ANY(%s)",
                      (list(SETTINGS),)))


def check_no_leak(pooled, direct, defaults):
    """20 fresh clients through the pooler see the server's defaults; no advisory lock."""
    import psycopg2
    for _ in range(20):
        conn = psycopg2.connect(pooled)
        conn.autocommit = True
        with conn.cursor() as cursor:
            for name in SETTINGS:
                cursor.execute(f"SHOW {name}")
                value = cursor.fetchone()[0]
                check(value == defaults[name],
                      f"a pooled connection has {name} = {value}, the server's default is {defaults[name]}")
        conn.close()
    # This database's only: other tests on the server take advisory locks of their own.
    locks = query(direct, "SELECT pid, objid FROM pg_locks WHERE locktype = 'advisory' AND database = "
                          "(SELECT oid FROM pg_database WHERE datname = current_database())")
    check(not locks, f"advisory locks left: {locks}")


# ---------------------------------------------------------------------------------------------

def runs_through_the_pooler():
    revs = thirty_revisions()
    work, root = project("runs", revs)
    for n in range(RUNS):
        direct = new_database("pool_runs", work)
        pooled = BOUNCER.url(direct)
        if n == 0:
            defaults = server_defaults(direct)
        result = run_runner(["migrate", "all"], root=root, url=pooled, timeout=PROCESS_TIMEOUT)
        check(result.code == 0, f"run {n + 1}: exit {result.code}: {result.err.strip()}")
        check("runs without its lock_timeout/statement_timeout" in result.err,
              f"run {n + 1}: no warning that the transaction:false section runs without timeouts: "
              f"{result.err!r}")
        status = run_runner(["migrate", "status"], root=root, url=pooled)
        check(status.code == 0, f"status through the pooler: {status.err.strip()}")
        check_applied_once(direct, revs)
        check_no_leak(pooled, direct, defaults)
        # The application goes on writing through the pooler after a read-only command.
        execute(pooled, "INSERT INTO t_p02 (id) VALUES (1)")
    log(f"  {RUNS} of {RUNS} runs through the pooler succeeded; no setting or lock leaked")


def racers(url_of=None, tag="race", rounds=None, prepare=None):
    """Rounds alternate between a project without timeouts (each migration in two round trips)
    and one with them (statement by statement, retried on a lock timeout)."""
    revs = thirty_revisions()
    work, plain_root = project(tag + "_plain", revs, None)
    _, timed_root = project(tag + "_timed", revs)
    failures = 0
    for round_ in range(rounds or ROUNDS):
        root = (plain_root, timed_root)[round_ % 2]
        direct = new_database(f"pool_{tag}", work)
        if prepare:
            prepare(direct)
        target = (url_of or BOUNCER.url)(direct)
        results = wait_all([popen_runner(["migrate", "all"], root=root, url=target) for _ in range(8)],
                           PROCESS_TIMEOUT)
        for i, (rc, out, err) in enumerate(results):
            if rc != 0:
                failures += 1
            check(rc == 0, f"round {round_ + 1}: runner {i} exited {rc}: {err.strip()}")
        check_applied_once(direct, revs)
    log(f"  {rounds or ROUNDS} rounds of 8 racing runners: every revision applied once, {failures} failures")


def sleepy(tag, settings):
    revs = [logged("k01", first=True),
            logged("k02", down=["k01"], extra=["SELECT pg_sleep(3)"]),
            logged("k03", down=["k02"])]
    work, root = project(tag, revs, settings)
    direct = new_database(f"pool_{tag}", work)
    return revs, root, direct, BOUNCER.url(direct)


def wait_for_sleeper(direct, proc, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if query(direct, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND "
                         "state = 'active' AND query ILIKE '%pg_sleep(3)%' AND pid <> pg_backend_pid()"):
            return
        if proc.poll() is not None:
            fail(f"the lock holder ended (exit {proc.returncode}) before its pg_sleep: {proc.communicate()[1]}")
        time.sleep(0.05)
    fail("the lock holder's pg_sleep never showed up")


def kill_the_holder():
    revs, root, direct, pooled = sleepy("kill", 'lock_ttl = "2s"\n')
    holder = popen_runner(["migrate", "all"], root=root, url=pooled)
    wait_for_sleeper(direct, holder)
    os.kill(holder.pid, signal.SIGKILL)
    holder.communicate()
    started = time.time()
    (rc, out, err), = wait_all([popen_runner(["migrate", "all"], root=root, url=pooled)], PROCESS_TIMEOUT)
    took = time.time() - started
    check(rc == 0, f"the runner after kill -9 exited {rc}: {err.strip()}")
    check_applied_once(direct, revs)
    log(f"  after kill -9 of the holder the next runner finished in {took:.1f} s (lease 2 s)")


def stop_the_holder():
    # With a lock timeout the section runs statement by statement: frozen after its pg_sleep,
    # the holder's transaction waits, open, until it is resumed.
    revs, root, direct, pooled = sleepy("stop", 'lock_ttl = "2s"\nlock_timeout = "30s"\n')
    holder = popen_runner(["migrate", "all"], root=root, url=pooled)
    wait_for_sleeper(direct, holder)
    os.kill(holder.pid, signal.SIGSTOP)
    time.sleep(4)  # past the lease's lifetime
    taker = popen_runner(["migrate", "all"], root=root, url=pooled)
    time.sleep(4)  # the taker holds the lease and waits for the frozen transaction
    os.kill(holder.pid, signal.SIGCONT)
    (rc1, out1, err1), (rc2, out2, err2) = wait_all([holder, taker], PROCESS_TIMEOUT)
    check(rc1 == 1, f"the resumed holder exited {rc1}, expected 1: {err1.strip()}\n{out1}")
    lines = [line for line in err1.strip().splitlines() if line.strip()]
    check(len(lines) == 1 and "lost its migration lock" in lines[0],
          f"the resumed holder should say in one sentence that it lost its lock: {err1!r}")
    check(rc2 == 0, f"the runner that took over exited {rc2}: {err2.strip()}")
    check_applied_once(direct, revs)
    log(f"  resumed holder: {lines[0][:100]}…")


def admin_url():
    url = os.environ.get("FASTAPPKIT_TEST_POSTGRES_ADMIN_URL")
    if url:
        return url
    parts = urllib.parse.urlsplit(POSTGRES_URL)
    return f"postgresql://postgres:fk_admin_pw@{parts.hostname}:{parts.port}/postgres"


def revoke_advisory_locks(direct):
    """Every advisory-lock function of `direct`'s database refused to everyone but superusers."""
    import psycopg2
    database = urllib.parse.urlsplit(direct).path.lstrip("/")
    admin = urllib.parse.urlsplit(admin_url())
    conn = psycopg2.connect(urllib.parse.urlunsplit(admin._replace(path="/" + database)))
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s",
                       (urllib.parse.unquote(urllib.parse.urlsplit(POSTGRES_URL).username),))
        check(cursor.fetchone() == (False,), "the test role must not be a superuser")
        cursor.execute("SELECT p.oid::regprocedure FROM pg_proc p WHERE p.proname LIKE 'pg%advisory%'")
        for (function,) in cursor.fetchall():
            cursor.execute(f"REVOKE EXECUTE ON FUNCTION {function} FROM PUBLIC")
    conn.close()
    denied = query(direct, "SELECT has_function_privilege('pg_try_advisory_lock(bigint)', 'EXECUTE')")
    check(denied == [(False,)], f"pg_try_advisory_lock is still executable: {denied}")


def without_advisory_locks():
    revs = thirty_revisions()
    work, root = project("noadv-advisory", revs, 'lock = "advisory"\n')
    direct = new_database("pool_noadv", work)
    revoke_advisory_locks(direct)
    refused = run_runner(["migrate", "all"], root=root, url=direct)
    check(refused.code == 1, f"lock = advisory exited {refused.code}: {refused.err.strip()}")
    lines = refused.err.strip().splitlines()
    check(len(lines) == 1 and 'lock = "advisory" needs pg_try_advisory_lock' in lines[0]
          and "permission denied" in lines[0], f"lock = advisory should refuse in one sentence: {lines}")
    check(not version_rows(direct), f"lock = advisory changed alembic_version: {version_rows(direct)}")

    # auto (the default) takes the lease: racers directly, then through the pooler.
    racers(url_of=lambda direct_url: direct_url, tag="noadv_direct", rounds=2,
           prepare=revoke_advisory_locks)
    racers(tag="noadv_pooled", rounds=2, prepare=revoke_advisory_locks)
    log(f"  lock = advisory refused: {lines[0][:90]}…")


if __name__ == "__main__":
    if BACKEND != "postgresql":
        fail("the pooler tests run on PostgreSQL only")
    setup()
    try:
        run_scenarios([("migrate all through PgBouncer in transaction mode", runs_through_the_pooler),
                       ("8 racing runners through the pooler", racers),
                       ("kill -9 of the lease holder", kill_the_holder),
                       ("a holder frozen past its lease", stop_the_holder),
                       ("a server without advisory locks", without_advisory_locks)])
    finally:
        teardown()
