// The command table: every command and option of the command line (CLI11), mapped to the
// functions of commands.h. Errors are caught here, once, and turned into exit codes.
#include "cli/cli.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/interruption.h"
#include "common/closest_name.h"
#include "common/error.h"
#include "config/database_url.h"
#include "db/sqlite_database.h"

#ifndef FASTAPPKIT_VERSION
#define FASTAPPKIT_VERSION "0.0.0"
#endif

namespace fastappkit {

namespace {

using Action = std::function<int(Session&)>;

// Values of every command's options; CLI11 writes them while parsing.
struct Arguments {
    HistoryArgs history;
    std::string message;
    std::string dialect;
    std::vector<std::string> revisions;
    std::string name;
    bool purge = false;
    bool verbose_list = false;
    bool as_package = false;
    LintArgs lint;
    bool applied = false;
    bool rolled_back = false;
    FleetArgs fleet;
    bool exit_code = false;
    bool indicate_current = false;
    RevisionArgs revision;
    SquashArgs squash;
    CheckArgs check;
    CatalogSymbol catalog;
};

// A revision positional plus -r/--revision, both filling `target`.
void add_revision(CLI::App* command, std::string& target, bool required, const char* help) {
    auto* positional = command->add_option("revision", target, help);
    auto* flag = command->add_option("-r,--revision", target, help);
    positional->excludes(flag);
    if (required) {
        // One of the two must be present; checked after parsing so both spellings work.
        command->callback([&target] {
            if (target.empty()) throw CLI::RequiredError("revision");
        });
    }
}

void add_app_option(CLI::App* command, Arguments& a) {
    command->add_option("--app", a.history.app,
                        "An external app's history instead of the core one");
}

void add_ignore_requires(CLI::App* command, Arguments& a) {
    command->add_flag("--ignore-requires", a.history.ignore_requires,
                      "Move this app even when the apps it requires (or that require it) are "
                      "not where `requires` wants them");
}

// upgrade / downgrade / preview, under `migrate` (the shared history) and under
// `migrate app NAME` (that app's history, `per_app`): `whose` words the help.
void add_move_commands(CLI::App* parent, const std::string& whose, bool per_app, Arguments& a,
                       Action& action) {
    auto* upgrade = parent->add_subcommand("upgrade", "Upgrade " + whose + " (default: head)");
    add_revision(upgrade, a.history.revision, false, "Target revision (default: head)");
    if (per_app) add_ignore_requires(upgrade, a);
    upgrade->final_callback(
        [&] { action = [&](Session& s) { return migrate_upgrade(s, a.history); }; });

    auto* downgrade = parent->add_subcommand("downgrade", "Downgrade " + whose);
    add_revision(downgrade, a.history.revision, true,
                 "Target revision: -1, base, or a revision id");
    if (per_app) add_ignore_requires(downgrade, a);
    downgrade->final_callback(
        [&] { action = [&](Session& s) { return migrate_downgrade(s, a.history); }; });

    auto* preview = parent->add_subcommand(
        "preview", "Print the SQL the upgrade of " + whose + " would run; change nothing");
    add_revision(preview, a.history.revision, false, "Target (default: head), or FROM:TO offline");
    preview->add_option("--dialect", a.dialect,
                        "sqlite or postgresql, for offline FROM:TO previews");
    preview->final_callback(
        [&] { action = [&](Session& s) { return migrate_preview(s, a.history, a.dialect); }; });
}

void add_history_commands(CLI::App* migrate, Arguments& a, Action& action) {
    add_move_commands(migrate, "the shared core history", false, a, action);

    auto* current = migrate->add_subcommand("current", "Show the revisions the database is at");
    add_app_option(current, a);
    current->final_callback(
        [&] { action = [&](Session& s) { return migrate_current(s, a.history.app); }; });

    auto* history = migrate->add_subcommand("history", "List revisions, newest first");
    add_app_option(history, a);
    history->add_flag("--indicate-current", a.indicate_current,
                      "Mark the revisions the database is at with (current)");
    history->final_callback([&] {
        action = [&](Session& s) { return migrate_history(s, a.history.app, a.indicate_current); };
    });

    auto* heads = migrate->add_subcommand("heads", "List the head revisions");
    add_app_option(heads, a);
    heads->final_callback(
        [&] { action = [&](Session& s) { return migrate_heads(s, a.history.app); }; });

    auto* stamp =
        migrate->add_subcommand("stamp", "Set the version table without running migrations");
    add_revision(stamp, a.history.revision, true, "Revision to stamp (head, base, a revision id)");
    add_app_option(stamp, a);
    stamp->add_flag("--purge", a.purge, "Delete every version row first");
    stamp->final_callback(
        [&] { action = [&](Session& s) { return migrate_stamp(s, a.history, a.purge); }; });

    auto* resolve = migrate->add_subcommand(
        "resolve",
        "Record the outcome of a transaction:false section an interrupted run left unfinished");
    add_revision(resolve, a.history.revision, true, "The revision whose section was interrupted");
    add_app_option(resolve, a);
    auto* applied = resolve->add_flag("--applied", a.applied, "It completed: record it as applied");
    auto* rolled_back =
        resolve->add_flag("--rolled-back", a.rolled_back, "It left nothing behind: drop the mark");
    applied->excludes(rolled_back);
    resolve->final_callback([&] {
        action = [&](Session& s) {
            return migrate_resolve(s, a.history, a.applied, a.rolled_back);
        };
    });

    auto* revision = migrate->add_subcommand(
        "revision", "Write an empty revision on top of the head, to fill in by hand");
    revision->add_option("-m,--message", a.revision.message, "Message of the revision")->required();
    revision->add_option("--app", a.revision.app, "An app's history instead of the core one");
    revision->add_option("--head", a.revision.head,
                         "The parent revision (default: the head; base: a new root)");
    revision->add_option("--depends-on", a.revision.depends_on, "A revision it depends on");
    revision->add_option("--branch-label", a.revision.branch_labels,
                         "A branch label for the new revision");
    revision->final_callback(
        [&] { action = [&](Session& s) { return migrate_revision(s, a.revision); }; });

    auto* squash = migrate->add_subcommand(
        "squash", "Write a checkpoint: the schema base..REV builds, for fresh databases");
    squash->add_option("--to", a.squash.to, "The revision the checkpoint builds")->required();
    squash->add_option("--app", a.squash.app, "An app's history instead of the core one");
    squash->add_option("--keep-data", a.squash.keep_data,
                       "Tables whose rows the checkpoint keeps (filled by data migrations)");
    squash->add_flag("--no-data", a.squash.no_data,
                     "Leave out the rows the range's data statements made");
    squash->final_callback(
        [&] { action = [&](Session& s) { return migrate_squash(s, a.squash); }; });

    auto* merge = migrate->add_subcommand("merge", "Write a revision merging several heads");
    merge->add_option("-m,--message", a.message, "Message of the merge revision")->required();
    merge->add_option("revisions", a.revisions, "Revisions to merge (default: heads)");
    add_app_option(merge, a);
    merge->final_callback([&] {
        action = [&](Session& s) {
            return migrate_merge(s, a.history.app, a.message, a.revisions);
        };
    });
}

void add_app_subcommands(CLI::App* migrate, Arguments& a, Action& action) {
    auto* app = migrate->add_subcommand("app", "Commands on one app: migrate app NAME <command>");
    app->add_option("name", a.history.app, "App name")->required();
    app->require_subcommand(1);

    auto* make = app->add_subcommand("makemigrations", "Autogenerate a migration for the app");
    make->add_option("-m,--message", a.message, "Migration message")->required();
    make->final_callback([&] {
        action = [&](Session& s) { return migrate_autogenerate(s, a.history.app, a.message); };
    });

    add_move_commands(app, "this external app's history", true, a, action);

    // The read-only and stamp commands also answer per app (migrate app NAME current).
    for (auto [name, fn] :
         std::vector<std::pair<const char*, int (*)(Session&, const std::string&)>>{
             {"current", migrate_current},
             {"history",
              [](Session&s, const std::string&which) { return migrate_history(s, which, false); }},
             {"heads", migrate_heads}}) {
        auto* command = app->add_subcommand(name, std::string("migrate ") + name + " for this app");
        command->final_callback([&a, &action, fn = fn] {
            action = [&a, fn](Session& s) { return fn(s, a.history.app); };
        });
    }
}

// migrate lint / migrate test / migrate drift (docs/safety.md).
void add_safety_commands(CLI::App* migrate, Arguments& a, Action& action) {
    auto* lint = migrate->add_subcommand(
        "lint",
        "Check migrations for risky statements without opening a database; exit 1 on errors");
    lint->add_option("--app", a.lint.app, "Only this external app's history");
    lint->add_option("--dialect", a.lint.dialect,
                     "sqlite or postgresql (default: the database URL's)");
    lint->add_option("--since", a.lint.since, "Only revisions after this one");
    lint->add_flag("--strict", a.lint.strict, "Warnings fail too");
    lint->footer(lint_rules_help());
    lint->final_callback([&] { action = [&](Session& s) { return migrate_lint(s, a.lint); }; });

    auto* test = migrate->add_subcommand(
        "test", "On a scratch database, check that every revision's downgrade restores the schema");
    test->add_option("--app", a.lint.app, "Only this external app's history");
    test->final_callback([&] { action = [&](Session& s) { return migrate_test(s, a.lint.app); }; });

    auto* drift = migrate->add_subcommand(
        "drift",
        "Compare the database's schema with what its applied migrations build; exit 1 on drift");
    drift->add_option("--app", a.lint.app, "Only this external app's history");
    drift->final_callback(
        [&] { action = [&](Session& s) { return migrate_drift(s, a.lint.app); }; });
}

void add_fleet(CLI::App* migrate, Arguments& a, Action& action) {
    auto* fleet = migrate->add_subcommand(
        "fleet", "Run 'migrate all' on many databases: bounded parallelism, canary, report");
    auto& f = a.fleet;
    fleet->add_option("--targets", f.targets_file,
                      "File of database URLs, one per line (- for stdin)");
    fleet->add_option("--targets-glob", f.targets_glob, "SQLite files matching a pattern");
    fleet->add_option("--targets-query", f.targets_query,
                      "SQL whose first column lists the URLs, run on --control-url");
    fleet->add_option("--control-url", f.control_url, "The database --targets-query runs on");
    fleet->add_option("--parallel", f.parallel, "Targets (and sessions) at once (default 4)");
    fleet->add_option("--canary", f.canary,
                      "Run the first K targets alone first; stop if one fails");
    fleet->add_option("--on-error", f.on_error,
                      "stop (default): start no target after a failure; continue");
    fleet->add_option("--max-failures", f.max_failures,
                      "With --on-error continue: stop after F failures");
    fleet->add_option("--report", f.report, "Write one JSON line per target to FILE");
    fleet->add_flag("--dry-run", f.dry_run, "Report what is pending per target; change nothing");
    fleet->add_flag("--drift", f.drift,
                    "Audit each target with migrate drift instead of migrating; change nothing");
    fleet->final_callback([&] { action = [&](Session& s) { return migrate_fleet(s, a.fleet); }; });
}

void add_migrate(CLI::App& root, Arguments& a, Action& action) {
    auto* migrate = root.add_subcommand("migrate", "Create and apply migrations");
    migrate->require_subcommand(1);

    auto* core = migrate->add_subcommand("core", "Autogenerate a core migration from the models");
    core->add_option("-m,--message", a.message, "Migration message")->required();
    core->final_callback(
        [&] { action = [&](Session& s) { return migrate_autogenerate(s, "", a.message); }; });

    auto* all = migrate->add_subcommand("all", "Upgrade core, then every external app in order");
    all->final_callback([&] { action = migrate_all; });

    add_history_commands(migrate, a, action);
    add_app_subcommands(migrate, a, action);
    add_fleet(migrate, a, action);

    auto* status = migrate->add_subcommand("status", "What each history has applied and pending");
    status->add_flag("--exit-code", a.exit_code, "Exit 1 when anything is pending (for CI)");
    status->final_callback(
        [&] { action = [&](Session& s) { return migrate_status(s, a.exit_code); }; });
    migrate
        ->add_subcommand("verify", "Exit 1 when an applied migration's file changed since it ran")
        ->final_callback([&] { action = migrate_verify; });
    auto* check = migrate->add_subcommand(
        "check", "Exit 1 when models and migrations differ, or a checkpoint differs from a replay");
    auto* only_checkpoints = check->add_flag(
        "--checkpoints", a.check.checkpoints_only,
        "Compare only the checkpoints with a replay (the migrate_checkpoint test)");
    check->add_flag("--models", a.check.models_only,
                    "Compare only the models with the migrations (the migrate_check test)")
        ->excludes(only_checkpoints);
    check->final_callback([&] { action = [&](Session& s) { return migrate_check(s, a.check); }; });
    add_safety_commands(migrate, a, action);
}

void add_app_and_core(CLI::App& root, Arguments& a, Action& action) {
    auto* app = root.add_subcommand("app", "List, validate and create apps");
    app->require_subcommand(1);
    auto* list = app->add_subcommand("list", "List the project's resolved apps");
    list->add_flag("-v,--verbose", a.verbose_list, "Show paths");
    list->final_callback([&] { action = [&](Session& s) { return app_list(s, a.verbose_list); }; });
    auto* validate = app->add_subcommand(
        "validate", "Check an app's manifest, paths, version table and history");
    validate->add_option("name", a.name, "App name")->required();
    validate->final_callback([&] { action = [&](Session& s) { return app_validate(s, a.name); }; });
    auto* create =
        app->add_subcommand("new", "Create an internal app (or an external one with --as-package)");
    create->add_option("name", a.name, "App name")->required();
    create->add_flag("--as-package", a.as_package,
                     "Create a reusable external app in its own directory");
    create->final_callback(
        [&] { action = [&](Session& s) { return app_new(s, a.name, a.as_package); }; });

    auto* core = root.add_subcommand("core", "Create projects");
    core->require_subcommand(1);
    auto* project = core->add_subcommand("new", "Create a new project directory NAME");
    project->add_option("name", a.name, "Project name")->required();
    project->final_callback([&] { action = [&](Session& s) { return core_new(s, a.name); }; });
}

void add_tooling(CLI::App& root, Arguments& a, Action& action) {
    root.add_subcommand("describe", "Print the project as JSON (read by the CMake module)")
        ->final_callback([&] { action = describe_project; });
    auto* embed =
        root.add_subcommand("embed", "Write every history as a C++ source for a program to embed");
    embed->add_option("-o,--output", a.name, "The C++ source to write")->required();
    auto* named = embed->add_option("--catalog", a.catalog.function,
                                     "Define the function NAME() returning the catalog, instead "
                                     "of the program's unnamed one");
    embed
        ->add_option("--link-anchor", a.catalog.anchor,
                     "An extern \"C\" symbol the unnamed catalog also defines, so that a "
                     "linker can be made to take it from a static library")
        ->excludes(named);
    embed->final_callback(
        [&] { action = [&](Session& s) { return embed_migrations(s, a.name, a.catalog); }; });
    auto* db = root.add_subcommand("db", "Create and drop whole databases (for test fixtures)");
    db->require_subcommand(1);
    db->add_subcommand("reset", "Drop the database if it exists and create it empty")
        ->final_callback([&] { action = db_reset; });
    db->add_subcommand("drop", "Drop the database")->final_callback([&] { action = db_drop; });
    auto* clone = db->add_subcommand(
        "clone", "Copy the database --from URL to --database-url (replacing it)");
    clone->add_option("--from", a.name, "The database to copy")->required();
    clone->final_callback([&] { action = [&](Session& s) { return db_clone(s, a.name); }; });
}

// Global options may also follow a command (`fastappkit migrate all -q`): unknown options of a
// subcommand fall through to its parents.
void let_options_fall_through(CLI::App* command) {
    for (auto* sub : command->get_subcommands({})) {
        sub->fallthrough();
        let_options_fall_through(sub);
    }
}

// "Unknown command 'upgrde' for 'fastappkit migrate'; did you mean 'upgrade'?" when the
// command line stopped at a word that is none of the deepest command's subcommands; empty
// otherwise (CLI11's own message is better then).
std::string unknown_command_message(const CLI::App& root) {
    const CLI::App* command = &root;
    while (!command->get_subcommands().empty()) command = command->get_subcommands().front();
    const auto subcommands = command->get_subcommands({});
    if (subcommands.empty()) return {};
    std::string word;
    for (const auto& extra : root.remaining(true)) {
        if (!extra.empty() && extra[0] != '-') {
            word = extra;
            break;
        }
    }
    if (word.empty()) return {};
    std::string path = command->get_name();
    for (const CLI::App* up = command->get_parent(); up; up = up->get_parent()) {
        path = up->get_name() + " " + path;
    }
    std::vector<std::string> names;
    for (const CLI::App* sub : subcommands) names.push_back(sub->get_name());
    const std::string closest = closest_name(word, names);
    if (closest.empty()) {
        return fmt::format("Unknown command '{}' for '{}'; run '{} --help' for the list", word,
                           path, path);
    }
    return fmt::format("Unknown command '{}' for '{}'; did you mean '{}'?", word, path, closest);
}

// An option no command along the chosen path takes, with the closest one they do take (the
// name only: a value after '=' may hold a password). Empty when no unknown option was given.
std::string unknown_option_message(const CLI::App& root) {
    std::string word;
    for (const auto& extra : root.remaining(true)) {
        if (extra.size() > 1 && extra[0] == '-') {
            word = extra.substr(0, extra.find('='));
            break;
        }
    }
    if (word.empty()) return {};
    const CLI::App* command = &root;
    while (!command->get_subcommands().empty()) command = command->get_subcommands().front();
    std::string path = command->get_name();
    for (const CLI::App* up = command->get_parent(); up; up = up->get_parent()) {
        path = up->get_name() + " " + path;
    }
    std::vector<std::string> names;
    for (const CLI::App* on = command; on; on = on->get_parent()) {
        for (const CLI::Option* option : on->get_options()) {
            for (const auto& name : option->get_lnames()) names.push_back("--" + name);
        }
    }
    const std::string closest = closest_name(word, names);
    if (closest.empty()) {
        return fmt::format("Unknown option '{}' for '{}'; run '{} --help' for the options", word,
                           path, path);
    }
    return fmt::format("Unknown option '{}' for '{}'; did you mean '{}'?", word, path, closest);
}

// `migrate upgrade --app NAME`: the per-app form is `migrate app NAME upgrade`. Empty when the
// command line is not that mistake.
std::string misplaced_app_message(const CLI::App& root, int argc, char** argv) {
    const CLI::App* command = &root;
    while (!command->get_subcommands().empty()) command = command->get_subcommands().front();
    const std::string name = command->get_name();
    const CLI::App* parent = command->get_parent();
    if ((name != "upgrade" && name != "downgrade" && name != "preview") || !parent ||
        parent->get_name() != "migrate") {
        return {};
    }
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        std::string app;
        if (arg == "--app" && i + 1 < argc) app = argv[i + 1];
        if (arg.rfind("--app=", 0) == 0) app = arg.substr(6);
        if (app.empty()) continue;
        return fmt::format(
            "'fastappkit migrate {}' moves the core history and has no --app option; move an "
            "external app with 'fastappkit migrate app {} {}'",
            name, app, name);
    }
    return {};
}

// The error's sentence, passwords masked, on stderr; with --json also as one JSON line on
// stdout (nlohmann-json escapes control characters an argument may carry).
int report_error(const GlobalOptions& options, ExitCode code, const std::string& message) {
    const std::string sentence = mask_passwords(message);
    Reporter(options.json, Verbosity::normal).error(sentence);
    if (options.json) {
        std::cout << nlohmann::json{{"error", sentence}, {"exit_code", static_cast<int>(code)}}
                         .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                  << "\n";
    }
    return static_cast<int>(code);
}

int run_action(const Action& action, const GlobalOptions& options) {
    std::optional<Session> session;  // outlives the try: its reporter words an interruption
    try {
        session.emplace(options);
        const int code = action(*session);
        session->leave_to_process_exit();
        return code;
    } catch (const std::exception& e) {
        // Whatever failed after Ctrl-C failed because of it (an interrupted statement, a lock
        // wait given up), and its transaction has been rolled back by now.
        if (Interruption::requested() && session) {
            return report_error(options, ExitCode::interrupted,
                                session->reporter().interruption_message());
        }
        if (const auto* error = dynamic_cast<const Error*>(&e))
            return report_error(options, error->code(), e.what());
        if (const auto* error = dynamic_cast<const std::filesystem::filesystem_error*>(&e)) {
            // A symlink loop or a directory where a file belongs, met while reading the project.
            return report_error(options, ExitCode::usage,
                                fmt::format("Cannot read {}: {}", error->path1().string(),
                                            error->code().message()));
        }
        return report_error(options, ExitCode::failure,
                            fmt::format("fastappkit: unexpected error: {}", e.what()));
    }
}

}  // namespace

