"""migrate drift: out-of-band changes of every kind reported once each, with SQL that reproduces
and reverts them; no drift after migrate all (example project, a generated history); the
database unchanged by the check; bad input."""
import json
import os
import shutil
import subprocess
import sys
import time
import uuid

from fastappkit_testing import BACKEND, SOURCE_DIR, CliTestCase, Project, main, migration, popen_runner

SQLITE = BACKEND == "sqlite"

# A schema with every kind of object: tables, columns with types, NOT NULL and defaults,
# indexes, unique constraints, foreign keys, a CHECK, views.
BASE = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL, name TEXT,
    CONSTRAINT customers_email_key UNIQUE (email));
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id),
    status VARCHAR(20) NOT NULL DEFAULT 'new', amount INTEGER NOT NULL DEFAULT 0, note TEXT);
CREATE INDEX orders_status_idx ON orders (status);
"""
MORE = """
CREATE TABLE items (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, sku VARCHAR(40) NOT NULL,
    qty INTEGER NOT NULL DEFAULT 1, CONSTRAINT items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id));
CREATE INDEX items_sku_idx ON items (sku);
CREATE TABLE refunds (id INTEGER PRIMARY KEY, order_id INTEGER);
CREATE TABLE legacy (id INTEGER PRIMARY KEY, payload TEXT);
CREATE VIEW open_orders AS SELECT id, customer_id FROM orders WHERE status = 'new';
CREATE VIEW customer_emails AS SELECT id, email FROM customers;
"""

# Out of band, one statement group per change, and the findings (object, kind) it must give.
PG_CHANGES = """
CREATE TABLE audit_log (id INTEGER PRIMARY KEY, msg TEXT);
DROP TABLE legacy;
DROP VIEW customer_emails;
ALTER TABLE orders ADD COLUMN shipped_at TIMESTAMP;
ALTER TABLE orders DROP COLUMN note;
ALTER TABLE orders ALTER COLUMN amount TYPE BIGINT;
ALTER TABLE customers ALTER COLUMN email TYPE VARCHAR(200);
ALTER TABLE customers ALTER COLUMN name SET NOT NULL;
ALTER TABLE items ALTER COLUMN sku DROP NOT NULL;
ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'open';
ALTER TABLE items ALTER COLUMN qty DROP DEFAULT;
ALTER TABLE refunds ALTER COLUMN order_id SET DEFAULT 0;
CREATE INDEX orders_customer_idx ON orders (customer_id);
DROP INDEX items_sku_idx;
ALTER TABLE items ADD CONSTRAINT items_sku_key UNIQUE (sku);
ALTER TABLE customers DROP CONSTRAINT customers_email_key;
ALTER TABLE refunds ADD CONSTRAINT refunds_order_fk FOREIGN KEY (order_id) REFERENCES orders (id);
ALTER TABLE items DROP CONSTRAINT items_order_fk;
ALTER TABLE items ADD CONSTRAINT items_qty_check CHECK (qty > 0);
CREATE VIEW big_orders AS SELECT id FROM orders WHERE amount > 100;
CREATE OR REPLACE VIEW open_orders AS SELECT id, customer_id FROM orders WHERE status = 'open';
"""
PG_FINDINGS = [
    ("table audit_log", "table_added"),
    ("table legacy", "table_removed"),
    ("table orders", "column_added"),
    ("table orders", "column_removed"),
    ("table orders", "column_type"),
    ("table customers", "column_type"),
    ("table customers", "column_nullability"),
    ("table items", "column_nullability"),
    ("table orders", "column_default"),
    ("table items", "column_default"),
    ("table refunds", "column_default"),
    ("table orders", "index_added"),
    ("table items", "index_removed"),
    ("table items", "unique_added"),
    ("table customers", "unique_removed"),
    ("table refunds", "foreign_key_added"),
    ("table items", "foreign_key_removed"),
    ("table items", "check_added"),
    ("view big_orders", "view_added"),
    ("view open_orders", "view_changed"),
    ("view customer_emails", "view_removed"),
]

# SQLite's ALTER TABLE adds and drops columns only: other changes rebuild the table by hand,
# as a console user would.
SQLITE_CHANGES = """
CREATE TABLE audit_log (id INTEGER PRIMARY KEY, msg TEXT);
DROP TABLE legacy;
DROP VIEW open_orders;
DROP VIEW customer_emails;
DROP TABLE orders;
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id),
    status VARCHAR(20) NOT NULL DEFAULT 'open', amount BIGINT NOT NULL DEFAULT 0, shipped_at TIMESTAMP);
