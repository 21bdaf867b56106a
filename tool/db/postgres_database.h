// The PostgreSQL backend (docs/databases.md). It lives in a plugin, fastappkit_postgresql.so,
// loaded on first use, so the runner's start-up and memory on SQLite do not pay for libpq and the
// Kerberos, LDAP and TLS libraries it brings. postgres_plugin.cpp (in the runner) loads it;
// postgres_database.cpp and postgres_admin.cpp (in the plugin) implement it.
#pragma once

#include <memory>

#include "db/database.h"

namespace fastappkit {

std::unique_ptr<Database> open_postgres_database(const DatabaseUrl& url,
                                                 const OpenOptions& options);

// Drops the database if it exists; with `create`, then creates it empty.
void reset_postgres_database(const DatabaseUrl& url, bool create);

// CREATE DATABASE to TEMPLATE from (after dropping `to`); refused while others use `from`.
void clone_postgres_database(const DatabaseUrl& from, const DatabaseUrl& to);

}  // namespace fastappkit
