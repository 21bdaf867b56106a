// Database URLs (docs/configuration.md): sqlite:///relative.db, sqlite:////abs.db,
// postgresql://...
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fastappkit {

enum class Dialect { sqlite, postgresql };

const char* to_string(Dialect dialect);  // "sqlite" / "postgresql"
// "sqlite" / "postgresql" (also "postgres"); usage_error otherwise.
Dialect parse_dialect(const std::string& name);

struct DatabaseUrl {
    Dialect dialect = Dialect::sqlite;
    std::string text;  // as given

    // sqlite: absolute path of the file, or ":memory:" for sqlite:// and sqlite:///:memory:
    std::filesystem::path sqlite_path;

    // postgresql
    std::string user;
    std::string password;
    std::string host;
    std::optional<int> port;
    std::string database;
    std::vector<std::pair<std::string, std::string>> params;  // query parameters, in order

    // The URL with every password (userinfo and password= parameter) replaced by ***.
    std::string masked() const;
    // libpq key=value connection string (values quoted as libpq requires).
    std::string libpq_conninfo() const;
};

// Parses `url`; relative SQLite paths are relative to `root`. Async and driver suffixes
// (+asyncpg, +aiosqlite, +psycopg2) are stripped. usage_error on an unsupported or malformed
// URL, with the URL masked.
DatabaseUrl parse_database_url(const std::string& url, const std::filesystem::path& root);

// Masks passwords in any text that may hold a URL (for messages from drivers).
std::string mask_passwords(const std::string& text);

}  // namespace fastappkit
