#!/usr/bin/python3
"""Generate a synthetic fastappkit project for the benchmarks.

    gen_project.py OUT [--core N] [--apps K] [--per-app M] [--no-alembic]

OUT receives:

  fastappkit.toml, .env            the project (DATABASE_URL=sqlite:///bench.db)
  core/db/migrations/versions/     N linear revisions, each creating a small table + an index
  external/appKK/appKK/            K external apps with M linear revisions each
  floor/NNNNN_<rev>.sql            per migration: BEGIN; its upgrade SQL; version row; COMMIT;
  floor.sql                        those files concatenated in application order:
                                   `sqlite3 floor.db < floor.sql` is SQLite's own floor for
                                   "apply everything, one transaction per migration"
  alembic/                         the same migrations as one linear Alembic history
                                   (alembic.ini, env.py, versions/*.py), for the no-op
                                   comparison: /usr/bin/python3 -m alembic -c OUT/alembic/alembic.ini upgrade head

Python 3 standard library only. Output is deterministic: the same arguments give the same
files, revision ids included.
"""

import argparse
import hashlib
import os
import shutil
import sys
from dataclasses import dataclass

MARKER = ".bench-project"  # lets a re-run replace a directory this script made, and only that
CREATE_DATE = "2026-01-01T00:00:00Z"


@dataclass
class Migration:
    history: str        # "core" or the app name
    version_table: str  # alembic_version or alembic_version_<app>
    index: int          # 1-based position in its history
    revision: str
    down_revision: str  # "" for the first one
    table: str
    rows_table: str = ""  # --data: the one table its history's migrations add rows to

    @property
    def data(self):
        return bool(self.rows_table)

    @property
    def message(self):
        return f"add row {self.table}" if self.data else f"create {self.table}"

    @property
    def slug(self):
        return self.message.replace(" ", "_")

    def upgrade_statements(self):
        if self.data:
            create = [f"CREATE TABLE {self.rows_table} (name TEXT PRIMARY KEY)"] if self.index == 1 else []
            return create + [f"INSERT INTO {self.rows_table} (name) VALUES ('{self.table}')"]
        return [
            f"CREATE TABLE {self.table} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            f"created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
            f"CREATE INDEX {self.table}_name_idx ON {self.table} (name)",
        ]

    def downgrade_statements(self):
        if self.data:
            drop = [f"DROP TABLE {self.rows_table}"] if self.index == 1 else []
            return [f"DELETE FROM {self.rows_table} WHERE name = '{self.table}'"] + drop
        return [f"DROP INDEX {self.table}_name_idx", f"DROP TABLE {self.table}"]


def revision_id(history, index):
    return hashlib.sha1(f"{history}:{index}".encode()).hexdigest()[:12]


def make_history(history, version_table, table_prefix, count, data=False):
    width = max(4, len(str(count)))
    migrations = []
    for index in range(1, count + 1):
        migrations.append(Migration(
            history=history,
            version_table=version_table,
            index=index,
            revision=revision_id(history, index),
            down_revision=migrations[-1].revision if migrations else "",
            table=f"{table_prefix}_t{index:0{width}d}",
            rows_table=f"{table_prefix}_rows" if data else "",
        ))
    return migrations


def app_names(count):
    width = max(2, len(str(count)))
    return [f"app{number:0{width}d}" for number in range(1, count + 1)]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as file:
        file.write(text)


def sql_block(statements):
    return "".join(statement + ";\n" for statement in statements)


def migration_file_text(migration):
    return (
        f"-- revision: {migration.revision}\n"
        f"-- down_revision: {migration.down_revision or 'none'}\n"
        f"-- branch_labels:\n"
        f"-- depends_on:\n"
        f"-- message: {migration.message}\n"
        f"-- create_date: {CREATE_DATE}\n"
        f"\n"
        f"-- migrate:upgrade\n"
        f"{sql_block(migration.upgrade_statements())}"
        f"\n"
        f"-- migrate:downgrade\n"
        f"{sql_block(migration.downgrade_statements())}"
    )


def write_history(versions_dir, models_path, migrations):
    for migration in migrations:
        write(os.path.join(versions_dir, f"{migration.revision}_{migration.slug}.sql"),
              migration_file_text(migration))
    write(models_path, "".join(sql_block(m.upgrade_statements()) for m in migrations))
    os.makedirs(versions_dir, exist_ok=True)  # an empty history still has its directory


def write_project(out, core, apps):
    quoted_names = ", ".join('"' + name + '"' for name in apps)
    write(os.path.join(out, "fastappkit.toml"),
          "[tool.fastappkit]\n"
          f"apps = [{quoted_names}]\n"
          'app_path = ["external"]\n')
    write(os.path.join(out, ".env"), "DATABASE_URL=sqlite:///bench.db\n")
    write_history(os.path.join(out, "core", "db", "migrations", "versions"),
                  os.path.join(out, "core", "models.sql"), core)
    for name, migrations in apps.items():
        app_dir = os.path.join(out, "external", name, name)
        write(os.path.join(app_dir, "fastappkit.toml"),
              "[tool.fastappkit]\n"
              f'name = "{name}"\n'
              'version = "0.1.0"\n'
              'migrations = "migrations"\n'
              'models = "models.sql"\n')
        write_history(os.path.join(app_dir, "migrations", "versions"),
                      os.path.join(app_dir, "models.sql"), migrations)


def version_table_ddl(table):
    return (f"CREATE TABLE {table} (version_num VARCHAR(32) NOT NULL, "
            f"CONSTRAINT {table}_pkc PRIMARY KEY (version_num));\n")


