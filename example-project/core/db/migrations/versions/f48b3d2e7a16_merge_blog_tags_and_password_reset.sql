-- revision: f48b3d2e7a16
-- down_revision: e2f7c4a61b08, d61a0e9f8c52
-- branch_labels:
-- depends_on:
-- message: merge blog tags and password reset
-- create_date: 2026-11-13T09:00:00Z

-- migrate:upgrade

-- migrate:downgrade
