-- revision: 6f2c9e4b1a83
-- down_revision: none
-- branch_labels:
-- depends_on:
-- message: create payments customers and charges
-- create_date: 2026-10-05T09:00:00Z

-- migrate:upgrade
-- user_id holds the host project's user id by value: a reusable app makes no
-- foreign key into a schema it does not own.
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
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX payments_charge_customer_id_idx ON payments_charge (customer_id);

-- migrate:downgrade
DROP TABLE payments_charge;
DROP TABLE payments_customer;
