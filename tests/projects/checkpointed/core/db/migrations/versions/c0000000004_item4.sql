-- revision: c0000000004
-- down_revision: c0000000003
-- message: create item4

-- migrate:upgrade
CREATE TABLE item4 (id INTEGER PRIMARY KEY, name TEXT NOT NULL, previous_id INTEGER REFERENCES item3(id));
CREATE VIEW item_names AS SELECT name FROM item1 UNION ALL SELECT name FROM item4;

-- migrate:downgrade
DROP VIEW item_names;
DROP TABLE item4;
