-- revision: c0c0c0c0c002
-- down_revision: c0c0c0c0c001
-- message: create blog_post table
-- create_date: 2026-11-26T10:01:00Z

-- migrate:upgrade
CREATE TABLE blog_post (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES account(id), title TEXT NOT NULL);

-- migrate:downgrade
DROP TABLE blog_post;