CREATE INDEX orders_status_idx ON orders (status);
CREATE INDEX orders_customer_idx ON orders (customer_id);
DROP TABLE customers;
CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL, name TEXT NOT NULL);
DROP TABLE items;
CREATE TABLE items (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, sku VARCHAR(40),
    qty INTEGER NOT NULL, UNIQUE (sku), CHECK (qty > 0));
DROP TABLE refunds;
CREATE TABLE refunds (id INTEGER PRIMARY KEY, order_id INTEGER DEFAULT 0 REFERENCES orders (id));
CREATE VIEW big_orders AS SELECT id FROM orders WHERE amount > 100;
CREATE VIEW open_orders AS SELECT id, customer_id FROM orders WHERE status = 'open';
"""
SQLITE_FINDINGS = [
    ("table audit_log", "table_added"),
    ("table legacy", "table_removed"),
    ("table orders", "column_added"),
    ("table orders", "column_removed"),
    ("table orders", "column_type"),
    ("table customers", "column_type"),
    ("table customers", "column_nullability"),
    ("table items", "column_nullability"),
    ("table orders", "column_default"),
    ("table items", "column_default"),
    ("table refunds", "column_default"),
    ("table orders", "index_added"),
    ("table items", "index_removed"),
    ("table items", "unique_added"),
    ("table customers", "unique_removed"),
    ("table refunds", "foreign_key_added"),
    ("table items", "foreign_key_removed"),
    ("table items", "check_added"),
    ("view big_orders", "view_added"),
    ("view open_orders", "view_changed"),
    ("view customer_emails", "view_removed"),
]

# Keys, checks and identity, on tables of their own.
KEYS = """
CREATE TABLE payments (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL CONSTRAINT payments_amount_check
    CHECK (amount >= 0), ref VARCHAR(20));
CREATE TABLE ledger (id INTEGER NOT NULL, account INTEGER NOT NULL, entry INTEGER NOT NULL, note TEXT,
    CONSTRAINT ledger_pkey PRIMARY KEY (id), CONSTRAINT ledger_account_entry_key UNIQUE (account, entry));
"""
PG_KEY_CHANGES = """
ALTER TABLE payments DROP CONSTRAINT payments_amount_check;
ALTER TABLE payments ADD CONSTRAINT payments_ref_check CHECK (length(ref) > 2);
ALTER TABLE payments ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY;
CREATE UNIQUE INDEX payments_ref_idx ON payments (ref);
ALTER TABLE ledger DROP CONSTRAINT ledger_pkey;
ALTER TABLE ledger ADD CONSTRAINT ledger_pkey PRIMARY KEY (account, entry);
ALTER TABLE ledger DROP CONSTRAINT ledger_account_entry_key;
ALTER TABLE ledger ALTER COLUMN note TYPE VARCHAR(50);
ALTER TABLE ledger ADD COLUMN posted BOOLEAN NOT NULL DEFAULT false;
"""
SQLITE_KEY_CHANGES = """
DROP TABLE payments;
CREATE TABLE payments (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL, ref VARCHAR(20),
    CONSTRAINT payments_ref_check CHECK (length(ref) > 2));
