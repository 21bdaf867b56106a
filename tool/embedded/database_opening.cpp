#include "embedded/database_opening.h"

#include <filesystem>

#include <fmt/format.h>

#include "common/error.h"
#include "db/sqlite_database.h"
#include "embedded/postgres_backend.h"

namespace fastappkit {

std::unique_ptr<Database> open_url(const DatabaseUrl& url, const OpenOptions& options) {
    if (url.dialect == Dialect::sqlite) return open_sqlite_database(url, options);
    if (&fastappkit_embedded_open_postgresql == nullptr) {
        throw usage_error(
            "This program was built without PostgreSQL support; link it with "
            "fastappkit::postgresql "
            "to use " +
            url.masked() + ".");
    }
    return std::unique_ptr<Database>(fastappkit_embedded_open_postgresql(url, options));
}

DatabaseUrl parse_in_working_directory(const std::string& text) {
    std::error_code gone;
    const std::filesystem::path here = std::filesystem::current_path(gone);
    if (!gone) return parse_database_url(text, here);
    DatabaseUrl url = parse_database_url(text, "/");
    const bool relative = url.dialect == Dialect::sqlite && url.sqlite_path != ":memory:" &&
                          text.find(":////") == std::string::npos;
    if (relative) {
        throw usage_error(fmt::format(
            "Cannot open {}: its path is relative to the current directory, which no longer "
            "exists; use an absolute path (sqlite:////path/to/app.db)",
            url.masked()));
    }
    return url;
}

}  // namespace fastappkit
