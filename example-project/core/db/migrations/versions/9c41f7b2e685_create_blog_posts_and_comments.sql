-- revision: 9c41f7b2e685
-- down_revision: 5e8a2d47c3f0
-- branch_labels:
-- depends_on:
-- message: create blog posts and comments
-- create_date: 2026-11-03T14:05:00Z

-- migrate:upgrade
CREATE TABLE blog_post (
    id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL REFERENCES auth_user (id),
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX blog_post_author_id_idx ON blog_post (author_id);

CREATE TABLE blog_comment (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES blog_post (id) ON DELETE CASCADE,
    author_id INTEGER NOT NULL REFERENCES auth_user (id),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX blog_comment_post_id_idx ON blog_comment (post_id);

-- migrate:downgrade
DROP TABLE blog_comment;
DROP TABLE blog_post;