CREATE UNIQUE INDEX payments_ref_idx ON payments (ref);
DROP TABLE ledger;
CREATE TABLE ledger (id INTEGER NOT NULL, account INTEGER NOT NULL, entry INTEGER NOT NULL, note VARCHAR(50),
    posted BOOLEAN NOT NULL DEFAULT 0, CONSTRAINT ledger_pkey PRIMARY KEY (account, entry));
"""
KEY_FINDINGS = [
    ("table payments", "check_removed"),
    ("table payments", "check_added"),
    ("table payments", "index_added"),
    ("table ledger", "primary_key"),
    ("table ledger", "unique_removed"),
    ("table ledger", "column_type"),
    ("table ledger", "column_added"),
] + ([] if SQLITE else [("table payments", "column_generation")])

# The external app's table and the changes made to it out of band.
BILLING = """
CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id),
    total INTEGER NOT NULL DEFAULT 0, memo TEXT);
CREATE INDEX invoices_customer_idx ON invoices (customer_id);
CREATE VIEW unpaid AS SELECT id FROM invoices WHERE total > 0;
"""
BILLING_CHANGES = """
ALTER TABLE invoices ADD COLUMN paid_at TIMESTAMP;
ALTER TABLE invoices DROP COLUMN memo;
DROP INDEX invoices_customer_idx;
CREATE INDEX invoices_total_idx ON invoices (total);
DROP VIEW unpaid;
CREATE TABLE scratch_notes (id INTEGER PRIMARY KEY);
"""
BILLING_FINDINGS = [
    ("table invoices", "column_added"),
    ("table invoices", "column_removed"),
    ("table invoices", "index_removed"),
    ("table invoices", "index_added"),
    ("view unpaid", "view_removed"),
]


class DriftTestCase(CliTestCase):
    def shop(self, with_billing=False):
        """Core at two revisions (customers, orders; items, refunds, legacy, views), and the
        external app billing on top when asked; everything migrated."""
        self.project.core_migration("a1a1a1a1a1a1", upgrade=BASE, downgrade="DROP TABLE orders; DROP TABLE customers;")
        self.project.core_migration("b2b2b2b2b2b2", "a1a1a1a1a1a1", upgrade=MORE, downgrade="SELECT 1;")
        if with_billing:
            self.project.external_app("billing", migrations={"c3c3c3c3c3c3": migration(
                "c3c3c3c3c3c3", upgrade=BILLING, downgrade="DROP TABLE invoices;")})
            self.project.config(apps=["billing"], app_path=["external"])
        else:
            self.project.config()
        self.ok("migrate", "all")

    def drift(self, *args, db=True):
        res = self.fk("--json", "migrate", "drift", *args, db=db)
        self.assertIn(res.code, (0, 1), repr(res))
        report = json.loads(res.out)
        self.assertEqual(report["drift"], res.code == 1, repr(res))
        return report

    def findings(self, report):
        return [(f["history"], f["object"], f["kind"]) for h in report["histories"] for f in h["findings"]]

    def file_bytes(self):
        with open(self.db.sqlite_path, "rb") as f:
            return f.read()

    def catalog(self):
        """What a write would change: the schema objects with their transaction ids, and every
        table's rows (Database.snapshot)."""
        if SQLITE:
            return self.file_bytes()
        rows = self.db.query("SELECT c.relname, c.relkind, c.xmin::text, c.relfilenode FROM pg_class c "
                             "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN "
                             "('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1")
        schemas = self.db.query("SELECT nspname FROM pg_namespace ORDER BY 1")
        return rows, schemas, self.db.snapshot()

    def scratch_databases(self):
        if SQLITE:
            return []
        return self.db.query("SELECT datname FROM pg_database WHERE datname LIKE %s", (self.db.pg_name + "%",))


