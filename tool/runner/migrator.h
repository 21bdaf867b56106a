// Moves one history of one database: upgrade, downgrade, stamp, and the SQL a preview prints.
// One transaction per migration holding its version-row and history-row changes; the
// current heads are re-read inside each transaction so concurrent runners never apply a
// revision twice.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "db/database.h"
#include "runner/head_maintainer.h"
#include "runner/history.h"
#include "runner/plan.h"
#include "runner/progress.h"
#include "runner/run_error.h"

namespace fastappkit {

struct MigrationResult {
    std::vector<AppliedStep> applied;  // steps run, in order (each also went to Progress)
    std::vector<std::string> heads;    // version rows afterwards
};

class Migrator {
public:
    Migrator(History& history, Database& db, Progress& progress)
        : history_(history), db_(db), progress_(progress) {}

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
    bool heads_moved(const HeadMaintainer& heads);
    std::optional<AppliedStep> run_step_at_once(const Step& step, HeadMaintainer& heads,
                                                const Section& section);
    void execute_section(const Step& step, const Section& section);
    [[noreturn]] void statement_failed(const Step& step, const Section& section,
                                       const StatementError& error);
    void record(const Step& step, HeadMaintainer& heads, const Section& section, long long ms);

    History& history_;
    Database& db_;
    Progress& progress_;
};

// Offline SQL for `range` ("FROM:TO", e.g. "base:head"), like `alembic upgrade --sql`: no
// database is opened.
std::string render_offline(History& history, Dialect dialect, Direction direction,
                           const std::string& range);

}  // namespace fastappkit
