// `migrate status`'s rules, shared by the CLI and fastappkit::Migrator::status(): for one
// history of one database, what is applied, what upgrade would run, whether a
// transaction:false section never recorded its outcome, and which applied files changed.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "db/database.h"
#include "runner/history.h"
#include "runner/unfinished_section.h"
#include "runner/verification.h"

namespace fastappkit {

// A revision upgrade would run (also what a fleet's dry run reports per database).
struct PendingRevision {
    std::string history;
    std::string revision;
    std::string message;
};

struct HistoryReport {
    std::string name;
    std::string version_table;
    std::vector<std::string> rows;      // the version rows
    std::vector<std::string> heads;     // the history's heads
    std::vector<PendingRevision> pending;  // in the order upgrade runs them
    std::size_t applied = 0;            // revisions at or below the version rows
    std::size_t revisions = 0;
    std::optional<UnfinishedSection> unfinished;  // running now, or `migrate resolve` is due
    std::vector<EditedMigration> edited;
};

// Reads only; `db` may be read-only.
HistoryReport history_report(History& history, Database& db);

}  // namespace fastappkit
