// Reading and writing a SQLite file directly in tests, beside the runner: its URL and bytes,
// one-column queries as text, and statements run as they are.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fastappkit::test_support {

// The runner's URL of a SQLite file.
inline std::string url_of(const std::filesystem::path& file) { return "sqlite:///" + file.string(); }

// The file's bytes, to tell that nothing changed it.
inline std::string bytes_of(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

// The rows of a one-column query on `db`, as text (NULL as "").
inline std::vector<std::string> query(sqlite3* db, const std::string& sql) {
    std::vector<std::string> rows;
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK) {
        while (sqlite3_step(statement) == SQLITE_ROW) {
            const auto* text = sqlite3_column_text(statement, 0);
            rows.push_back(text ? reinterpret_cast<const char*>(text) : "");
        }
    }
    sqlite3_finalize(statement);
    return rows;
}

// The same on the file, opened read-only; no rows when it cannot be opened.
inline std::vector<std::string> query(const std::filesystem::path& file, const std::string& sql) {
    sqlite3* db = nullptr;
    std::vector<std::string> rows;
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK)
        rows = query(db, sql);
    sqlite3_close(db);
    return rows;
}

// Runs `sql` on the file (created when missing); a failure fails the test.
inline void execute(const std::filesystem::path& file, const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(SQLITE_OK, sqlite3_open(file.c_str(), &db));
    ASSERT_EQ(SQLITE_OK, sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr))
        << sqlite3_errmsg(db);
    sqlite3_close(db);
}

}  // namespace fastappkit::test_support
