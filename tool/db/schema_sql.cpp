#include "db/schema_sql.h"

#include <fmt/format.h>

namespace fastappkit {

namespace {

// Single-quoted SQL literal.
std::string literal(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') out += '\'';
        out += c;
    }
    return out + "'";
}

}  // namespace

std::string create_version_table_sql(const std::string& table) {
    return fmt::format(
        "CREATE TABLE {0} (\n    version_num VARCHAR(32) NOT NULL, \n"
        "    CONSTRAINT {0}_pkc PRIMARY KEY (version_num)\n)",
        table);
}

std::string insert_version_sql(const std::string& table, const std::string& revision) {
    return fmt::format("INSERT INTO {} (version_num) VALUES ({})", table, literal(revision));
}

std::string delete_version_sql(const std::string& table, const std::string& revision) {
    return fmt::format("DELETE FROM {0} WHERE {0}.version_num = {1}", table, literal(revision));
}

std::string update_version_sql(const std::string& table, const std::string& from,
                               const std::string& to) {
    return fmt::format("UPDATE {0} SET version_num={1} WHERE {0}.version_num = {2}", table,
                       literal(to), literal(from));
}

std::string delete_all_versions_sql(const std::string& table) {
    return fmt::format("DELETE FROM {}", table);
}

bool writes_version_rows(std::string_view statement, const std::string& table) {
    auto starts = [&](std::string_view head) {
        return statement.size() > head.size() + table.size() &&
               statement.substr(0, head.size()) == head &&
               statement.substr(head.size(), table.size()) == table &&
               statement[head.size() + table.size()] == ' ';
    };
    return starts("INSERT INTO ") || starts("DELETE FROM ") || starts("UPDATE ");
}

std::string select_history_times_sql() {
    return fmt::format("SELECT version_table, revision, direction, applied_at FROM {}",
                       kHistoryTable);
}

std::string create_history_table_sql() {
    return fmt::format(
        "CREATE TABLE IF NOT EXISTS {} (\n    version_table VARCHAR(64) NOT NULL, \n"
        "    revision VARCHAR(32) NOT NULL, \n    direction VARCHAR(10) NOT NULL, \n"
        "    checksum VARCHAR(64) NOT NULL, \n    applied_at VARCHAR(32) NOT NULL, \n"
        "    duration_ms INTEGER NOT NULL\n)",
        kHistoryTable);
}

std::string insert_history_sql(const LogEntry& row) {
    return insert_history_sql(row, std::to_string(row.duration_ms));
}

std::string insert_history_sql(const LogEntry& row, const std::string& duration_sql) {
    return fmt::format("INSERT INTO {} ({}) VALUES ({}, {}, {}, {}, {}, {})", kHistoryTable,
                       kHistoryColumns, literal(row.version_table), literal(row.revision),
                       literal(row.direction), literal(row.checksum), literal(row.applied_at),
                       duration_sql.empty() ? std::to_string(row.duration_ms) : duration_sql);
}

std::string create_unfinished_table_sql() {
    std::string progress;
    for (const auto& column : kUnfinishedProgressColumns)
        progress += fmt::format(", {} {}", column.name, column.definition);
    return fmt::format(
        "CREATE TABLE IF NOT EXISTS {} (version_table VARCHAR(64) NOT NULL, revision VARCHAR(32) "
        "NOT NULL, direction VARCHAR(10) NOT NULL, started_at VARCHAR(32) NOT NULL{})",
        kUnfinishedTable, progress);
}

std::vector<std::string> timeout_sql(Dialect dialect, const Timeouts& timeouts, bool local) {
    std::vector<std::string> statements;
    if (dialect != Dialect::postgresql) return statements;
    const char* scope = local ? "LOCAL " : "";
    if (timeouts.lock_timeout) {
        statements.push_back(
            fmt::format("SET {}lock_timeout = '{}'", scope, duration_text(*timeouts.lock_timeout)));
    }
    if (timeouts.statement_timeout) {
        statements.push_back(fmt::format("SET {}statement_timeout = '{}'", scope,
                                         duration_text(*timeouts.statement_timeout)));
    }
    return statements;
}

bool batch_savepoints(Dialect dialect) { return dialect == Dialect::sqlite; }

bool history_table_in_batch(Dialect dialect) { return dialect == Dialect::sqlite; }

}  // namespace fastappkit
