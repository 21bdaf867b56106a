-- revision: 8d3b6f0a2c71
-- down_revision: 4a1e7c2d9b50
-- branch_labels:
-- depends_on:
-- message: add analytics daily counts
-- create_date: 2026-10-15T12:00:00Z

-- migrate:upgrade
CREATE TABLE analytics_daily_count (
    event_type_id INTEGER NOT NULL REFERENCES analytics_event_type (id) ON DELETE CASCADE,
    day DATE NOT NULL,
    event_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (event_type_id, day)
);

-- migrate:downgrade
DROP TABLE analytics_daily_count;
