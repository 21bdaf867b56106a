// Renders the runner's own statements (version rows, history rows). Identifiers and revision
// ids are validated before they get here, so plain quoting is safe; the same text runs online
// and is printed by `migrate preview`.
#pragma once

#include <string>

#include "db/database.h"
#include "runner/head_maintainer.h"

namespace fastappkit {

std::string render_version_op(const std::string& version_table, const VersionOp& op);
std::string render_history_insert(const HistoryRow& row);
// With `duration_sql` (an SQL expression, when not empty) instead of row.duration_ms.
std::string render_history_insert(const HistoryRow& row, const std::string& duration_sql);

// Current UTC time as ISO 8601 with milliseconds, e.g. 2026-11-26T10:00:00.123Z.
std::string utc_timestamp();

}  // namespace fastappkit