class Kinds(DriftTestCase):
    def test_no_drift_after_migrate_all(self):
        self.shop(with_billing=True)
        before = self.catalog()
        res = self.ok("migrate", "drift")
        self.assertEqual(res.out, "core: no drift from the schema its 2 applied revisions build\n"
                                  "billing: no drift from the schema its 1 applied revision build\n")
        self.assertEqual(self.catalog(), before)
        self.assertEqual(self.scratch_databases(), [(self.db.pg_name,)] if not SQLITE else [])

    def test_every_kind_once_and_the_sql_reproduces_and_reverts_it(self):
        self.shop()
        self.db.execute(SQLITE_CHANGES if SQLITE else PG_CHANGES)
        before = self.catalog()
        report = self.drift()
        self.assertEqual(self.catalog(), before, "migrate drift changed the database")
        expected = SQLITE_FINDINGS if SQLITE else PG_FINDINGS
        self.assertEqual(sorted(self.findings(report)), sorted(("core",) + f for f in expected))
        lines = self.fk("migrate", "drift")
        self.assertEqual(lines.code, 1)
        for f in report["histories"][0]["findings"]:
            self.assertEqual(lines.out.count(f"drift: {f['object']}: {f['description']}\n"), 1, lines.out)
            self.assertTrue(f["reproduce_sql"] and f["revert_sql"], f)
        self.assertIn("drift: table orders: column shipped_at added (TIMESTAMP NULL) out of band\n"
                      if SQLITE else
                      "drift: table orders: column shipped_at added (timestamp without time zone NULL) out of band\n",
                      lines.out)
        self.assertIn("drift: table audit_log: added out of band (no applied migration creates it)\n", lines.out)
        self.assertIn("drift: view customer_emails: dropped out of band\n", lines.out)
        self.assertIn("drift: table items: index items_sku_idx (sku) dropped out of band\n", lines.out)
        self.assertTrue(lines.out.endswith(f"core: {len(expected)} differences from the schema its 2 applied "
                                           "revisions build\n"), lines.out)
        history = report["histories"][0]

        # The reproduce SQL turns a fresh migration of the same revisions into the live schema.
        fresh = self.database()
        self.ok("migrate", "all", db=fresh)
        fresh.execute(history["reproduce_sql"])
        self.assertEqual(sorted(self.findings(self.drift(db=fresh))), sorted(self.findings(report)))
        # The revert SQL turns the live schema back into the migrated one.
        self.db.execute(history["revert_sql"])
        res = self.ok("migrate", "drift")
        self.assertEqual(res.out, "core: no drift from the schema its 2 applied revisions build\n")

    def test_keys_checks_and_identity(self):
        self.project.core_migration("a1a1a1a1a1a1", upgrade=KEYS, downgrade="DROP TABLE ledger; DROP TABLE payments;")
        self.project.config()
        self.ok("migrate", "all")
        self.db.execute(SQLITE_KEY_CHANGES if SQLITE else PG_KEY_CHANGES)
        report = self.drift()
        self.assertEqual(sorted(self.findings(report)), sorted(("core",) + f for f in KEY_FINDINGS))
        lines = self.fk("migrate", "drift").out
        self.assertIn("drift: table ledger: primary key changed from (id) to (account, entry) out of band\n", lines)
        self.assertIn("drift: table ledger: " + ("unique constraint" if SQLITE else "unique constraint "
                      "ledger_account_entry_key") + " (account, entry) dropped out of band\n", lines)
        self.db.execute(report["histories"][0]["revert_sql"])
        self.assertEqual(self.ok("migrate", "drift").out,
                         "core: no drift from the schema its 1 applied revision build\n")

    def test_constraints_and_indexes_changed_in_place(self):
        self.shop()
        if SQLITE:
            self.db.execute("""
                DROP INDEX orders_status_idx; CREATE INDEX orders_status_idx ON orders (status, amount);
                DROP TABLE items;
                CREATE TABLE items (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, sku VARCHAR(40) NOT NULL,
                    qty INTEGER NOT NULL DEFAULT 1, CONSTRAINT items_order_fk FOREIGN KEY (order_id)
                    REFERENCES orders (id) ON DELETE CASCADE);
                CREATE INDEX items_sku_idx ON items (sku);
                DROP VIEW customer_emails;
                DROP TABLE customers;
                CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL, name TEXT,
                    CONSTRAINT customers_email_key UNIQUE (email, name));
                CREATE VIEW customer_emails AS SELECT id, email FROM customers;
            """)
        else:
            self.db.execute("""
                DROP INDEX orders_status_idx; CREATE INDEX orders_status_idx ON orders (status, amount);
                ALTER TABLE items DROP CONSTRAINT items_order_fk, ADD CONSTRAINT items_order_fk
                    FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE;
                ALTER TABLE customers DROP CONSTRAINT customers_email_key,
                    ADD CONSTRAINT customers_email_key UNIQUE (email, name);
            """)
        report = self.drift()
        # SQLite does not keep constraint names: a changed one is one dropped and one added.
        expected = [("table orders", "index_changed")] + (
            [("table items", "foreign_key_removed"), ("table items", "foreign_key_added"),
             ("table customers", "unique_removed"), ("table customers", "unique_added")] if SQLITE else
            [("table items", "foreign_key_changed"), ("table customers", "unique_changed")])
        self.assertEqual(sorted(self.findings(report)), sorted(("core",) + f for f in expected))
        lines = self.fk("migrate", "drift").out
        self.assertIn("drift: table orders: index orders_status_idx changed from (status) to (status, amount) "
                      "out of band\n", lines)
        self.assertIn("drift: table items: foreign key (order_id) -> orders (id) ON DELETE CASCADE added out of band\n"
                      if SQLITE else
                      "drift: table items: foreign key items_order_fk changed from (order_id) -> orders (id) to "
                      "(order_id) -> orders (id) ON DELETE CASCADE out of band\n", lines)
        self.db.execute(report["histories"][0]["revert_sql"])
        self.assertEqual(self.ok("migrate", "drift").out,
                         "core: no drift from the schema its 2 applied revisions build\n")

    def test_objects_belong_to_the_history_that_creates_them(self):
        self.shop(with_billing=True)
        self.db.execute(BILLING_CHANGES)
        report = self.drift()
        self.assertEqual(sorted(self.findings(report)),
                         sorted([("billing",) + f for f in BILLING_FINDINGS] +
                                [("core", "table scratch_notes", "table_added")]))
        # --app: that history only; tables no history creates are core's.
        only = self.drift("--app", "billing")
        self.assertEqual([h["history"] for h in only["histories"]], ["billing"])
        self.assertEqual(sorted(self.findings(only)), sorted(("billing",) + f for f in BILLING_FINDINGS))
        self.db.execute(only["histories"][0]["revert_sql"])
        report = self.drift()
        self.assertEqual(self.findings(report), [("core", "table scratch_notes", "table_added")])
        self.db.execute(report["histories"][0]["revert_sql"])
        self.ok("migrate", "drift")

    def test_replays_the_applied_revisions_not_the_files_heads(self):
        self.shop()
        # A revision written after the database was migrated is not part of the comparison.
        self.project.core_migration("d4d4d4d4d4d4", "b2b2b2b2b2b2", upgrade="CREATE TABLE pending_table (id INTEGER);",
                                    downgrade="DROP TABLE pending_table;")
        res = self.ok("migrate", "drift")
        self.assertEqual(res.out, "core: no drift from the schema its 2 applied revisions build\n")


