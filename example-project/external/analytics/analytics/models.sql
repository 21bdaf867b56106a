-- Declared schema of the analytics app at its head (SQLite dialect).
-- `fastappkit migrate app analytics makemigrations` diffs it against the history.

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

CREATE TABLE analytics_daily_count (
    event_type_id INTEGER NOT NULL REFERENCES analytics_event_type (id) ON DELETE CASCADE,
    day DATE NOT NULL,
    event_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (event_type_id, day)
);
