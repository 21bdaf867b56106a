// Creating and dropping whole databases, for CTest fixtures (one fresh database each).
#pragma once

#include "config/database_url.h"

namespace fastappkit {

// Drops the database if it exists, then creates it empty. SQLite: deletes the file (and its
// journal files); the next connection creates it. PostgreSQL: through the maintenance
// database `postgres` with the same credentials.
void reset_database(const DatabaseUrl& url);
void drop_database(const DatabaseUrl& url);

}  // namespace fastappkit
