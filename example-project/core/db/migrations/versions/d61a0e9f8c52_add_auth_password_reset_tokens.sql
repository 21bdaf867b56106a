-- revision: d61a0e9f8c52
-- down_revision: a7d2c95e1b34
-- branch_labels:
-- depends_on:
-- message: add auth password reset tokens
-- create_date: 2026-11-10T16:45:00Z

-- migrate:upgrade
ALTER TABLE auth_user ADD COLUMN email_verified_at TIMESTAMP;

CREATE TABLE auth_password_reset (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES auth_user (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);

CREATE INDEX auth_password_reset_user_id_idx ON auth_password_reset (user_id);

-- migrate:downgrade
DROP TABLE auth_password_reset;
ALTER TABLE auth_user DROP COLUMN email_verified_at;
