// The PostgreSQL backend of the Database interface (DESIGN 6), built with libpqxx when
// FASTAPPKIT_WITH_POSTGRESQL is on.
#pragma once

#include <memory>

#include "db/database.h"

namespace fastappkit {

std::unique_ptr<Database> open_postgres_database(const DatabaseUrl& url, const OpenOptions& options);

}  // namespace fastappkit
