// app list, app validate, and describe (the JSON the CMake module reads at configure time).
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/error.h"
#include "config/app_order.h"
#include "runner/migration_run.h"
#include "runner/plan.h"

#ifndef FASTAPPKIT_VERSION
#define FASTAPPKIT_VERSION "0.0.0"
#endif

namespace fastappkit {

namespace {

using Json = nlohmann::ordered_json;

Json app_json(const App& app) {
    Json j = {{"name", app.name}, {"kind", to_string(app.kind)}, {"dir", app.dir.string()}};
    if (app.manifest) {
        j["manifest"] = app.manifest->manifest_file.string();
        j["migrations"] = app.manifest->migrations_dir.string();
        j["version"] = app.manifest->version;
        j["version_table"] = version_table_for(app.name);
    }
    return j;
}

}  // namespace

int describe_project(Session& session) {
    const Project& project = session.project();
    Json inputs = Json::array({project.config_file.string()});
    Json apps = Json::array();
    for (const auto& app : project.apps) {
        apps.push_back(app_json(app));
        if (app.manifest) inputs.push_back(app.manifest->manifest_file.string());
    }
    // Every history's versions/ directory, in `migrate all` order (fastappkit_embed_migrations).
    Json versions_dirs = Json::array({(project.core_migrations_dir() / "versions").string()});
    Json order = Json::array();
    for (const auto& step : external_app_order(project)) {
        order.push_back({{"name", step.name}, {"depends_on", step.depends_on}});
        versions_dirs.push_back(
            (project.find_app(step.name)->manifest->migrations_dir / "versions").string());
    }
    std::cout << Json{{"fastappkit_version", FASTAPPKIT_VERSION},
                      {"root", project.root.string()},
                      {"config_file", project.config_file.string()},
                      {"inputs", inputs},
                      {"apps", apps},
                      {"external_order", order},
                      {"versions_dirs", versions_dirs}}
                     .dump(2)
              << "\n";
    return 0;
}

int app_list(Session& session, bool verbose) {
    const Project& project = session.project();
    if (session.reporter().json()) {
        Json apps = Json::array();
        for (const auto& app : project.apps) apps.push_back(app_json(app));
        std::cout << Json{{"apps", apps}}.dump(2) << "\n";
        return 0;
    }
    std::string text;
    for (const auto& app : project.apps) {
        text += fmt::format("{:<20} {:<9}", app.name, to_string(app.kind));
        if (app.manifest)
            text += fmt::format(" {:<8} alembic_version_{}", app.manifest->version, app.name);
        if (verbose || session.reporter().verbose()) {
            text += fmt::format("\n    {}", app.dir.string());
            if (app.manifest && app.manifest->requires_apps) {
                const auto& required = *app.manifest->requires_apps;
                text += required.empty()
                            ? std::string("\n    requires nothing")
                            : fmt::format("\n    requires {}", fmt::join(required, ", "));
            }
        }
        text += "\n";
    }
    if (project.apps.empty())
        text = "No apps: add them to apps in " + project.config_file.string() + "\n";
    session.reporter().output(text);
    return 0;
}

// Manifest, paths and version table were checked by loading the project; this adds the
// revision graph and, when a database is configured, the version-table conflict check.
namespace {

// Timeouts that only PostgreSQL applies: on SQLite, say so rather than let them look effective.
void note_unapplied_timeouts(Session& session, History& history, const std::string& name) {
    const auto& graph = history.graph();
    bool configured =
        history.settings().timeouts.any() || history.settings().lock_retries.has_value();
    for (RevisionGraph::Node node = 0;
         !configured && node < static_cast<RevisionGraph::Node>(graph.size()); ++node) {
        configured = graph.script(node).timeouts.any();
    }
    if (!configured) return;
    Dialect dialect;
    try {
        dialect = session.database_url().dialect;
    } catch (const Error&) {
        return;  // no database configured
    }
    if (applies_timeouts(dialect)) return;
    session.reporter().line(fmt::format(
        "Note: app '{}' sets lock_timeout, statement_timeout or lock_retries, which do not apply "
        "on "
        "{}: its writers wait on the busy timeout instead; they take effect on PostgreSQL",
        name, to_string(dialect)));
}

}  // namespace

int app_validate(Session& session, const std::string& name) {
    const App* app = session.standalone() ? nullptr : session.project().find_app(name);
    if (!session.standalone() && !app) {
        throw usage_error(fmt::format("App '{}' is not in the apps list of {}", name,
                                      session.project().config_file.string()));
    }
    if (app && app->kind == AppKind::internal) {
        session.core_history().graph();
        session.reporter().line(
            fmt::format("App '{}' is valid (internal app, shared core history)", name));
        note_unapplied_timeouts(session, session.core_history(), name);
        return 0;
    }
    if (!session.standalone())
        external_app_order(session.project());  // requires: cycles, unknown apps
    History& history = session.app_history(name);
    const auto& graph = history.graph();
    if (graph.heads().size() > 1) {
        session.reporter().line(fmt::format("Warning: app '{}' has several heads ({}); merge them",
                                            name, join_ids(graph, graph.heads())));
    }
    // Without a database URL those checks are skipped; a URL that is set must be valid.
    const bool checked_database = session.configured_database_url().has_value();
    if (checked_database) {
        Database& db = session.database(true);
        check_version_table_conflicts({&history}, db);
        heads_from_versions(graph, db.read_versions(history.version_table()));
    }
    session.reporter().line(fmt::format("App '{}' is valid: {} revision{}, version table {}{}",
                                        name, graph.size(), graph.size() == 1 ? "" : "s",
                                        history.version_table(),
                                        checked_database ? ", database consistent" : ""));
    note_unapplied_timeouts(session, history, name);
    return 0;
}

}  // namespace fastappkit
