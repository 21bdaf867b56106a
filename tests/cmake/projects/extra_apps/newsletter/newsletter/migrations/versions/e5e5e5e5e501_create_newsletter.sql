-- revision: e5e5e5e5e501
-- down_revision: none
-- message: create_newsletter
-- create_date: 2026-11-26T10:02:00Z

-- migrate:upgrade
CREATE TABLE newsletter (id INTEGER PRIMARY KEY, subject TEXT NOT NULL);

-- migrate:downgrade
DROP TABLE newsletter;
