-- revision: b7e05d3a9f12
-- down_revision: 6f2c9e4b1a83
-- branch_labels:
-- depends_on:
-- message: add payments refunds
-- create_date: 2026-10-20T09:00:00Z

-- migrate:upgrade
CREATE TABLE payments_refund (
    id INTEGER PRIMARY KEY,
    charge_id INTEGER NOT NULL REFERENCES payments_charge (id),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    reason TEXT,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX payments_refund_charge_id_idx ON payments_refund (charge_id);

-- migrate:downgrade
DROP TABLE payments_refund;
