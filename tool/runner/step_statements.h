// What one step sends to the database, apart from reads, locks and fences (those are the
// backend's): built here once, executed by HistoryMigrator and printed by `migrate preview`,
// so that a preview shows exactly the statements a run executes.
//
// A step in its own transaction runs
//     BEGIN; limits(); <fence>; prepare(); section; record(); COMMIT
// and a transaction:false section commits prepare() (which holds its unfinished mark) first,
// runs on its own between session_limits() and their RESET (its mark updated after each
// statement: progress_updates()), then records in a second
// transaction. A fresh history's batch (joins_batch) runs its steps in one transaction, on
// SQLite each between SAVEPOINT and RELEASE SAVEPOINT kBatchSavepoint (db/schema_sql.h:
// batch_savepoints).
#pragma once

#include <string>
#include <vector>

#include "common/timeouts.h"
#include "config/dialect.h"
#include "runner/head_maintainer.h"
#include "runner/history.h"
#include "runner/plan.h"

namespace fastappkit {

inline constexpr const char* kBatchSavepoint = "fastappkit_migration";

class StepStatements {
public:
    // Reads the step's file; throws the sentence of a missing section (check_sections').
    StepStatements(History& history, const Step& step, Dialect dialect);

    const MigrationScript& script() const { return script_; }
    const Section& section() const { return *section_; }
    const Timeouts& timeouts() const { return timeouts_; }

    // SET LOCAL lock_timeout / statement_timeout, first in the step's transaction.
    std::vector<std::string> limits() const;
    // Around a transaction:false section: its timeouts as session settings (a direct
    // connection only; the backend resets them afterwards).
    std::vector<std::string> session_limits() const;
    // After the fence: the version table when it does not exist yet, and a transaction:false
    // section's mark in fastappkit_unfinished (whose table the caller ensures).
    std::vector<std::string> prepare(bool create_version_table) const;
    // A transaction:false section's mark updated after each of its statements (autocommit),
    // as a run that completes them all makes it; empty for a transactional section.
    std::vector<std::string> progress_updates() const;
    // After the section: the version-row changes (`heads` moves past the step), the history
    // row with `duration_sql` (milliseconds, a number or the database's own expression), and a
    // transaction:false section's mark removed.
    std::vector<std::string> record(HeadMaintainer& heads, const std::string& duration_sql) const;

private:
    History& history_;
    const Step& step_;
    Dialect dialect_;
    const MigrationScript& script_;
    const Section* section_;
    Timeouts timeouts_;
    std::string mark_;  // the unfinished mark's INSERT, its time taken once
};

// Whether `next` joins a fresh history's batch whose first step has `batch` timeouts:
// transactional, with the same timeouts.
bool joins_batch(const Timeouts& batch, const StepStatements& next);

// What "-- Running ..." says of a step: Alembic's short_log ("upgrade a, b -> c"); a
// checkpoint: "checkpoint base -> c".
std::string step_title(const RevisionGraph& graph, const Step& step);

// What a step's fastappkit_history row says it did: "upgrade", "downgrade" or "checkpoint".
const char* recorded_as(const Step& step);

}  // namespace fastappkit
