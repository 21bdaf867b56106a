#!/usr/bin/python3
"""Alembic 1.8 parity: one description of a revision graph becomes both a fastappkit project
(SQL files) and an Alembic script directory (versions/*.py with the same ids, down_revision
tuples, branch_labels, depends_on and SQL). Each command of a sequence runs on four databases:

  alembic   moved only by Alembic (command.upgrade/downgrade/stamp)  - the reference
  runner    moved only by fastappkit
  cross_a   alternately Alembic, fastappkit, Alembic, ... (starts with Alembic)
  cross_f   alternately fastappkit, Alembic, ...          (starts with fastappkit)

and after EVERY command the outcome (success, or failure on both sides), the set of version
rows and the set of user tables of each database must equal the reference's. The output of
`current` (after every command), `heads` and `history` must be Alembic's too: `history` line
for line, `current` and `heads` as sets (Alembic prints them in hash order).
"""
import contextlib
import io
import os

from fastappkit_testing import (check, fail, log, new_database, popen_runner, revision as R, run_runner,
                                run_scenarios, scratch_dir, snapshot, version_rows, version_table_shape,
                                write_project)

# --------------------------------------------------------------------------------------------
# Revision descriptions (fastappkit_testing.revision) -> Alembic scripts, and Alembic's commands

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



# --------------------------------------------------------------------------------------------
# The comparison


def fk_args(command, rev, app):
    if command == "stamp_purge":
        return ["migrate", "stamp", rev, "--purge"] + (["--app", app] if app else [])
    if app is None:
        return ["migrate", command, rev]
    if command == "stamp":
        return ["migrate", "stamp", rev, "--app", app]
    return ["migrate", "app", app, command, rev]


@contextlib.contextmanager
def files_in_name_order():
    """Alembic breaks ties between branches by the order os.listdir gives the files; here they
    are listed in name order, as the runner reads them."""
    from alembic.script.base import Script
    listed = Script._list_py_dir
    Script._list_py_dir = classmethod(lambda cls, scriptdir, path: sorted(listed.__func__(cls, scriptdir, path)))
    try:
        yield
    finally:
        Script._list_py_dir = listed


def alembic_output(cfg, command):
    """Lines Alembic's `heads` / `history` print."""
    from alembic import command as commands
    with files_in_name_order():
        cfg.stdout = io.StringIO()
        getattr(commands, command)(cfg)
    return cfg.stdout.getvalue().splitlines()


def alembic_current(script, rows):
    """Lines Alembic's `current` prints for a database holding `rows` (command.current, without
    opening the database again)."""
    return [rev.cmd_format(False) for rev in script.get_all_current(tuple(rows))]


def runner_output(root, url, command, app):
    res = run_runner(["migrate", command, *(["--app", app] if app else [])], root=root, url=url)
    check(res.code == 0, f"`migrate {command}` failed: {res.err}")
    return res.out.splitlines()


def check_output(actual, expected, what, ordered):
    if not ordered:
        expected, actual = sorted(expected), sorted(actual)
    check(actual == expected, f"{what} prints {actual}, Alembic {expected}")


