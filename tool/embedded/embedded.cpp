// The embedded API's one-line forms: migrate_all (over fastappkit::Migrator) and migrate_fleet
// (over runner/fleet), on the histories of the program's catalog.
#include "fastappkit/embedded.h"

#include <filesystem>
#include <memory>

#include "common/error.h"
#include "embedded/applied_migration.h"
#include "embedded/catalog_histories.h"
#include "embedded/database_opening.h"
#include "fastappkit/migrator.h"
#include "runner/fleet.h"
#include "runner/run_connection.h"

namespace fastappkit {

namespace {

MigratorOptions migrator_options(const MigrateOptions& options) {
    MigratorOptions out;
    out.on_applied = options.on_applied;
    out.lock_timeout = options.lock_timeout;
    return out;
}

}  // namespace

// The one-line form: a Migrator over the program's catalog, every history to its heads.
std::vector<AppliedMigration> migrate_all(const std::string& database_url,
                                          const MigrateOptions& options) {
    return Migrator::open(database_url, migrator_options(options)).upgrade();
}

std::vector<AppliedMigration> migrate_all(sqlite3* connection, const MigrateOptions& options) {
    return Migrator::open(connection, migrator_options(options)).upgrade();
}

int FleetReport::exit_code() const noexcept {
    bool failed = false, only_usage = true;
    for (const auto& target : targets) {
        if (target.status != FleetStatus::failed) continue;
        failed = true;
        if (target.exit_code != static_cast<int>(ExitCode::usage)) only_usage = false;
    }
    if (!failed) return 0;
    return static_cast<int>(only_usage ? ExitCode::usage : ExitCode::failure);
}

namespace {

FleetTargetReport to_public(const TargetResult& result) {
    FleetTargetReport out;
    out.target = result.target;
    switch (result.status) {
        case TargetStatus::applied:
            out.status = FleetStatus::applied;
            break;
        case TargetStatus::unchanged:
            out.status = FleetStatus::unchanged;
            break;
        case TargetStatus::pending:
            out.status = FleetStatus::pending;
            break;
        case TargetStatus::failed:
        case TargetStatus::drifted:  // never: the library runs no audit
            out.status = FleetStatus::failed;
            break;
        case TargetStatus::skipped:
            out.status = FleetStatus::skipped;
            break;
    }
    for (const auto& step : result.applied) out.applied.push_back(to_applied(step));
    for (const auto& pending : result.pending)
        out.pending.push_back(pending.history + " " + pending.revision);
    out.error = result.error;
    out.exit_code = result.exit_code;
    out.duration_ms = result.duration_ms;
    return out;
}

}  // namespace

FleetReport migrate_fleet(const std::vector<std::string>& database_urls,
                          const FleetOptions& options) {
    histories_for_one_run(default_catalog());  // another version's catalog: refused up front
    FleetRun run;
    run.targets = database_urls;
    std::error_code no_directory;
    run.root = std::filesystem::current_path(no_directory);
    run.parallel = options.parallel;
    run.canary = options.canary;
    run.on_error = options.continue_on_error ? FleetOnError::continue_running : FleetOnError::stop;
    if (options.max_failures > 0) run.max_failures = options.max_failures;
    run.dry_run = options.dry_run;
    run.open.lock_timeout = options.lock_timeout;
    run.histories = [] {
        FleetHistories set;
        set.histories = histories_for_one_run(default_catalog());
        std::vector<History*> run_order;
        for (const auto& history : set.histories) run_order.push_back(history.get());
        set.conflict_checked = conflict_checked(run_order, is_standalone(set.histories));
        return set;
    };
    run.open_database = open_url;
    if (options.on_target_done) {
        run.on_target_done = [&options](const TargetResult& result) {
            options.on_target_done(to_public(result));
        };
    }
    run.cancel = options.cancel;
    const FleetResult report = run_fleet(run);
    FleetReport out;
    out.duration_ms = report.duration_ms;
    for (const auto& target : report.targets) out.targets.push_back(to_public(target));
    return out;
}

}  // namespace fastappkit
