// A history's versions/ directory: every *.sql file in it is one revision.
#pragma once

#include <filesystem>
#include <vector>

#include "script/migration_file.h"

namespace fastappkit {

// Headers of every *.sql file in `versions_dir`, sorted by file name; a missing directory
// is an empty history. Kept in a header index (script/header_index.h) when a cache
// directory is available.
std::vector<MigrationScript> read_script_headers(const std::filesystem::path& versions_dir);

}  // namespace fastappkit
