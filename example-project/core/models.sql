-- Declared schema of the shop's core at the head of the shared history
-- (SQLite dialect). `fastappkit migrate core -m MSG` diffs this file, followed
-- by the internal apps' models.sql in migration order, against the history.

CREATE TABLE core_setting (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE core_audit_log (
    id INTEGER PRIMARY KEY,
    actor TEXT,
    action TEXT NOT NULL,
    payload TEXT,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX core_audit_log_created_at_idx ON core_audit_log (created_at);