class Concurrency(DriftTestCase):
    def test_a_running_migration_is_waited_for_not_reported(self):
        if SQLITE:
            self.skipTest("PostgreSQL: a migration that waits inside its transaction")
        self.shop()
        self.project.core_migration("d4d4d4d4d4d4", "b2b2b2b2b2b2", downgrade="DROP TABLE slow;",
                                    upgrade="CREATE TABLE slow (id INTEGER); SELECT pg_sleep(1.5);")
        upgrade = popen_runner(["migrate", "upgrade"], url=self.db.url, cwd=self.project.root)
        try:
            while not self.db.query("SELECT 1 FROM pg_stat_activity WHERE query LIKE '%%pg_sleep(1.5)%%' "
                                    "AND pid <> pg_backend_pid()"):
                self.assertIsNone(upgrade.poll(), "the upgrade ended before drift could start")
                time.sleep(0.02)
            res = self.fk("migrate", "drift")
        finally:
            out, err = upgrade.communicate(timeout=60)
        self.assertEqual(upgrade.returncode, 0, out + err)
        # It waited for the runner's lock, then saw the migration whole: three revisions, no drift.
        self.assertExit(res, 0)
        self.assertIn("Waiting for another fastappkit runner holding the migration lock on alembic_version",
                      res.err)
        self.assertEqual(res.out, "core: no drift from the schema its 3 applied revisions build\n")