def run_parity(tag, revisions, commands, app=None):
    """`commands`: list of (command, revision spec). `app`: run the history as an external app
    (version table alembic_version_<app>) instead of the core one."""
    work = scratch_dir(f"parity-{tag}")
    root = os.path.join(work, "project")
    if app is None:
        write_project(root, revisions)
    else:
        write_project(root, [], apps={app: revisions})
    scripts = os.path.join(work, "alembic")
    write_alembic_scripts(scripts, revisions)
    version_table = "alembic_version" if app is None else f"alembic_version_{app}"

    names = ["alembic", "runner", "cross_a", "cross_f"]
    urls = {n: new_database(f"{tag}_{n}", work) for n in names}
    cfgs = {n: alembic_config(scripts, urls[n], version_table) for n in names}

    def apply_all(tools, command, rev):
        """Runs the command on every database with its tool: the runner's processes run while
        Alembic works in-process (different databases, so no interference). Returns, per
        database, None on success, else a description of the failure."""
        procs = {db: popen_runner(fk_args(command, rev, app), root=root, url=urls[db])
                 for db in names if tools[db] == "fastappkit"}
        outcomes = {db: alembic_run(cfgs[db], command, rev) for db in names if tools[db] == "alembic"}
        for db, proc in procs.items():
            out, err = proc.communicate(timeout=120)
            if proc.returncode == 0:
                outcomes[db] = None
                continue
            check(proc.returncode in (1, 2),
                  f"runner exit code {proc.returncode} (not 1 or 2) for {command} {rev}: {err}")
            outcomes[db] = f"exit {proc.returncode}: {err.strip()}"
        return outcomes

    for command, ordered in (("history", True), ("heads", False)):
        check_output(runner_output(root, urls["runner"], command, app), alembic_output(cfgs["alembic"], command),
                     f"`migrate {command}`", ordered)
    from alembic.script import ScriptDirectory
    with files_in_name_order():
        script = ScriptDirectory.from_config(cfgs["alembic"])
        script.revision_map.heads  # built now, in name order
    currents_checked = set()
    shape_checked = False
    for i, (command, rev) in enumerate(commands):
        tools = {"alembic": "alembic", "runner": "fastappkit",
                 "cross_a": "alembic" if i % 2 == 0 else "fastappkit",
                 "cross_f": "fastappkit" if i % 2 == 0 else "alembic"}
        outcomes = apply_all(tools, command, rev)
        raw = {db: snapshot(urls[db], version_table) for db in names}
        # Alembic creates the version table even when the command then fails; the runner
        # leaves the database alone on a bad request. A missing table reads as no rows.
        states = {db: (rows or set(), tables) for db, (rows, tables) in raw.items()}
        expected_rows, expected_tables = states["alembic"]
        step = f"step {i + 1} `{command} {rev}`"
        log(f"  {step}: alembic -> {sorted(expected_rows)}"
            + (f"  (alembic failed: {outcomes['alembic'][:120]})" if outcomes["alembic"] else ""))
        for db in names[1:]:
            who = f"{db} (moved by {tools[db]} this step)"
            if (outcomes[db] is None) != (outcomes["alembic"] is None):
                fail(f"{step}: {who} {'succeeded' if outcomes[db] is None else 'failed'} but Alembic "
                     f"{'succeeded' if outcomes['alembic'] is None else 'failed'}; "
                     f"alembic: {outcomes['alembic']}; {db}: {outcomes[db]}; "
                     f"rows alembic={sorted(expected_rows)} {db}={sorted(states[db][0])}")
            rows, tables = states[db]
            if rows != expected_rows:
                fail(f"{step}: version rows of {who} are {sorted(rows)}, Alembic's are {sorted(expected_rows)}")
            if tables != expected_tables:
                fail(f"{step}: user tables of {who} are {sorted(tables)}, Alembic's are "
                     f"{sorted(expected_tables)}")
        # Once per state (Alembic prints nothing at base; the runner says so in words).
        if expected_rows and states["runner"][0] == expected_rows and frozenset(expected_rows) not in currents_checked:
            currents_checked.add(frozenset(expected_rows))
            check_output(runner_output(root, urls["runner"], "current", app),
                         alembic_current(script, expected_rows), f"{step}: `migrate current`", ordered=False)
        if not shape_checked and raw["runner"][0] is not None and raw["alembic"][0] is not None:
            a = version_table_shape(urls["alembic"], version_table)
            f = version_table_shape(urls["runner"], version_table)
            check(a == f, f"{version_table} differs: Alembic's {a}, fastappkit's {f}")
            shape_checked = True
    check(shape_checked, "the version table was never created by both tools")
    if app is not None:
        for db in names:
            check(version_rows(urls[db], "alembic_version") in (None, set()),
                  f"{db}: the external app's history wrote into alembic_version")


# ---------------------------------------------------------------------------------------------
# Graph shapes

def linear():
    revs = [R("lin1aa"), R("lin2bb", ["lin1aa"]), R("lin3cc", ["lin2bb"]), R("lin4dd", ["lin3cc"])]
    run_parity("linear", revs, [
        ("upgrade", "+1"), ("upgrade", "+2"), ("downgrade", "-1"), ("upgrade", "head"),
        ("upgrade", "head"),                      # nothing to do
        ("downgrade", "lin2bb"), ("upgrade", "lin3"),  # unique prefix
        ("upgrade", "lin"),                       # ambiguous prefix: both refuse
        ("downgrade", "base"), ("upgrade", "lin1aa+2"), ("upgrade", "heads"),
        ("downgrade", "lin4dd-2"), ("downgrade", "-1"),
        ("stamp", "lin4dd"), ("downgrade", "lin3cc"), ("stamp", "lin1aa"), ("upgrade", "head"),
        ("downgrade", "-9"),                      # too far: both refuse
        ("upgrade", "+3"),                        # at head already: both refuse
        ("upgrade", "nosuchrev"),                 # unknown: both refuse
        ("stamp", "lin2bb"), ("upgrade", "+1"), ("downgrade", "base"),
    ])


