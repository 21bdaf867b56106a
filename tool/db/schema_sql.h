// The SQL of fastappkit's own tables. Version tables are identical to Alembic's; the same text
// is valid on SQLite and PostgreSQL, so previews print exactly what runs.
#pragma once

#include <string>

namespace fastappkit {

inline constexpr const char* kHistoryTable = "fastappkit_history";

inline std::string create_version_table_sql(const std::string& table) {
    return "CREATE TABLE " + table + " (\n    version_num VARCHAR(32) NOT NULL, \n    CONSTRAINT " +
           table + "_pkc PRIMARY KEY (version_num)\n)";
}

inline std::string create_history_table_sql() {
    return std::string("CREATE TABLE IF NOT EXISTS ") + kHistoryTable +
           " (\n    version_table VARCHAR(64) NOT NULL, \n    revision VARCHAR(32) NOT NULL, \n"
           "    direction VARCHAR(10) NOT NULL, \n    checksum VARCHAR(64) NOT NULL, \n"
           "    applied_at VARCHAR(32) NOT NULL, \n    duration_ms INTEGER NOT NULL\n)";
}

}  // namespace fastappkit