def floor_text(migration):
    """One migration as Alembic applies it: its SQL and its version row in one transaction."""
    if migration.down_revision:
        version_sql = (f"UPDATE {migration.version_table} SET version_num='{migration.revision}' "
                       f"WHERE {migration.version_table}.version_num = '{migration.down_revision}'")
    else:
        version_sql = (f"INSERT INTO {migration.version_table} (version_num) "
                       f"VALUES ('{migration.revision}')")
    return ("BEGIN;\n" + sql_block(migration.upgrade_statements())
            + version_sql + ";\nCOMMIT;\n")


def write_floor(out, ordered):
    """floor/NNNNN_<rev>.sql per migration, and floor.sql with all of them in order."""
    width = max(5, len(str(len(ordered))))
    parts = []
    for position, migration in enumerate(ordered, start=1):
        text = floor_text(migration)
        if migration.index == 1:  # a history's version table appears before its first step
            text = version_table_ddl(migration.version_table) + text
        write(os.path.join(out, "floor", f"{position:0{width}d}_{migration.revision}.sql"), text)
        parts.append(text)
    write(os.path.join(out, "floor.sql"), "".join(parts))


def write_dbmate(out, ordered):
    """dbmate/NNNNN_<slug>.sql: the same migrations in dbmate's format, in application order."""
    width = max(5, len(str(len(ordered))))
    for position, migration in enumerate(ordered, start=1):
        write(os.path.join(out, "dbmate", f"{position:0{width}d}_{migration.slug}.sql"),
              "-- migrate:up\n" + sql_block(migration.upgrade_statements())
              + "\n-- migrate:down\n" + sql_block(migration.downgrade_statements()))


ALEMBIC_INI = """\
[alembic]
script_location = %(here)s
sqlalchemy.url = sqlite:///%(here)s/alembic.db
"""

ALEMBIC_ENV = '''\
"""Minimal env.py: one connection, one transaction per migration (as fastappkit does)."""
from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine = engine_from_config(config.get_section(config.config_ini_section),
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''


def alembic_script_text(migration, down_revision):
    def calls(statements):
        return "".join(f"    op.execute({statement!r})\n" for statement in statements)
    return (
        f'"""{migration.message}\n\nRevision ID: {migration.revision}\n'
        f'Revises: {down_revision or ""}\nCreate Date: {CREATE_DATE}\n"""\n'
        "from alembic import op\n\n"
        f"revision = {migration.revision!r}\n"
        f"down_revision = {down_revision or None!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
        "def upgrade():\n" + calls(migration.upgrade_statements()) + "\n\n"
        "def downgrade():\n" + calls(migration.downgrade_statements())
    )


def write_alembic(out, ordered):
    """Every migration, in application order, as one linear Alembic history."""
    alembic_dir = os.path.join(out, "alembic")
    write(os.path.join(alembic_dir, "alembic.ini"), ALEMBIC_INI)
    write(os.path.join(alembic_dir, "env.py"), ALEMBIC_ENV)
    os.makedirs(os.path.join(alembic_dir, "versions"), exist_ok=True)
    previous = ""
    for migration in ordered:
        write(os.path.join(alembic_dir, "versions", f"{migration.revision}_{migration.slug}.py"),
              alembic_script_text(migration, previous))
        previous = migration.revision


def prepare_output(out):
    if os.path.exists(out):
        if os.listdir(out) and not os.path.exists(os.path.join(out, MARKER)):
            sys.exit(f"gen_project.py: {out} exists and was not made by this script; "
                     "choose another directory")
        shutil.rmtree(out)
    os.makedirs(out)
    write(os.path.join(out, MARKER), "generated by bench/gen_project.py\n")


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="directory to (re)create")
    parser.add_argument("--core", type=int, default=500, metavar="N",
                        help="linear core migrations (default 500)")
    parser.add_argument("--apps", type=int, default=20, metavar="K",
                        help="external apps (default 20)")
    parser.add_argument("--per-app", type=int, default=25, metavar="M",
                        help="migrations per external app (default 25)")
    parser.add_argument("--data", action="store_true",
                        help="migrations add a row each to one table per history, instead of "
                             "creating a table and an index: the schema stays small")
    parser.add_argument("--dbmate", action="store_true",
                        help="also write the migrations for dbmate (dbmate/)")
    parser.add_argument("--no-alembic", action="store_true",
                        help="skip the Alembic copy of the project")
    arguments = parser.parse_args()
    for name in ("core", "apps", "per_app"):
        if getattr(arguments, name) < 0:
            parser.error(f"--{name.replace('_', '-')} must not be negative")
    return arguments


def main():
    arguments = parse_arguments()
    core = make_history("core", "alembic_version", "core", arguments.core, arguments.data)
    apps = {name: make_history(name, f"alembic_version_{name}", name, arguments.per_app,
                               arguments.data)
            for name in app_names(arguments.apps)}
    ordered = core + [migration for migrations in apps.values() for migration in migrations]
    revisions = [migration.revision for migration in ordered]
    if len(set(revisions)) != len(revisions):
        sys.exit("gen_project.py: revision id collision; change the id scheme")

    prepare_output(arguments.out)
    write_project(arguments.out, core, apps)
    write_floor(arguments.out, ordered)
    if not arguments.no_alembic:
        write_alembic(arguments.out, ordered)
    if arguments.dbmate:
        write_dbmate(arguments.out, ordered)
    print(f"{arguments.out}: {len(core)} core + {len(apps)} apps x {arguments.per_app} "
          f"= {len(ordered)} migrations")


if __name__ == "__main__":
    main()
