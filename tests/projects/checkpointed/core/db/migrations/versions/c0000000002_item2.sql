-- revision: c0000000002
-- down_revision: c0000000001
-- message: create item2

-- migrate:upgrade
CREATE TABLE item2 (id INTEGER PRIMARY KEY, name TEXT NOT NULL, previous_id INTEGER REFERENCES item1(id));

-- migrate:downgrade

DROP TABLE item2;
