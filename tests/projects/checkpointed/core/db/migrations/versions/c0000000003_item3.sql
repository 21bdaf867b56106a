-- revision: c0000000003
-- down_revision: c0000000002
-- message: create item3

-- migrate:upgrade
CREATE TABLE item3 (id INTEGER PRIMARY KEY, name TEXT NOT NULL, previous_id INTEGER REFERENCES item2(id));
CREATE INDEX ix_item3_name ON item3 (name);

-- migrate:downgrade

DROP TABLE item3;
