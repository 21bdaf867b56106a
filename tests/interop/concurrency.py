#!/usr/bin/python3
"""Concurrent runners (docs/databases.md, "Concurrency"): any number of runners may start at
once; no revision is ever applied twice and none fails because another runner is active.

Every migration inserts its revision into a per-history log table, so a revision applied twice
shows up there even if the runner's own fastappkit_history were wrong.

  both backends  8 runners `migrate all` at once on 30 core migrations + 2 external apps
  sqlite         a runner blocked by another connection's BEGIN IMMEDIATE (and BEGIN EXCLUSIVE)
                 waits, says so, and succeeds once the lock is released
  postgresql     a runner inside `SELECT pg_sleep(3)` holds the lock: a second runner says it
                 waits and then succeeds without re-applying; kill -9 of the holder mid-migration:
                 the rerun applies that migration once and no advisory lock is left;
                 a transaction:false CREATE INDEX CONCURRENTLY while another runner waits does
                 not deadlock
"""
import os
import re
import signal
import sqlite3
import time
import urllib.parse

from fastappkit_testing import (BACKEND, check, fail, log, new_database, popen_runner, query, revision,
                                run_runner, run_scenarios, scratch_dir, user_tables, version_rows, wait_all,
                                write_project)

PROCESS_TIMEOUT = 120


def logged(rev, log_table, extra=(), first=False, **kw):
    """A revision creating t_<rev> and logging its id into `log_table` (created by `first`)."""
    up = ([f"CREATE TABLE {log_table} (rev VARCHAR(32) NOT NULL)"] if first else []) + \
        [f"CREATE TABLE t_{rev} (id INTEGER)"] + list(extra) + \
        [f"INSERT INTO {log_table} (rev) VALUES ('{rev}')"]
    down = [f"DELETE FROM {log_table} WHERE rev = '{rev}'", f"DROP TABLE t_{rev}"] + \
        ([f"DROP TABLE {log_table}"] if first else [])
    return revision(rev, up=up, downgrade=down, **kw)


def chain(prefix, count, log_table):
    revs = []
    for i in range(1, count + 1):
        rev = f"{prefix}{i:02d}"
        revs.append(logged(rev, log_table, first=(i == 1), down=[f"{prefix}{i - 1:02d}"] if i > 1 else []))
    return revs


def history_upgrades(url):
    """{(version_table, revision): number of upgrade rows} of fastappkit_history."""
    rows = query(url, "SELECT version_table, revision, COUNT(*) FROM fastappkit_history "
                      "WHERE direction = 'upgrade' GROUP BY version_table, revision")
    return {(t, r): n for t, r, n in rows}


def log_counts(url, table):
    return dict(query(url, f"SELECT rev, COUNT(*) FROM {table} GROUP BY rev"))


def check_applied_once(url, version_table, log_table, revisions):
    ids = [r["rev"] for r in revisions]
    history = history_upgrades(url)
    for rev in ids:
        n = history.get((version_table, rev), 0)
        check(n == 1, f"{rev}: {n} upgrade rows in fastappkit_history for {version_table}, expected 1")
    logged_counts = log_counts(url, log_table)
    check(logged_counts == {rev: 1 for rev in ids},
          f"{log_table} should hold each revision once, holds {logged_counts}")
    extra = {k: v for k, v in history.items() if k[0] == version_table and k[1] not in ids}
    check(not extra, f"unexpected history rows: {extra}")


# ---------------------------------------------------------------------------------------------
# Both backends

def eight_runners_migrate_all():
    core = chain("c", 14, "core_log")
    # A branch and its merge in the middle, so that there are two version rows for a while.
    core += [logged("c15", "core_log", down=["c14"]), logged("c16", "core_log", down=["c14"]),
             logged("c17", "core_log", down=["c15", "c16"])]
    core += [logged(f"c{i:02d}", "core_log", down=[f"c{i - 1:02d}"]) for i in range(18, 31)]
    apps = {"billing": chain("b", 5, "billing_log"), "audit": chain("a", 5, "audit_log")}
    work = scratch_dir("conc-all")
    root = os.path.join(work, "project")
    write_project(root, core, apps)
    url = new_database("conc_all", work)

    for round_ in (1, 2):
        procs = [popen_runner(["migrate", "all"], root=root, url=url) for _ in range(8)]
        results = wait_all(procs)
        for i, (rc, out, err) in enumerate(results):
            check(rc == 0, f"round {round_}: runner {i} exited {rc}: {err.strip()}\n{out}")
        check_applied_once(url, "alembic_version", "core_log", core)
        for name, revs in apps.items():
            check_applied_once(url, f"alembic_version_{name}", f"{name}_log", revs)
        check(version_rows(url) == {"c30"}, f"alembic_version: {version_rows(url)}")
        check(version_rows(url, "alembic_version_billing") == {"b05"},
              f"alembic_version_billing: {version_rows(url, 'alembic_version_billing')}")
        check(version_rows(url, "alembic_version_audit") == {"a05"},
              f"alembic_version_audit: {version_rows(url, 'alembic_version_audit')}")
        expected_tables = {f"t_{r['rev']}" for r in core + apps["billing"] + apps["audit"]} | \
            {"core_log", "billing_log", "audit_log"}
        check(user_tables(url) == expected_tables,
              f"tables: missing {expected_tables - user_tables(url)}, extra {user_tables(url) - expected_tables}")
        waited = sum(1 for _, _, err in results if "wait" in err.lower())
        log(f"  round {round_}: 8 runners exited 0, 40 revisions applied once ({waited} said they waited)")
    if BACKEND == "postgresql":
        check_no_advisory_lock(url)


