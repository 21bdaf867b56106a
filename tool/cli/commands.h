// The commands of the command line. cli.cpp maps arguments to these (CLI11 lives there only);
// each returns the process exit code and throws fastappkit::Error for failures.
#pragma once

#include <string>
#include <vector>

#include "cli/session.h"
#include "embedded/catalog_source.h"

namespace fastappkit {

// An empty `app` means the shared core history (or the standalone app).
struct HistoryArgs {
    std::string app;
    std::string revision;
    // migrate app NAME upgrade/downgrade: skip the `requires` checks (docs/configuration.md).
    bool ignore_requires = false;
};

// migrate_commands.cpp: commands that move a database.
int migrate_all(Session& session);
int migrate_upgrade(Session& session, const HistoryArgs& args);
int migrate_downgrade(Session& session, const HistoryArgs& args);
int migrate_stamp(Session& session, const HistoryArgs& args, bool purge);
int migrate_preview(Session& session, const HistoryArgs& args, const std::string& dialect);

// fleet_command.cpp: one project's histories over many databases (docs/fleet.md).
struct FleetArgs {
    std::string targets_file;   // a file of URLs, or - for stdin
    std::string targets_glob;   // SQLite files
    std::string targets_query;  // first column of a query on control_url
    std::string control_url;
    int parallel = 4;
    int canary = 0;
    std::string on_error = "stop";
    int max_failures = 0;  // 0: no limit
    std::string report;    // JSON lines
    bool dry_run = false;
    bool drift = false;  // audit each target with migrate drift instead of migrating
};
int migrate_fleet(Session& session, const FleetArgs& args);

// resolve_command.cpp: records the outcome of an interrupted transaction:false section.
int migrate_resolve(Session& session, const HistoryArgs& args, bool applied, bool rolled_back);

// inspect_commands.cpp: read-only commands.
int migrate_current(Session& session, const std::string& app);
// `indicate_current`: mark the revisions the database is at, as Alembic's --indicate-current.
int migrate_history(Session& session, const std::string& app, bool indicate_current);
int migrate_heads(Session& session, const std::string& app);
// `exit_code`: exit 1 when anything is pending (for CI).
int migrate_status(Session& session, bool exit_code);
int migrate_verify(Session& session);

// revision_commands.cpp: commands that write migration files.
int migrate_merge(Session& session, const std::string& app, const std::string& message,
                  const std::vector<std::string>& revisions);
int migrate_autogenerate(Session& session, const std::string& app, const std::string& message);
// migrate check: the models against the migrations, and each checkpoint against a replay.
struct CheckArgs {
    bool checkpoints_only = false;  // the migrate_checkpoint CTest test
    bool models_only = false;       // the migrate_check CTest test
};
int migrate_check(Session& session, const CheckArgs& args);
// migrate squash: a checkpoint of base..REV (docs/checkpoints.md).
struct SquashArgs {
    std::string app;
    std::string to;
    std::vector<std::string> keep_data;
    bool no_data = false;
};
int migrate_squash(Session& session, const SquashArgs& args);
// migrate revision: an empty migration on top of the head (or `head`), to write by hand.
struct RevisionArgs {
    std::string app;
    std::string message;
    std::string head;
    std::vector<std::string> depends_on;
    std::vector<std::string> branch_labels;
};
int migrate_revision(Session& session, const RevisionArgs& args);

// safety_commands.cpp: the safety nets (docs/safety.md).
struct LintArgs {
    std::string app;
    std::string dialect;
    std::string since;
    bool strict = false;
};
int migrate_lint(Session& session, const LintArgs& args);
// The rules with their severities, for `migrate lint --help`.
std::string lint_rules_help();
int migrate_test(Session& session, const std::string& app);

// drift_command.cpp: the live schema against what the applied migrations build.
int migrate_drift(Session& session, const std::string& app);

// app_commands.cpp
int app_list(Session& session, bool verbose);
int app_validate(Session& session, const std::string& name);
int describe_project(Session& session);

// embed_command.cpp
int embed_migrations(Session& session, const std::string& output, const CatalogSymbol& symbol);

// scaffold.cpp
int core_new(Session& session, const std::string& name);
int app_new(Session& session, const std::string& name, bool as_package);

// database_commands.cpp
int db_reset(Session& session);
int db_drop(Session& session);
int db_clone(Session& session, const std::string& from);

}  // namespace fastappkit
