-- checkpoint: c0000000004
-- replaces: c0000000001, c0000000002, c0000000003, c0000000004
-- message: checkpoint of 4 revisions, base to c0000000004
-- create_date: 2026-12-05T00:00:00Z

-- A fresh database runs this file in place of the revisions it replaces; a database
-- at one of them goes on through their files. Written by `fastappkit migrate squash`;
-- `fastappkit migrate check` compares it with a replay.

-- migrate:upgrade dialect:sqlite
CREATE TABLE item1 (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE item2 (id INTEGER PRIMARY KEY, name TEXT NOT NULL, previous_id INTEGER REFERENCES item1(id));
CREATE TABLE item3 (id INTEGER PRIMARY KEY, name TEXT NOT NULL, previous_id INTEGER REFERENCES item2(id));
CREATE TABLE item4 (id INTEGER PRIMARY KEY, name TEXT NOT NULL, previous_id INTEGER REFERENCES item3(id));
CREATE INDEX ix_item3_name ON item3 (name);
CREATE VIEW item_names AS SELECT name FROM item1 UNION ALL SELECT name FROM item4;

-- migrate:downgrade dialect:sqlite
DROP VIEW item_names;
DROP TABLE item4;
DROP TABLE item3;
DROP TABLE item2;
DROP TABLE item1;
