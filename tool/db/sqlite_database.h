// The SQLite backend of the Database interface (docs/databases.md).
#pragma once

#include <memory>

#include "db/database.h"

namespace fastappkit {

// Opens url.sqlite_path (or ":memory:"). Read-only on a missing file opens nothing and behaves
// as an empty database, so read-only commands never create a file.
std::unique_ptr<Database> open_sqlite_database(const DatabaseUrl& url, const OpenOptions& options);

// Copies the database file of `from` into a new file `to` with SQLite's online backup API
// (a consistent copy even while others write to `from`).
void clone_sqlite_database(const DatabaseUrl& from, const DatabaseUrl& to);

}  // namespace fastappkit
