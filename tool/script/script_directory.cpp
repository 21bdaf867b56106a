#include "script/script_directory.h"

#include <algorithm>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "common/error.h"
#include "script/header_index.h"

namespace fastappkit {

namespace {

namespace fs = std::filesystem;

// A versions directory that cannot be listed must not read as an empty history: that would
// report "up to date" and skip every migration of it.
void require_readable_directory(const fs::path& versions_dir) {
    const std::string path = versions_dir.string();
    std::error_code ec;
    if (fs::symlink_status(versions_dir, ec).type() == fs::file_type::not_found) {
        throw usage_error(fmt::format(
            "{}: the versions directory does not exist; create it (empty for a history without "
            "migrations yet)",
            path));
    }
    const fs::file_status status = fs::status(versions_dir, ec);  // follows symbolic links
    if (status.type() == fs::file_type::not_found) {
        throw usage_error(fmt::format(
            "{}: the versions directory is a symbolic link to a missing directory", path));
    }
    if (ec)
        throw usage_error(
            fmt::format("{}: cannot read the versions directory: {}", path, ec.message()));
    if (!fs::is_directory(status)) {
        throw usage_error(fmt::format("{}: the versions directory is not a directory", path));
    }
}

// A *.sql entry that is a broken or looping symbolic link is an error, not a skipped file.
bool is_migration_file(const fs::directory_entry& entry) {
    std::error_code ec;
    const fs::file_status status = fs::status(entry.path(), ec);
    if (status.type() == fs::file_type::not_found) {
        throw usage_error(fmt::format("{}: the migration file is a symbolic link to a missing file",
                                      entry.path().string()));
    }
    if (ec) {
        throw usage_error(fmt::format("{}: cannot read the migration file: {}",
                                      entry.path().string(), ec.message()));
    }
    if (!fs::is_regular_file(status)) {
        // Named like a migration but not one (a directory x.sql): a sentence, not a skipped file.
        throw usage_error(
            fmt::format("{}: named like a migration file but not a regular file; rename or move it",
                        entry.path().string()));
    }
    return true;
}

}  // namespace

// File names are kept as plain strings: a std::filesystem::path also stores its parsed
// components, which for 10,000 files costs megabytes.
std::vector<MigrationScript> read_script_headers(const std::filesystem::path& versions_dir) {
    require_readable_directory(versions_dir);
    if (auto index_dir = header_index_dir()) return read_indexed_headers(versions_dir, *index_dir);
    std::vector<std::string> names;
    std::error_code ec;
    fs::directory_iterator it(versions_dir, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name.size() > 4 && name.compare(name.size() - 4, 4, ".sql") == 0 &&
            is_migration_file(*it)) {
            names.push_back(std::move(name));
        }
    }
    if (ec) {
        throw usage_error(fmt::format("{}: cannot read the versions directory: {}",
                                      versions_dir.string(), ec.message()));
    }
    std::sort(names.begin(), names.end());
    std::vector<MigrationScript> scripts;
    scripts.reserve(names.size());
    for (const auto& name : names)
        scripts.push_back(read_migration_file(versions_dir / name, true));
    return scripts;
}

}  // namespace fastappkit