def branch_and_merge():
    revs = [R("bm1"), R("bm2", ["bm1"]), R("bm3", ["bm2"]), R("bm4", ["bm2"]),
            R("bm5", ["bm3", "bm4"]), R("bm6", ["bm5"])]
    run_parity("branchmerge", revs, [
        ("upgrade", "bm2"), ("upgrade", "bm3"), ("upgrade", "bm4"), ("upgrade", "head"),
        ("downgrade", "-1"), ("downgrade", "-1"),  # unmerge -> bm3, bm4
        ("downgrade", "bm3"), ("upgrade", "bm4"), ("upgrade", "bm5"),
        ("downgrade", "bm4"), ("downgrade", "base"), ("upgrade", "bm3"), ("upgrade", "bm5"),
        ("stamp", "bm3"), ("stamp", "bm4"), ("upgrade", "heads"),
        ("downgrade", "bm2"), ("downgrade", "-1"), ("upgrade", "+2"),
        ("stamp", "heads"), ("downgrade", "base"),
    ])


def independent_bases():
    revs = [R("lc1", labels=["left"]), R("lc2", ["lc1"]), R("lc3", ["lc2"]),
            R("rd1", labels=["right"]), R("rd2", ["rd1"])]
    run_parity("bases", revs, [
        ("upgrade", "head"),                      # two heads: both refuse
        ("upgrade", "left@head"), ("upgrade", "right@+1"), ("downgrade", "left@-1"),
        ("upgrade", "heads"), ("downgrade", "right@base"), ("downgrade", "left@base"),
        ("upgrade", "right@head"), ("upgrade", "lc2"), ("stamp", "left@head"),
        ("downgrade", "right@-1"), ("upgrade", "left@+1"),  # left already at its head: refuse
        ("downgrade", "base"), ("stamp", "heads"), ("downgrade", "lc1"),
        ("stamp_purge", "lc2"), ("stamp", "rd1"), ("downgrade", "base"),
    ])


def depends_on_across_branches():
    revs = [R("dc1", labels=["core"]), R("dc2", ["dc1"]), R("dc3", ["dc2"]),
            R("de1", labels=["ext"], depends=["dc2"]), R("de2", ["de1"]),
            R("de3", ["de2"], depends=["dc3"])]
    run_parity("depends", revs, [
        ("upgrade", "de1"),                       # pulls in dc1, dc2; one row de1
        ("upgrade", "dc3"), ("upgrade", "heads"),  # de3 merges de2 + dc3
        ("downgrade", "-1"),                      # unmerge
        ("downgrade", "dc2"), ("downgrade", "core@base"),
        ("upgrade", "ext@head"), ("downgrade", "ext@base"), ("upgrade", "core@head"),
        ("upgrade", "ext@+1"), ("stamp", "de2"), ("downgrade", "dc1"),
        ("upgrade", "heads"), ("downgrade", "base"),
        ("upgrade", "de1"), ("upgrade", "dc3"), ("stamp", "dc2"),  # de1 depends on dc2: both rows go
        ("upgrade", "ext@head"), ("stamp", "core@head"), ("downgrade", "base"),
    ])


def depends_on_branch_label():
    """depends_on naming a branch label (Alembic resolves it to the revision carrying it)."""
    revs = [R("ql1", labels=["left"]), R("ql2", ["ql1"]), R("ql3", ["ql2"]),
            R("qr1", labels=["right"]), R("qr2", ["qr1"], depends=["left"])]
    run_parity("labeldep", revs, [
        ("upgrade", "qr2"), ("downgrade", "ql1"),  # not a valid downgrade target: both refuse
        ("upgrade", "ql1@head"), ("upgrade", "qr1@head"), ("downgrade", "ql3-1"),
        ("upgrade", "+1"),                        # two heads: both refuse
        ("upgrade", "heads"), ("downgrade", "right@-1"), ("upgrade", "ql2+1"),
        ("downgrade", "left@ql2"), ("downgrade", "base"), ("upgrade", "right@head"),
        ("downgrade", "left@base"),               # qr2 needs ql1: Alembic keeps qr1
        ("stamp", "right@head"), ("upgrade", "heads"), ("downgrade", "qr1"),
        ("stamp", "ql"),                          # ambiguous prefix: both refuse
        ("downgrade", "base"),
    ])


