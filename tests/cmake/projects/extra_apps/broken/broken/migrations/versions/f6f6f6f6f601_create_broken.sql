-- revision: f6f6f6f6f601
-- down_revision: none
-- message: create_broken
-- create_date: 2026-11-26T10:02:00Z

-- migrate:upgrade
CREATE TABLE broken_ok (id INTEGER PRIMARY KEY);
CREATE TABLEX broken_table (id INTEGER);

-- migrate:downgrade
DROP TABLE broken_ok;
