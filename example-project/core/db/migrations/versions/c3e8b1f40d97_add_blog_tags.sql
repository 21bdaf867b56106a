-- revision: c3e8b1f40d97
-- down_revision: a7d2c95e1b34
-- branch_labels:
-- depends_on:
-- message: add blog tags
-- create_date: 2026-11-10T11:20:00Z

-- migrate:upgrade
CREATE TABLE blog_tag (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    slug TEXT NOT NULL UNIQUE
);

CREATE TABLE blog_post_tag (
    post_id INTEGER NOT NULL REFERENCES blog_post (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES blog_tag (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, tag_id)
);

CREATE INDEX blog_post_tag_tag_id_idx ON blog_post_tag (tag_id);

-- migrate:downgrade
DROP TABLE blog_post_tag;
DROP TABLE blog_tag;
