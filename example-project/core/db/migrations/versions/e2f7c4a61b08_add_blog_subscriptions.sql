-- revision: e2f7c4a61b08
-- down_revision: c3e8b1f40d97
-- branch_labels:
-- depends_on: d61a0e9f8c52
-- message: add blog subscriptions
-- create_date: 2026-11-12T10:00:00Z

-- migrate:upgrade
CREATE TABLE blog_subscription (
    post_id INTEGER NOT NULL REFERENCES blog_post (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES auth_user (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (post_id, user_id)
);

CREATE INDEX blog_subscription_user_id_idx ON blog_subscription (user_id);

-- Authors with a verified e-mail address follow the comments on their own
-- posts. auth_user.email_verified_at comes from the password-reset branch
-- (d61a0e9f8c52), hence depends_on.
INSERT INTO blog_subscription (post_id, user_id)
SELECT blog_post.id, blog_post.author_id
FROM blog_post
JOIN auth_user ON auth_user.id = blog_post.author_id
WHERE auth_user.email_verified_at IS NOT NULL;

-- migrate:downgrade
DROP TABLE blog_subscription;