int run_cli(int argc, char** argv) {
    configure_sqlite_for_process();
    GlobalOptions global;
    Arguments arguments;
    Action action;
    CLI::App root{"fastappkit: schema migrations for modular C++ projects", "fastappkit"};
    root.set_version_flag("--version", std::string("fastappkit ") + FASTAPPKIT_VERSION);
    root.add_option("--project-root", global.project_root,
                    "Project root (default: current directory)");
    root.add_option("--database-url", global.database_url,
                    "Database URL (default: DATABASE_URL, then .env)");
    root.add_option("--app-path", global.app_paths, "Extra directory to search for external apps")
        ->allow_extra_args(false);
    root.add_flag("--json", global.json, "Print machine-readable JSON");
    root.add_flag("-q,--quiet", global.quiet, "Print errors only");
    root.add_flag("-v,--verbose", global.verbose, "Print more detail");
    root.require_subcommand(1);
    add_migrate(root, arguments, action);
    add_app_and_core(root, arguments, action);
    add_tooling(root, arguments, action);
    let_options_fall_through(&root);

    try {
        root.parse(argc, argv);
    } catch (const CLI::Success& e) {
        return root.exit(e);  // --help, --version
    } catch (const CLI::ParseError& e) {
        if (const std::string unknown = unknown_command_message(root); !unknown.empty()) {
            return report_error(global, ExitCode::usage, unknown);
        }
        if (const std::string misplaced = misplaced_app_message(root, argc, argv);
            !misplaced.empty()) {
            return report_error(global, ExitCode::usage, misplaced);
        }
        if (const std::string unknown = unknown_option_message(root); !unknown.empty()) {
            return report_error(global, ExitCode::usage, unknown);
        }
        // CLI11's own message may echo an argument holding a URL: masked like every error.
        const std::string message = mask_passwords(e.what());
        std::cerr << message << "\nRun with --help for more information.\n";
        return static_cast<int>(ExitCode::usage);
    }
    Interruption interruption;
    return run_action(action, global);
}

}  // namespace fastappkit
