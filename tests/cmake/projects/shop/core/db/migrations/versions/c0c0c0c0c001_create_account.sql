-- revision: c0c0c0c0c001
-- down_revision: none
-- message: create account table
-- create_date: 2026-11-26T10:00:00Z

-- migrate:upgrade
CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT NOT NULL);

-- migrate:downgrade
DROP TABLE account;
