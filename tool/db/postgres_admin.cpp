// CREATE / DROP DATABASE for test fixtures, through the server's maintenance database.
#include <string>
#include <vector>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "common/error.h"
#include "db/postgres_database.h"

namespace fastappkit {

namespace {

std::string quoted_identifier(const std::string& name) {
    std::string out = "\"";
    for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

}  // namespace

void reset_postgres_database(const DatabaseUrl& url, bool create) {
    DatabaseUrl maintenance = url;
    maintenance.database = "postgres";
    const auto name = quoted_identifier(url.database);
    std::vector<std::string> statements{"DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"};
    if (create) statements.push_back("CREATE DATABASE " + name);
    try {
        pqxx::connection connection(maintenance.libpq_conninfo());
        pqxx::nontransaction work(connection);
        for (const auto& sql : statements) work.exec(sql);
    } catch (const std::exception& e) {
        std::string message = mask_passwords(e.what());
        while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
        throw failure(fmt::format("Cannot {} database {}: {}", create ? "reset" : "drop", url.masked(), message));
    }
}

}  // namespace fastappkit
