#include "db/database_admin.h"

#include <filesystem>

#include <fmt/format.h>

#include "common/error.h"

#ifdef FASTAPPKIT_WITH_POSTGRESQL
#include <pqxx/pqxx>
#endif

namespace fastappkit {

namespace {

void remove_sqlite_files(const DatabaseUrl& url) {
    if (url.sqlite_path == ":memory:") return;
    std::error_code ec;
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
        std::filesystem::remove(url.sqlite_path.string() + suffix, ec);
        if (ec) {
            throw failure(fmt::format("Cannot remove {}{}: {}", url.sqlite_path.string(), suffix, ec.message()));
        }
    }
}

#ifdef FASTAPPKIT_WITH_POSTGRESQL
// Runs `sql` on the maintenance database of `url`'s server.
void run_on_server(const DatabaseUrl& url, const std::vector<std::string>& statements) {
    DatabaseUrl maintenance = url;
    maintenance.database = "postgres";
    try {
        pqxx::connection connection(maintenance.libpq_conninfo());
        pqxx::nontransaction work(connection);
        for (const auto& sql : statements) work.exec(sql);
    } catch (const std::exception& e) {
        std::string message = mask_passwords(e.what());
        while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
        throw failure(fmt::format("Cannot reset database {}: {}", url.masked(), message));
    }
}

std::string quoted_identifier(const std::string& name) {
    std::string out = "\"";
    for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}
#endif

}  // namespace

void reset_database(const DatabaseUrl& url) {
    if (url.dialect == Dialect::sqlite) return remove_sqlite_files(url);
#ifdef FASTAPPKIT_WITH_POSTGRESQL
    const auto name = quoted_identifier(url.database);
    run_on_server(url, {"DROP DATABASE IF EXISTS " + name + " WITH (FORCE)", "CREATE DATABASE " + name});
#endif
}

void drop_database(const DatabaseUrl& url) {
    if (url.dialect == Dialect::sqlite) return remove_sqlite_files(url);
#ifdef FASTAPPKIT_WITH_POSTGRESQL
    run_on_server(url, {"DROP DATABASE IF EXISTS " + quoted_identifier(url.database) + " WITH (FORCE)"});
#endif
}

}  // namespace fastappkit
