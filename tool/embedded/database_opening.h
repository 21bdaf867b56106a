// How the embedded front ends open a database URL: the backends this program links
// (fastappkit::postgresql is optional) and relative SQLite paths once the working directory
// is gone.
#pragma once

#include <memory>
#include <string>

#include "config/database_url.h"
#include "db/database.h"

namespace fastappkit {

std::unique_ptr<Database> open_url(const DatabaseUrl& url, const OpenOptions& options);

// Relative SQLite paths are relative to the working directory; once that directory has been
// deleted, only URLs that do not need it can be used (else Error, exit code 2).
DatabaseUrl parse_in_working_directory(const std::string& text);

}  // namespace fastappkit
