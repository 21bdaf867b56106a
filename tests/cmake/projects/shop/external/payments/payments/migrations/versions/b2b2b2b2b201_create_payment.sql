-- revision: b2b2b2b2b201
-- down_revision: none
-- message: create_payment
-- create_date: 2026-11-26T10:02:00Z

-- migrate:upgrade
-- Reads analytics_event: fails unless analytics was migrated first.
CREATE TABLE payment (id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL);
INSERT INTO payment (id, event_id) SELECT id, id FROM analytics_event;

-- migrate:downgrade
DROP TABLE payment;
