// One run over several histories of one database: what `migrate all`, `migrate upgrade` and
// `migrate downgrade` do, and what a program that embeds its migrations does at start-up.
// Like goose's Provider, everything is parsed and checked before anything runs: every
// history's headers are read, every pending step is planned and its file checked on a
// read-only connection, and the database is opened for writing only when there is work (so
// bad input and the no-op leave it untouched, and a missing SQLite file is not created).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config/project.h"
#include "db/database.h"
#include "runner/history.h"
#include "runner/progress.h"
#include "runner/run_error.h"

namespace fastappkit {

// An external app moved alone, and the apps around it in `requires` order
// (docs/configuration.md): it upgrades only once every app it requires is at its heads, and
// downgrades only while no app requiring it is applied.
struct RequiresOrder {
    std::string app;
    std::vector<History*> required;     // the apps `app` requires
    std::vector<History*> required_by;  // the external apps that require `app`
};

struct RunRequest {
    std::vector<History*> histories;  // in the order they run
    Direction direction = Direction::upgrade;
    std::string target = "head";
    // External apps' histories whose revisions must not be recorded in the shared
    // alembic_version table (see check_version_table_conflicts).
    std::vector<History*> conflict_checked;
    // [tool.fastappkit.migration] verify (docs/safety.md): an applied migration of
    // `histories` whose file changed since it ran is named in a warning (Progress::waiting),
    // or refuses the run; `off`, the default here, does not look.
    VerifyMode verify = VerifyMode::off;
    // Checked before anything runs, unless empty (`app` empty).
    RequiresOrder requires_order;
};

struct HistoryOutcome {
    std::string name;
    std::string version_table;
    std::vector<AppliedStep> applied;  // in the order they ran
    std::vector<std::string> heads;    // version rows afterwards
};

struct RunResult {
    std::vector<HistoryOutcome> histories;  // one per requested history, in order
    size_t applied_count() const;
};

// The database of a run: read-only for the checks, writable for the work. Called with `false`
// only when there is something to run.
using DatabaseOpener = std::function<Database&(bool read_only)>;

// Runs `request`. Throws Error for bad input or state found by the checks (the requires
// order, edited migrations, version table conflicts, the files: nothing changed), RunError
// when a step fails. `progress` hears of each step as it finishes.
RunResult run_migrations(const RunRequest& request, const DatabaseOpener& database,
                         Progress& progress);

// "Version table conflict": a revision of one of `histories` (external apps) recorded in the
// shared alembic_version table. Reads that table once.
void check_version_table_conflicts(const std::vector<History*>& histories, Database& db);

}  // namespace fastappkit
