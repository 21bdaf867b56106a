#include "db/database_admin.h"

#include <algorithm>
#include <filesystem>
#include <random>

#include <fmt/format.h>

#include "common/error.h"
#include "db/sqlite_database.h"

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
            throw failure(fmt::format("Cannot remove {}{}: {}", url.sqlite_path.string(), suffix,
                                      ec.message()));
        }
    }
}

// PostgreSQL databases are created and dropped by the plugin.
void reset_server_database(const DatabaseUrl& url, [[maybe_unused]] bool create) {
#ifdef FASTAPPKIT_WITH_POSTGRESQL
    load_and_reset_postgres(url, create);
#else
    throw usage_error(
        "This build of fastappkit has no PostgreSQL support; reconfigure it with "
        "-DFASTAPPKIT_WITH_POSTGRESQL=ON to use " +
        url.masked() + ".");
#endif
}

void clone_server_database(const DatabaseUrl& from, const DatabaseUrl& to) {
#ifdef FASTAPPKIT_WITH_POSTGRESQL
    load_and_clone_postgres(from, to);
#else
    reset_server_database(to, false);  // says this build has no PostgreSQL support
    (void)from;
#endif
}

}  // namespace

void clone_database(const DatabaseUrl& from, const DatabaseUrl& to) {
    if (from.dialect != to.dialect) {
        throw usage_error(fmt::format("Cannot clone {} into {}: both must be {} databases",
                                      from.masked(), to.masked(), to_string(from.dialect)));
    }
    if (from.text == to.text ||
        (from.dialect == Dialect::sqlite && from.sqlite_path == to.sqlite_path) ||
        (from.dialect == Dialect::postgresql && from.database == to.database &&
         from.host == to.host && from.port == to.port)) {
        throw usage_error(
            fmt::format("Cannot clone {} into itself: give another --database-url", from.masked()));
    }
    if (from.dialect == Dialect::sqlite) {
        remove_sqlite_files(to);
        return clone_sqlite_database(from, to);
    }
    clone_server_database(from, to);
}

ScratchDatabase::ScratchDatabase(const DatabaseUrl& like) : url_(like) {
    if (like.dialect == Dialect::sqlite) {
        url_.text = "sqlite://";
        url_.sqlite_path = ":memory:";
    } else {
        url_.database = like.database + "_scratch_" + fmt::format("{:08x}", std::random_device{}());
        // A fleet target's schema (?schema=) exists in the target only: the scratch database
        // works in its own public schema.
        url_.params.erase(std::remove_if(url_.params.begin(), url_.params.end(),
                                         [](const auto& p) { return p.first == "schema"; }),
                          url_.params.end());
        // The URL's text names the new database too, for messages.
        const auto query = like.text.find('?');
        const auto slash = like.text.rfind("/" + like.database, query);
        if (slash != std::string::npos)
            url_.text.replace(slash + 1, like.database.size(), url_.database);
        reset_server_database(url_, true);
        server_database_ = true;
    }
    db_ = open_database(url_, OpenOptions{});
}

ScratchDatabase::~ScratchDatabase() {
    db_.reset();
    if (!server_database_) return;
    try {
        reset_server_database(url_, false);
    } catch (...) {
        // A destructor must not throw; a database left behind is named <name>_scratch_*.
    }
}

void reset_database(const DatabaseUrl& url) {
    if (url.dialect == Dialect::sqlite) return remove_sqlite_files(url);
    reset_server_database(url, true);
}

void drop_database(const DatabaseUrl& url) {
    if (url.dialect == Dialect::sqlite) return remove_sqlite_files(url);
    reset_server_database(url, false);
}

}  // namespace fastappkit
