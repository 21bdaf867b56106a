-- Declared schema of the internal app `blog` (SQLite dialect). It refers to
-- auth_user, which is why `auth` comes before `blog` in migration.order.

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
CREATE INDEX blog_post_published_at_idx ON blog_post (published_at);

CREATE TABLE blog_comment (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES blog_post (id) ON DELETE CASCADE,
    author_id INTEGER NOT NULL REFERENCES auth_user (id),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    is_approved BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE INDEX blog_comment_post_id_idx ON blog_comment (post_id);

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

CREATE TABLE blog_subscription (
    post_id INTEGER NOT NULL REFERENCES blog_post (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES auth_user (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (post_id, user_id)
);

CREATE INDEX blog_subscription_user_id_idx ON blog_subscription (user_id);
