#include "script/script_directory.h"

#include <algorithm>
#include <system_error>

namespace fastappkit {

std::vector<MigrationScript> read_script_headers(const std::filesystem::path& versions_dir) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(versions_dir, ec), end; !ec && it != end;
         it.increment(ec)) {
        if (it->path().extension() == ".sql" && it->is_regular_file(ec)) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    std::vector<MigrationScript> scripts;
    scripts.reserve(files.size());
    for (const auto& file : files) scripts.push_back(read_migration_file(file, true));
    return scripts;
}

}  // namespace fastappkit
