-- revision: a1a1a1a1a101
-- down_revision: none
-- message: create_event
-- create_date: 2026-11-26T10:02:00Z

-- migrate:upgrade
CREATE TABLE analytics_event (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO analytics_event (id, name) VALUES (1, 'signup');

-- migrate:downgrade
DROP TABLE analytics_event;
