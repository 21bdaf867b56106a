#include "runner/sql_renderer.h"

#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include "db/schema_sql.h"

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

std::string render_version_op(const std::string& t, const VersionOp& op) {
    switch (op.kind) {
        case VersionOp::Kind::insert:
            return fmt::format("INSERT INTO {} (version_num) VALUES ({})", t, literal(op.to));
        case VersionOp::Kind::remove:
            return fmt::format("DELETE FROM {0} WHERE {0}.version_num = {1}", t, literal(op.from));
        case VersionOp::Kind::update:
            return fmt::format("UPDATE {0} SET version_num={1} WHERE {0}.version_num = {2}", t,
                               literal(op.to), literal(op.from));
    }
    return {};
}

std::string render_history_insert(const HistoryRow& row) {
    return render_history_insert(row, std::to_string(row.duration_ms));
}

std::string render_history_insert(const HistoryRow& row, const std::string& duration_sql) {
    return fmt::format(
        "INSERT INTO {} (version_table, revision, direction, checksum, applied_at, duration_ms) "
        "VALUES ({}, {}, {}, {}, {}, {})",
        kHistoryTable, literal(row.version_table), literal(row.revision), literal(row.direction),
        literal(row.checksum), literal(row.applied_at),
        duration_sql.empty() ? std::to_string(row.duration_ms) : duration_sql);
}

std::string utc_timestamp() {
    using namespace std::chrono;
    auto now = system_clock::now();
    auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::time_t t = system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return fmt::format("{}.{:03}Z", buf, ms);
}

}  // namespace fastappkit
