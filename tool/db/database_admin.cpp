#include "db/database_admin.h"

#include <filesystem>

#include <fmt/format.h>

#include "common/error.h"

#ifdef FASTAPPKIT_WITH_POSTGRESQL
#include "db/postgres_plugin.h"
#endif

namespace fastappkit {

namespace {

void remove_sqlite_files(const DatabaseUrl& url) {
    if (url.sqlite_path == ":memory:") return;
    std::error_code ec;
    for (const char* suffix : {"", "-journal", "-wal", "-shm", "-fastappkit.lock"}) {
        std::filesystem::remove(url.sqlite_path.string() + suffix, ec);
        if (ec) {
            throw failure(fmt::format("Cannot remove {}{}: {}", url.sqlite_path.string(), suffix, ec.message()));
        }
    }
}

// PostgreSQL databases are created and dropped by the plugin.
void reset_server_database(const DatabaseUrl& url, bool create) {
#ifdef FASTAPPKIT_WITH_POSTGRESQL
    load_and_reset_postgres(url, create);
#else
    throw usage_error("This build of fastappkit has no PostgreSQL support; reconfigure it with "
                      "-DFASTAPPKIT_WITH_POSTGRESQL=ON to use " + url.masked() + ".");
#endif
}

}  // namespace

void reset_database(const DatabaseUrl& url) {
    if (url.dialect == Dialect::sqlite) return remove_sqlite_files(url);
    reset_server_database(url, true);
}

void drop_database(const DatabaseUrl& url) {
    if (url.dialect == Dialect::sqlite) return remove_sqlite_files(url);
    reset_server_database(url, false);
}

}  // namespace fastappkit
