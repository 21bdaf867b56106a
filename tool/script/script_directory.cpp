#include "script/script_directory.h"

#include <algorithm>
#include <string>
#include <system_error>

#include "script/header_index.h"

namespace fastappkit {

// File names are kept as plain strings: a std::filesystem::path also stores its parsed
// components, which for 10,000 files costs megabytes.
std::vector<MigrationScript> read_script_headers(const std::filesystem::path& versions_dir) {
    if (auto index_dir = header_index_dir()) return read_indexed_headers(versions_dir, *index_dir);
    std::vector<std::string> names;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(versions_dir, ec), end; !ec && it != end;
         it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name.size() > 4 && name.compare(name.size() - 4, 4, ".sql") == 0 && it->is_regular_file(ec)) {
            names.push_back(std::move(name));
        }
    }
    std::sort(names.begin(), names.end());
    std::vector<MigrationScript> scripts;
    scripts.reserve(names.size());
    for (const auto& name : names) scripts.push_back(read_migration_file(versions_dir / name, true));
    return scripts;
}

}  // namespace fastappkit
