// The SQLite backend of the Database interface (docs/databases.md).
#pragma once

#include <memory>

#include "db/database.h"

struct sqlite3;

namespace fastappkit {

// Opens url.sqlite_path (or ":memory:"). Read-only on a missing file opens nothing and behaves
// as an empty database, so read-only commands never create a file.
std::unique_ptr<Database> open_sqlite_database(const DatabaseUrl& url, const OpenOptions& options);

// A connection the program already has, used as it is (read_only is ignored). While the
// Database lives the connection gets the runner's busy handler and foreign_keys = ON; after,
// it has no busy handler and its foreign_keys setting as before. It is never closed.
std::unique_ptr<Database> borrow_sqlite_connection(sqlite3* connection, const OpenOptions& options);

// For a process that owns SQLite (the runner, not a program embedding the library), before any
// other SQLite call: turns off SQLite's memory statistics, which nothing reads and which take a
// global mutex on every allocation (reading a large schema makes tens of thousands of them).
void configure_sqlite_for_process();

// Copies the database file of `from` into a new file `to` with SQLite's online backup API
// (a consistent copy even while others write to `from`).
void clone_sqlite_database(const DatabaseUrl& from, const DatabaseUrl& to);

}  // namespace fastappkit
