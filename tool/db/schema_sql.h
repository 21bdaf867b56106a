// The SQL of fastappkit's own tables, in one place: both backends and the runner write them
// with these statements, and `migrate preview` prints the same text, so a preview shows exactly
// what runs. Version tables are identical to Alembic's; the text is valid on SQLite and
// PostgreSQL. Table names and revision ids are validated before they get here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"

namespace fastappkit {

inline constexpr const char* kHistoryTable = "fastappkit_history";
// The columns of fastappkit_history, in LogEntry's order.
inline constexpr const char* kHistoryColumns =
    "version_table, revision, direction, checksum, applied_at, duration_ms";

std::string create_version_table_sql(const std::string& table);
std::string insert_version_sql(const std::string& table, const std::string& revision);
std::string delete_version_sql(const std::string& table, const std::string& revision);
std::string update_version_sql(const std::string& table, const std::string& from,
                               const std::string& to);
std::string delete_all_versions_sql(const std::string& table);
// Whether `statement`, one of the four above, writes `table`'s version rows (a backend fences
// those writes: docs/databases.md, "Behind a pooler").
bool writes_version_rows(std::string_view statement, const std::string& table);

// Holds a row while a transaction:false section runs (docs/databases.md, "Interruption").
inline constexpr const char* kUnfinishedTable = "fastappkit_unfinished";
// Its columns after version_table, revision, direction and started_at: how far the section got
// (runner/unfinished_section.h). A table an older fastappkit created lacks them; they are
// added, together, before a section is next marked.
struct ColumnDefinition {
    const char* name;
    const char* definition;  // type, NOT NULL, DEFAULT: valid on SQLite and PostgreSQL
};
inline constexpr ColumnDefinition kUnfinishedProgressColumns[] = {
    {"completed_statements", "INTEGER NOT NULL DEFAULT 0"},
    {"statement_count", "INTEGER NOT NULL DEFAULT 0"},  // 0: not recorded (an older mark)
    {"completed_line", "INTEGER NOT NULL DEFAULT 0"},
    {"next_line", "INTEGER NOT NULL DEFAULT 0"},
};
// PostgreSQL's lease locks, one row per version table (docs/databases.md, "Behind a pooler").
inline constexpr const char* kLockTable = "fastappkit_lock";

// Every fastappkit_history row's version_table, revision, direction and applied_at, in no
// particular order (applied_at orders them).
std::string select_history_times_sql();
// CREATE TABLE IF NOT EXISTS fastappkit_history (…).
std::string create_history_table_sql();
std::string insert_history_sql(const LogEntry& row);
// CREATE TABLE IF NOT EXISTS fastappkit_unfinished (…), the progress columns included.
std::string create_unfinished_table_sql();
// With `duration_sql` (an SQL expression, when not empty) in place of row.duration_ms.
std::string insert_history_sql(const LogEntry& row, const std::string& duration_sql);

// The SET statements of a migration's timeouts (PostgreSQL; SQLite has none): `local` for
// SET LOCAL in its transaction, else session settings (a transaction:false section on a
// direct connection, reset afterwards).
std::vector<std::string> timeout_sql(Dialect dialect, const Timeouts& timeouts, bool local);

// Whether a fresh history's batch (runner/step_statements.h) puts each step under a
// savepoint, so that a failing step is undone alone and the transaction goes on: SQLite. On
// PostgreSQL every subtransaction's end scans the relation cache, which a batch creating many
// tables fills (500 such migrations took 6 % longer with savepoints); there a failing step ends
// the batch, and the runner runs the steps before it again in a new one, then the failing step
// alone. Either way the steps before it commit.
bool batch_savepoints(Dialect dialect);

// Whether a fresh history's first batch creates fastappkit_history itself, after its BEGIN,
// so that a fresh database is one commit: SQLite, where one writer at a time holds the whole
// database, so the table's absence seen inside the transaction stays true until it commits.
// On PostgreSQL runners of other histories, under locks of their own, create the table too:
// one created inside a long batch would make theirs wait for it and then fail; there it is
// committed on its own first (Database::ensure_history_table), as before a run with version
// rows.
bool history_table_in_batch(Dialect dialect);

}  // namespace fastappkit
