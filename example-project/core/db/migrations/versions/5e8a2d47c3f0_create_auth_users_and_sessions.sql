-- revision: 5e8a2d47c3f0
-- down_revision: 0b3f6c1d9a21
-- branch_labels:
-- depends_on:
-- message: create auth users and sessions
-- create_date: 2026-11-02T09:40:00Z

-- migrate:upgrade
CREATE TABLE auth_user (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE auth_session (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES auth_user (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at TIMESTAMP NOT NULL
);

CREATE INDEX auth_session_user_id_idx ON auth_session (user_id);

-- migrate:downgrade
DROP TABLE auth_session;
DROP TABLE auth_user;
