// A history's versions/ directory: every *.sql file in it is one revision.
#pragma once

#include <filesystem>
#include <vector>

#include "script/migration_file.h"

namespace fastappkit {

// Headers of every *.sql file in `versions_dir`, sorted by file name; kept in a header index
// (script/header_index.h) when a cache directory is available. A missing or unreadable
// directory, and a *.sql entry that is a broken or looping symbolic link, are usage errors
// naming the path: they must never read as an empty history.
std::vector<MigrationScript> read_script_headers(const std::filesystem::path& versions_dir);

}  // namespace fastappkit
