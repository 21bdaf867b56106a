-- revision: 3c9a8f1e6d24
-- down_revision: b7e05d3a9f12
-- branch_labels:
-- depends_on:
-- message: add payments provider reference
-- create_date: 2026-11-08T09:00:00Z
-- lint:ignore pg-create-index-blocking payments_charge holds a few rows when this ships; later indexes use CONCURRENTLY

-- migrate:upgrade
ALTER TABLE payments_charge ADD COLUMN provider_ref TEXT;
CREATE UNIQUE INDEX payments_charge_provider_ref_idx ON payments_charge (provider_ref);

-- migrate:downgrade
DROP INDEX payments_charge_provider_ref_idx;
ALTER TABLE payments_charge DROP COLUMN provider_ref;
