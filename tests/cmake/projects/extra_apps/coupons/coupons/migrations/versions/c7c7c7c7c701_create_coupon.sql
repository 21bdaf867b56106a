-- revision: c7c7c7c7c701
-- down_revision: none
-- message: create_coupon
-- create_date: 2026-11-26T10:02:00Z

-- migrate:upgrade
CREATE TABLE coupon (id INTEGER PRIMARY KEY, code TEXT NOT NULL);

-- migrate:downgrade
DROP TABLE coupon;
