// A transaction:false section runs between two transactions: one records that it started
// (a row of fastappkit_unfinished), the other records its outcome (version rows and the
// fastappkit_history row) and deletes that row. A row left behind means a runner was stopped
// (Ctrl-C, kill -9, power loss) or failed between the two, with the schema changed in an
// unknown way: the history is refused until `migrate resolve` records what the user found.
// Alembic's version tables are not touched for this.
#pragma once

#include <optional>
#include <string>

#include "db/database.h"
#include "db/schema_sql.h"
#include "runner/history.h"

namespace fastappkit {

struct UnfinishedSection {
    std::string revision;
    Direction direction = Direction::upgrade;
    std::string started_at;
};

// The statements of the two functions below (`migrate preview` prints them).
std::string section_mark_sql(const std::string& version_table, const std::string& revision,
                             Direction direction);
std::string clear_section_mark_sql(const std::string& version_table);
// In the transaction that commits before the section runs.
void mark_section_started(Database& db, const std::string& version_table,
                          const std::string& revision, Direction direction);
// In the transaction that records the section's outcome.
void clear_section_mark(Database& db, const std::string& version_table);
std::optional<UnfinishedSection> find_unfinished_section(Database& db,
                                                         const std::string& version_table);

// How to tell the runner what became of the marked section of `revision`: "run 'fastappkit
// migrate resolve REV --applied [--app NAME]' if ... or '--rolled-back' if ...".
std::string resolve_advice(const History& history, const std::string& revision);

// Under the history lock (so the row is not a live runner's): throws the sentence naming the
// revision and `migrate resolve` when a section of `history` never recorded its outcome.
void refuse_unfinished_section(Database& db, History& history);

// `fastappkit migrate resolve REV --applied|--rolled-back [--app NAME]`: records, after the
// user checked the database, that the marked section completed (version rows and a history
// row, as if it had run) or left nothing behind (the mark is dropped). Returns the mark.
UnfinishedSection resolve_unfinished_section(Database& db, History& history,
                                             const std::string& revision, bool applied);

}  // namespace fastappkit