# ---------------------------------------------------------------------------------------------
# SQLite

def sqlite_blocked_by_connection(mode):
    revs = chain("s", 3, "s_log")
    work = scratch_dir(f"conc-sqlite-{mode.lower()}")
    root = os.path.join(work, "project")
    write_project(root, revs)
    url = new_database(f"conc_{mode.lower()}", work)
    first = run_runner(["migrate", "upgrade", "s01"], root=root, url=url)
    check(first.code == 0, f"upgrade s01: {first.err}")

    blocker = sqlite3.connect(url[len("sqlite:///"):], isolation_level=None)
    blocker.execute(f"BEGIN {mode}")
    blocker.execute("INSERT INTO s_log (rev) VALUES ('blocker')")
    proc = popen_runner(["migrate", "upgrade"], root=root, url=url)
    time.sleep(2.0)
    still_running = proc.poll() is None
    blocker.execute("DELETE FROM s_log WHERE rev = 'blocker'")
    blocker.execute("COMMIT")
    blocker.close()
    (rc, out, err), = wait_all([proc])
    check(still_running, f"the runner did not wait for the BEGIN {mode} connection "
                         f"(exit {proc.returncode}: {err.strip()})")
    check(rc == 0, f"the runner exited {rc} after the lock was released: {err.strip()}")
    check("wait" in err.lower(), f"the runner did not say on stderr that it waits; stderr: {err!r}")
    check_applied_once(url, "alembic_version", "s_log", revs)
    check(version_rows(url) == {"s03"}, f"alembic_version: {version_rows(url)}")
    log(f"  waited for BEGIN {mode}: {err.strip().splitlines()[0]}")


def sqlite_begin_immediate():
    sqlite_blocked_by_connection("IMMEDIATE")


def sqlite_begin_exclusive():
    sqlite_blocked_by_connection("EXCLUSIVE")


# ---------------------------------------------------------------------------------------------
# PostgreSQL

def db_name(url):
    return urllib.parse.urlsplit(url).path.lstrip("/")


def advisory_locks(url):
    return query(url, "SELECT l.pid, l.classid, l.objid, l.granted FROM pg_locks l "
                      "JOIN pg_database d ON d.oid = l.database "
                      "WHERE l.locktype = 'advisory' AND d.datname = current_database()")


def check_no_advisory_lock(url):
    locks = advisory_locks(url)
    check(not locks, f"advisory locks left on {db_name(url)}: {locks}")