def redundant_dependencies():
    """Alembic's _normalize_depends_on drops only dependencies that ancestors also depend on,
    not dependencies that are ancestors: nr4's dependency on nr1 stays a down revision."""
    revs = [R("nr1"), R("nr2", ["nr1"]), R("nr3", ["nr2"]), R("nr4", ["nr3"], depends=["nr1"]),
            R("no1", labels=["o"], depends=["nr2", "nr1"]), R("no2", ["no1"], depends=["nr3"])]
    run_parity("redundant", revs, [
        ("upgrade", "nr4"), ("downgrade", "-1"),   # unmerge into nr1 + nr3, as Alembic does
        ("downgrade", "base"), ("upgrade", "no1"), ("upgrade", "heads"), ("downgrade", "nr2"),
        ("upgrade", "no2"), ("downgrade", "o@-1"), ("downgrade", "o@base"), ("upgrade", "o@head"),
        ("stamp", "nr1"), ("upgrade", "nr3"), ("downgrade", "base"), ("stamp", "no2"),
        ("stamp", "nr4"), ("downgrade", "base"),
    ])


def label_on_a_branch_that_depends():
    """A label set on a branch's second revision names its first too; a dependency's tip shows
    in `current` beside the row that depends on it."""
    revs = [R("ac1"), R("ac2", ["ac1"]), R("ax1", depends=["ac1"]), R("ax2", ["ax1"], labels=["ext"])]
    run_parity("implied", revs, [
        ("upgrade", "ax1"), ("upgrade", "ext@head"), ("upgrade", "heads"), ("downgrade", "ext@-1"),
        ("downgrade", "ac1"), ("upgrade", "ac2"), ("downgrade", "base"),
    ])


def merge_of_three():
    revs = [R("mt1"), R("mt2", ["mt1"]), R("mt3", ["mt1"]), R("mt4", ["mt1"]),
            R("mt5", ["mt2", "mt3", "mt4"]), R("mt6", ["mt5"])]
    run_parity("merge3", revs, [
        ("upgrade", "mt2"), ("upgrade", "mt3"), ("upgrade", "heads"),
        ("downgrade", "mt5"), ("downgrade", "-1"),  # unmerge into three rows
        ("downgrade", "mt3"), ("upgrade", "mt5"), ("downgrade", "mt2"), ("upgrade", "mt4"),
        ("upgrade", "+1"),                          # two heads: refuse
        ("stamp", "mt5"), ("stamp", "mt3"), ("downgrade", "base"), ("upgrade", "mt6"),
        ("downgrade", "mt4"), ("stamp", "mt1"), ("upgrade", "mt3"), ("stamp", "mt6"),
        ("downgrade", "base"),
    ])


def stamp_base():
    """`stamp base` empties the version table (Alembic: ScriptDirectory._stamp_revs, every
    head shares lineage with "base" and gets a delete-branch StampStep); `stamp <label>@base`
    removes that branch's row only."""
    revs = [R("sb1", labels=["left"]), R("sb2", ["sb1"]), R("sb3", ["sb1"]),
            R("sr1", labels=["right"])]
    run_parity("stampbase", revs, [
        ("upgrade", "sb2"), ("stamp", "base"),
        ("upgrade", "heads"), ("stamp", "right@base"), ("stamp", "left@base"),
        ("upgrade", "heads"), ("stamp", "base"),
    ])


def external_app_table():
    revs = [R("pa1"), R("pa2", ["pa1"]), R("pa3", ["pa1"]), R("pa4", ["pa2", "pa3"])]
    run_parity("appvt", revs, [
        ("upgrade", "pa2"), ("upgrade", "pa3"), ("upgrade", "head"), ("downgrade", "-1"),
        ("downgrade", "pa2"), ("stamp", "pa4"), ("downgrade", "pa1"), ("downgrade", "base"),
    ], app="payments")


if __name__ == "__main__":
    run_scenarios([
        ("linear", linear),
        ("branch + merge", branch_and_merge),
        ("two independent bases with labels", independent_bases),
        ("depends_on across branches", depends_on_across_branches),
        ("depends_on a branch label", depends_on_branch_label),
        ("redundant depends_on", redundant_dependencies),
        ("merge of three", merge_of_three),
        ("label on a branch that depends", label_on_a_branch_that_depends),
        ("external app version table", external_app_table),
        ("stamp base", stamp_base),
    ])
