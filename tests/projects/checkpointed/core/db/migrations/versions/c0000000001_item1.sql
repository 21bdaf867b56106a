-- revision: c0000000001
-- down_revision: none
-- message: create item1

-- migrate:upgrade
CREATE TABLE item1 (id INTEGER PRIMARY KEY, name TEXT NOT NULL);

-- migrate:downgrade

DROP TABLE item1;