def wait_for_sleeper(url, proc, timeout=30):
    """Waits until a session of this database runs pg_sleep; fails if `proc` ends first."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        rows = query(url, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                          "AND state = 'active' AND query ILIKE '%pg_sleep%' AND pid <> pg_backend_pid()")
        if rows:
            return
        if proc.poll() is not None:
            out, err = proc.communicate()
            fail(f"the lock holder ended (exit {proc.returncode}) before its pg_sleep was seen: {err}")
        time.sleep(0.05)
    fail("the lock holder's pg_sleep never showed up in pg_stat_activity")


def sleepy_project(tag, seconds=3, sleep_options=""):
    revs = [logged("k01", "k_log", first=True),
            logged("k02", "k_log", extra=[f"SELECT pg_sleep({seconds})"], down=["k01"]),
            logged("k03", "k_log", down=["k02"])]
    if sleep_options:
        revs[1]["up_options"] = sleep_options
    work = scratch_dir(f"conc-{tag}")
    root = os.path.join(work, "project")
    write_project(root, revs)
    return root, revs, new_database(f"conc_{tag}", work)


def pg_waiting_runner():
    root, revs, url = sleepy_project("wait")
    holder = popen_runner(["migrate", "upgrade"], root=root, url=url)
    wait_for_sleeper(url, holder)
    waiter = popen_runner(["migrate", "upgrade"], root=root, url=url)
    (rc1, out1, err1), (rc2, out2, err2) = wait_all([holder, waiter])
    check(rc1 == 0, f"the lock holder exited {rc1}: {err1.strip()}")
    check(rc2 == 0, f"the waiting runner exited {rc2}: {err2.strip()}")
    check("wait" in err2.lower(), f"the second runner did not say on stderr that it waits; stderr: {err2!r}")
    applied = [line for line in out2.splitlines() if re.match(r"^core k0\d ", line)]
    check(not applied, f"the second runner reports applying migrations the first one applied: {applied}")
    check_applied_once(url, "alembic_version", "k_log", revs)
    check(version_rows(url) == {"k03"}, f"alembic_version: {version_rows(url)}")
    check_no_advisory_lock(url)
    log(f"  waiter said: {err2.strip().splitlines()[0]}")


def pg_kill_lock_holder():
    root, revs, url = sleepy_project("kill")
    holder = popen_runner(["migrate", "upgrade"], root=root, url=url)
    wait_for_sleeper(url, holder)
    os.kill(holder.pid, signal.SIGKILL)
    holder.communicate()
    check(holder.returncode == -signal.SIGKILL, f"the holder was not killed: {holder.returncode}")
    # A fresh database runs k01-k03 in one transaction: the kill rolled k01 back with k02.
    check(version_rows(url) is None, f"after kill -9 inside k02, alembic_version is {version_rows(url)}")
    rerun = run_runner(["migrate", "upgrade"], root=root, url=url, timeout=PROCESS_TIMEOUT)
    check(rerun.code == 0, f"the rerun after kill -9 exited {rerun.code}: {rerun.err.strip()}")
    check_applied_once(url, "alembic_version", "k_log", revs)
    check(version_rows(url) == {"k03"}, f"alembic_version: {version_rows(url)}")
    check_no_advisory_lock(url)
    log("  rerun after kill -9 applied k01, k02 and k03 once; no advisory lock left")


def pg_concurrent_index():
    revs = [logged("x01", "x_log", first=True,
                   extra=["INSERT INTO t_x01 (id) SELECT g FROM generate_series(1, 1000) AS g"]),
            revision("x02", down=["x01"], up_options="transaction:false",
                     up=["SELECT pg_sleep(2)", "CREATE INDEX CONCURRENTLY x_idx ON t_x01 (id)",
                         "INSERT INTO x_log (rev) VALUES ('x02')"],
                     downgrade=["DROP INDEX IF EXISTS x_idx", "DELETE FROM x_log WHERE rev = 'x02'"]),
            logged("x03", "x_log", down=["x02"])]
    work = scratch_dir("conc-cic")
    root = os.path.join(work, "project")
    write_project(root, revs)
    url = new_database("conc_cic", work)
    holder = popen_runner(["migrate", "upgrade"], root=root, url=url)
    wait_for_sleeper(url, holder)
    waiter = popen_runner(["migrate", "upgrade"], root=root, url=url)
    (rc1, out1, err1), (rc2, out2, err2) = wait_all([holder, waiter])
    check(rc1 == 0, f"the runner creating the index concurrently exited {rc1}: {err1.strip()}")
    check(rc2 == 0, f"the waiting runner exited {rc2}: {err2.strip()}")
    check("wait" in err2.lower(), f"the second runner did not say it waits; stderr: {err2!r}")
    valid = query(url, "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                       "WHERE c.relname = 'x_idx'")
    check(valid == [(True,)], f"x_idx should exist once and be valid: {valid}")
    check_applied_once(url, "alembic_version", "x_log", revs)
    check(version_rows(url) == {"x03"}, f"alembic_version: {version_rows(url)}")
    check_no_advisory_lock(url)


if __name__ == "__main__":
    scenarios = [("8 runners: migrate all at once", eight_runners_migrate_all)]
    if BACKEND == "sqlite":
        scenarios += [("blocked by BEGIN IMMEDIATE", sqlite_begin_immediate),
                      ("blocked by BEGIN EXCLUSIVE", sqlite_begin_exclusive)]
    else:
        scenarios += [("second runner waits for pg_sleep holder", pg_waiting_runner),
                      ("kill -9 of the lock holder", pg_kill_lock_holder),
                      ("CREATE INDEX CONCURRENTLY while another runner waits", pg_concurrent_index)]
    run_scenarios(scenarios)
