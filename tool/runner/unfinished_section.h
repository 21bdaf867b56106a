// A transaction:false section runs between two transactions: one records that it started
// (a row of fastappkit_unfinished), the other records its outcome (version rows and the
// fastappkit_history row) and deletes that row. In between, the row is updated after each
// statement that completes, so that it says how far the section got. A row left behind means a
// runner was stopped (Ctrl-C, kill -9, power loss) or failed between the two, with the schema
// changed in part: the history is refused until `migrate resolve` records what the user found.
// Alembic's version tables are not touched for this.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "db/database.h"
#include "db/schema_sql.h"
#include "runner/history.h"
#include "script/migration_file.h"

namespace fastappkit {

// How far a transaction:false section got, as its mark records it.
struct SectionProgress {
    int completed = 0;       // statements completed
    int statements = 0;      // the section's; 0 when not recorded (an older fastappkit's mark)
    int completed_line = 0;  // the last completed statement's line; 0 before the first
    int next_line = 0;       // the line of the statement after it; 0 after the last
    bool known() const { return statements > 0; }
};

struct UnfinishedSection {
    std::string revision;
    Direction direction = Direction::upgrade;
    std::string started_at;
    SectionProgress progress;
};

// fastappkit_unfinished with its progress columns (added to a table an older fastappkit
// created), in the open transaction; safe when runners race.
void ensure_unfinished_table(Database& db);
// The progress a mark records before the section runs: no statement completed yet.
SectionProgress progress_before(const Section& section);
// The statements of mark_section_started() and clear_section_mark(), once the table is
// ensured (`migrate preview` prints them too).
std::string section_mark_sql(const std::string& version_table, const std::string& revision,
                             Direction direction, const Section& section);
std::string clear_section_mark_sql(const std::string& version_table);
// The update of the mark after a statement completed (SectionProgressRecorder), and the ones a
// section's run makes when every statement completes, as the backends count them.
std::string progress_update_sql(const std::string& version_table, const SectionProgress& progress);
std::vector<std::string> expected_progress_updates(const std::string& version_table,
                                                   const Section& section);
// In the transaction that commits before the section runs (adding the progress columns to a
// table an older fastappkit created). Returns the progress it recorded: no statement completed.
SectionProgress mark_section_started(Database& db, const std::string& version_table,
                                     const std::string& revision, Direction direction,
                                     const Section& section);
// In the transaction that records the section's outcome.
void clear_section_mark(Database& db, const std::string& version_table);
std::optional<UnfinishedSection> find_unfinished_section(Database& db,
                                                         const std::string& version_table);

// Keeps the mark of a running section up to date: completed() (as execute_outside_transaction's
// callback) updates it after each statement, in a statement of its own (autocommit). An update
// that fails is remembered, not thrown: the section runs on, and its outcome is not hidden.
class SectionProgressRecorder {
public:
    SectionProgressRecorder(Database& db, std::string version_table, SectionProgress before)
        : db_(db), version_table_(std::move(version_table)), progress_(before) {}
    void completed(const CompletedStatement& statement) noexcept;
    StatementCompleted callback() {
        return [this](const CompletedStatement& statement) { completed(statement); };
    }
    // As far as the runner saw; the mark says as much unless update_failure() is set.
    const SectionProgress& progress() const { return progress_; }
    // Why the last update of the mark failed; empty when it did not.
    const std::string& update_failure() const { return update_failure_; }

private:
    Database& db_;
    std::string version_table_;
    SectionProgress progress_;
    std::string update_failure_;
};

// "statement 2 of 3 (line 14) completed", "none of its 3 statements completed"; empty when
// the progress is not known.
std::string completed_statements(const SectionProgress& progress);

// For a section stopped by a failing statement: "statements 1 to 2 of 3 (the last at line 14)
// completed and stay, and fastappkit_unfinished marks it as started". `run` null: not known.
std::string what_a_failed_section_left(const SectionProgressRecorder* run);

// How to tell the runner what became of the marked section of `revision`: "run 'fastappkit
// migrate resolve REV --applied [--app NAME]' if ... or '--rolled-back' if ...", naming the
// statements to finish or undo when the progress is known.
std::string resolve_advice(const History& history, const std::string& revision,
                           const SectionProgress& progress = {});

// Under the history lock (so the row is not a live runner's): throws the sentence naming the
// revision, how far its section got, and `migrate resolve` when a section of `history` never
// recorded its outcome.
void refuse_unfinished_section(Database& db, History& history);

// `fastappkit migrate resolve REV --applied|--rolled-back [--app NAME]`: records, after the
// user checked the database, that the marked section completed (version rows and a history
// row, as if it had run) or left nothing behind (the mark is dropped). Returns the mark.
UnfinishedSection resolve_unfinished_section(Database& db, History& history,
                                             const std::string& revision, bool applied);

}  // namespace fastappkit
