-- revision: c0000000005
-- down_revision: c0000000004
-- message: create item5

-- migrate:upgrade
CREATE TABLE item5 (id INTEGER PRIMARY KEY, name TEXT NOT NULL, previous_id INTEGER REFERENCES item4(id));

-- migrate:downgrade

DROP TABLE item5;