class ScratchSchema(DriftTestCase):
    def test_a_role_that_may_not_create_databases_replays_in_a_scratch_schema(self):
        admin = os.environ.get("FASTAPPKIT_TEST_POSTGRES_ADMIN_URL", "")
        if SQLITE or not admin:
            self.skipTest("PostgreSQL, with FASTAPPKIT_TEST_POSTGRES_ADMIN_URL to create a role")
        import psycopg2
        from urllib.parse import urlsplit, urlunsplit
        self.shop()
        role = "fk_drift_" + uuid.uuid4().hex[:8]

        def admin_run(sql, database=None):
            parts = urlsplit(admin)
            url = urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, "")) if database else admin
            con = psycopg2.connect(url)
            con.autocommit = True
            try:
                con.cursor().execute(sql)
            finally:
                con.close()

        admin_run(f"CREATE ROLE {role} LOGIN NOCREATEDB PASSWORD 'pw'")
        self.addCleanup(admin_run, f"DROP ROLE {role}")
        self.addCleanup(admin_run, f"DROP OWNED BY {role}", self.db.pg_name)
        admin_run(f"GRANT CREATE ON DATABASE {self.db.pg_name} TO {role}; GRANT USAGE ON SCHEMA public TO {role}; "
                  f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}", self.db.pg_name)
        parts = urlsplit(self.db.url)
        url = urlunsplit((parts.scheme, f"{role}:pw@{parts.hostname}:{parts.port}", parts.path, parts.query, ""))
        self.db.execute("CREATE INDEX orders_amount_idx ON orders (amount)")
        res = self.fk("migrate", "drift", db=False, env={"DATABASE_URL": url})
        self.assertExit(res, 1)
        self.assertEqual(res.out.splitlines()[0], "drift: table orders: index orders_amount_idx (amount) added out of band")
        self.assertEqual(res.out.splitlines()[-1], "Note: the role may not create databases, so the revisions were "
                                                   "replayed in a scratch schema inside the database (dropped again).")
        self.assertEqual(self.db.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'fastappkit_scratch%%'"), [])


class BadInput(DriftTestCase):
    def test_unknown_app(self):
        self.shop()
        self.assertFails(["migrate", "drift", "--app", "nope"], 2, "App 'nope' is not in the apps list of ")

    def test_version_row_without_a_file(self):
        self.shop()
        self.db.execute("UPDATE alembic_version SET version_num = 'ffffffffffff';")
        versions = self.project.path("core", "db", "migrations", "versions")
        self.assertFails(["migrate", "drift"], 2,
                         f"core: the database's alembic_version names revision 'ffffffffffff', which no "
                         f"migration file in {versions} defines; drift is measured against the applied "
                         "revisions, so their files are needed")

    def test_an_unfinished_section_is_refused(self):
        self.shop()
        path = self.project.core_migration("d4d4d4d4d4d4", "b2b2b2b2b2b2", sections=[
            ("upgrade transaction:false", "CREATE TABLE half (id INTEGER); CREATE TABLE half (id INTEGER);"),
            ("downgrade", "DROP TABLE half;")])
        self.assertExit(self.fk("migrate", "upgrade"), 1)
        self.assertFails(["migrate", "drift"], 1, "core: the transaction:false upgrade section of revision "
                         f"d4d4d4d4d4d4 ({path}) started at ", "after statement 1 of 2",
                         "'fastappkit migrate resolve d4d4d4d4d4d4 --applied'")

    def test_bad_url(self):
        self.shop()
        res = self.fk("migrate", "drift", db=False, env={"DATABASE_URL": "mysql://localhost/x"})
        self.assertExit(res, 2, "mysql://localhost/x")
        self.assertOneSentence(res)

    def test_missing_sqlite_database(self):
        if not SQLITE:
            self.skipTest("a SQLite file")
        self.shop()
        missing = os.path.join(self.tmp, "missing.sqlite")
        res = self.fk("migrate", "drift", db=False, env={"DATABASE_URL": "sqlite:///" + missing})
        self.assertExit(res, 2, f"sqlite:///{missing} does not exist; check the database URL (a read-only "
                                "command never creates it)")
        self.assertOneSentence(res)
        self.assertFalse(os.path.exists(missing))


class NoFalsePositives(DriftTestCase):
    def test_example_project(self):
        shutil.rmtree(self.project.root)
        shutil.copytree(os.path.join(SOURCE_DIR, "example-project"), self.project.root,
                        ignore=lambda _, names: [n for n in names if n.startswith("build") or ".db" in n])
        self.project = Project(self.project.root)
        self.ok("migrate", "all")
        before = self.catalog()
        res = self.ok("migrate", "drift")
        self.assertEqual([line.split(":")[0] for line in res.out.splitlines()], ["core", "analytics", "payments"])
        self.assertNotIn("drift:", res.out)
        self.assertEqual(self.catalog(), before)

    def test_generated_history(self):
        # 300 revisions: 260 core and 2 apps x 20, each a table with an index (2,000 by hand:
        # TABLES=2000 bench/drift.sh).
        out = os.path.join(self.tmp, "gen")
        subprocess.run([sys.executable, os.path.join(SOURCE_DIR, "bench", "gen_project.py"), out,
                        "--core", "260", "--apps", "2", "--per-app", "20", "--no-alembic"],
                       check=True, capture_output=True)
        self.ok("migrate", "all", root=out, cwd=out)
        res = self.ok("migrate", "drift", root=out, cwd=out)
        self.assertEqual(res.out.count("no drift"), 3, res.out)
        self.assertIn("core: no drift from the schema its 260 applied revisions build\n", res.out)

    def test_database_migrated_by_alembic(self):
        # The same 20 revisions as an Alembic script directory, applied by Alembic.
        try:
            import alembic  # noqa: F401
        except ImportError:
            self.skipTest("Alembic is not installed")
        out = os.path.join(self.tmp, "gen")
        subprocess.run([sys.executable, os.path.join(SOURCE_DIR, "bench", "gen_project.py"), out,
                        "--core", "20", "--apps", "0"], check=True, capture_output=True)
        ini = os.path.join(out, "alembic", "alembic.ini")
        with open(ini) as f:
            text = f.read()
        url = "sqlite:///" + self.db.sqlite_path if SQLITE else self.db.url
        with open(ini, "w") as f:
            f.write(text.replace("sqlite:///%(here)s/alembic.db", url.replace("%", "%%")))
        subprocess.run([sys.executable, "-m", "alembic", "-c", ini, "upgrade", "head"], check=True,
                       capture_output=True)
        self.assertEqual(len(self.db.user_tables()), 20)
        res = self.ok("migrate", "drift", root=out, cwd=out)
        self.assertEqual(res.out, "core: no drift from the schema its 20 applied revisions build\n")


if __name__ == "__main__":
    main()
