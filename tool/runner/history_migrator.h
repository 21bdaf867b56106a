// Moves one history of one database: upgrade, downgrade, stamp, and the SQL a preview prints.
// One transaction per migration holding its version-row and history-row changes; the
// current heads are re-read inside each transaction so concurrent runners never apply a
// revision twice. A history with no version rows (a fresh database) is upgraded in batches
// instead: one transaction holds consecutive migrations, each under a savepoint.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "db/database.h"
#include "runner/head_maintainer.h"
#include "runner/history.h"
#include "runner/plan.h"
#include "runner/progress.h"
#include "runner/run_error.h"
#include "runner/step_statements.h"

namespace fastappkit {

class SectionProgressRecorder;

struct MigrationResult {
    std::vector<AppliedStep> applied;  // steps run, in order (each also went to Progress)
    std::vector<std::string> heads;    // version rows afterwards
};

class HistoryMigrator {
public:
    HistoryMigrator(History& history, Database& db, Progress& progress)
        : history_(history), db_(db), progress_(progress) {}

    // How the runner waits before trying again a migration its lock timeout stopped
    // (std::this_thread::sleep_for unless set): tests record the waits instead.
    void set_sleep(std::function<void(std::chrono::milliseconds)> sleep) {
        sleep_ = std::move(sleep);
    }

    std::vector<std::string> current() { return db_.read_versions(history_.version_table()); }

    // The version rows now, and the steps `upgrade`/`downgrade` to `target` would run, with
    // their files checked; changes nothing and takes no lock.
    struct Pending {
        std::vector<std::string> heads;
        std::vector<Step> steps;
    };
    Pending pending(Direction direction, const std::string& target);

    // Check the files first with pending(): these run what they find. A failing step throws
    // RunError carrying the steps applied before it.
    MigrationResult upgrade(const std::string& target);
    MigrationResult downgrade(const std::string& target);
    // Rewrites the version rows to `target` without running migrations (no history rows).
    std::vector<std::string> stamp(const std::string& target, bool purge);
    // The statements upgrade/downgrade would run now; changes nothing.
    std::string preview(Direction direction, const std::string& target);

private:
    MigrationResult run(Direction direction, const std::string& target);
    std::vector<Step> plan(Direction direction, const RevisionGraph::Nodes& heads,
                           const std::string& target);
    void check_sections(const std::vector<Step>& steps);
    // The applied step, or nothing when another runner moved the heads first (plan again).
    std::optional<AppliedStep> run_step(const Step& step, HeadMaintainer& heads);
    // run_step, run again (lock_retries times, with growing waits) while it hits its lock timeout.
    std::optional<AppliedStep> run_step_with_retries(const Step& step, HeadMaintainer& heads);
    // Waits before attempt `attempt` + 1 of `step`, stopped by its lock timeout; throws once
    // the retries are used up.
    void wait_to_retry(const Step& step, int attempt, const std::string& where,
                       const std::string& statement);
    // A fresh history: from steps[next], runs consecutive transactional steps with the same
    // timeouts (a transaction:false step runs alone, as run_step does) in one transaction,
    // each under a savepoint, up to steps[end] at most. A failing step is rolled back to its
    // savepoint, the steps before it commit, and its error is thrown. Advances `next` past
    // the committed steps and adds them to `applied`; false when another runner moved the
    // heads first (plan again).
    bool run_batch(const std::vector<Step>& steps, size_t& next, size_t end, HeadMaintainer& heads,
                   std::vector<AppliedStep>& applied);
    // run_batch, run again from the step that hit its lock timeout (with growing waits).
    bool run_batch_with_retries(const std::vector<Step>& steps, size_t& next, HeadMaintainer& heads,
                                std::vector<AppliedStep>& applied);
    // Undoes the open transaction's work since `savepoint`; false when the transaction is gone.
    bool rolled_back_to(const std::string& savepoint);
    bool batch_lost(const std::vector<Step>& steps, size_t& next, size_t at, HeadMaintainer& heads,
                    std::vector<AppliedStep>& applied);
    bool heads_moved(const HeadMaintainer& heads);
    std::optional<AppliedStep> run_step_at_once(const StepStatements& st, const Step& step,
                                                HeadMaintainer& heads);
    void execute_section(const Step& step, const Section& section);
    // `outside`: how far a transaction:false section got before `error`.
    [[noreturn]] void statement_failed(const Step& step, const Section& section,
                                       const StatementError& error,
                                       const SectionProgressRecorder* outside = nullptr);

    History& history_;
    Database& db_;
    Progress& progress_;
    std::function<void(std::chrono::milliseconds)> sleep_;
};

// Offline SQL for `range` ("FROM:TO", e.g. "base:head"), like `alembic upgrade --sql`: no
// database is opened. Downgrades when TO lies below FROM (head:base, head:-1), like
// `alembic downgrade --sql`; upgrades otherwise.
std::string render_offline(History& history, Dialect dialect, const std::string& range);

}  // namespace fastappkit
