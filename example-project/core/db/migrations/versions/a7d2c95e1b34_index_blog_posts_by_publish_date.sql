-- revision: a7d2c95e1b34
-- down_revision: 9c41f7b2e685
-- branch_labels:
-- depends_on:
-- message: index blog posts by publish date
-- create_date: 2026-11-05T08:30:00Z

-- migrate:upgrade transaction:false
CREATE INDEX blog_post_published_at_idx ON blog_post (published_at);

-- migrate:upgrade dialect:postgresql transaction:false
-- CONCURRENTLY keeps blog_post writable while the index builds; PostgreSQL
-- refuses it inside a transaction block, hence transaction:false.
CREATE INDEX CONCURRENTLY blog_post_published_at_idx ON blog_post (published_at);

-- migrate:downgrade
DROP INDEX blog_post_published_at_idx;

-- migrate:downgrade dialect:postgresql transaction:false
DROP INDEX CONCURRENTLY blog_post_published_at_idx;
