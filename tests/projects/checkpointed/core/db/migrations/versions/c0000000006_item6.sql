-- revision: c0000000006
-- down_revision: c0000000005
-- message: create item6

-- migrate:upgrade
CREATE TABLE item6 (id INTEGER PRIMARY KEY, name TEXT NOT NULL, previous_id INTEGER REFERENCES item5(id));

-- migrate:downgrade

DROP TABLE item6;
