// Loads the PostgreSQL plugin (see postgres_database.h) and calls into it.
#pragma once

#include <memory>

#include "db/database.h"

namespace fastappkit {

std::unique_ptr<Database> load_and_open_postgres(const DatabaseUrl& url,
                                                 const OpenOptions& options);
void load_and_reset_postgres(const DatabaseUrl& url, bool create);
void load_and_clone_postgres(const DatabaseUrl& from, const DatabaseUrl& to);

}  // namespace fastappkit
