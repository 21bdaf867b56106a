-- revision: 27ac5b9e0f43
-- down_revision: f48b3d2e7a16
-- branch_labels:
-- depends_on:
-- message: add last login and comment approval
-- create_date: 2026-11-20T15:30:00Z

-- migrate:upgrade
ALTER TABLE auth_user ADD COLUMN last_login_at TIMESTAMP;
ALTER TABLE blog_comment ADD COLUMN is_approved BOOLEAN NOT NULL DEFAULT FALSE;

-- migrate:downgrade
ALTER TABLE blog_comment DROP COLUMN is_approved;
ALTER TABLE auth_user DROP COLUMN last_login_at;
