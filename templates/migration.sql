-- revision: {{revision}}
-- down_revision: {{down_revision}}
-- branch_labels:
-- depends_on:
-- message: {{message}}
-- create_date: {{create_date}}

-- migrate:upgrade
{{upgrade}}
-- migrate:downgrade
{{downgrade}}
