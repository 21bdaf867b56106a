-- revision: d4d4d4d4d401
-- down_revision: none
-- message: create_audit_log
-- create_date: 2026-11-26T10:02:00Z

-- migrate:upgrade
CREATE TABLE audit_log (id INTEGER PRIMARY KEY, entry TEXT NOT NULL);

-- migrate:downgrade
DROP TABLE audit_log;
