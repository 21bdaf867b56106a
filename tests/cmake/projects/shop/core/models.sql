-- Declared core schema (what the migrations create), compared by the migrate_check test.
CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
