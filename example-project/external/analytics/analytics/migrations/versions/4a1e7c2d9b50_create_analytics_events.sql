-- revision: 4a1e7c2d9b50
-- down_revision: none
-- branch_labels:
-- depends_on:
-- message: create analytics events
-- create_date: 2026-10-01T12:00:00Z

-- migrate:upgrade
CREATE TABLE analytics_event_type (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT
);

CREATE TABLE analytics_event (
    id INTEGER PRIMARY KEY,
    event_type_id INTEGER NOT NULL REFERENCES analytics_event_type (id),
    occurred_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    subject TEXT,
    properties TEXT
);

CREATE INDEX analytics_event_type_occurred_idx ON analytics_event (event_type_id, occurred_at);

-- migrate:downgrade
DROP TABLE analytics_event;
DROP TABLE analytics_event_type;
