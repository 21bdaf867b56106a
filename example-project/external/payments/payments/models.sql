-- Declared schema of the payments app at its head (SQLite dialect).
-- `fastappkit migrate app payments makemigrations` diffs it against the history.

CREATE TABLE payments_customer (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL UNIQUE,
    email TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE payments_charge (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES payments_customer (id),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    currency TEXT NOT NULL DEFAULT 'EUR',
    status TEXT NOT NULL DEFAULT 'pending',
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    provider_ref TEXT
);

CREATE INDEX payments_charge_customer_id_idx ON payments_charge (customer_id);
CREATE UNIQUE INDEX payments_charge_provider_ref_idx ON payments_charge (provider_ref);

CREATE TABLE payments_refund (
    id INTEGER PRIMARY KEY,
    charge_id INTEGER NOT NULL REFERENCES payments_charge (id),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    reason TEXT,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX payments_refund_charge_id_idx ON payments_refund (charge_id);
