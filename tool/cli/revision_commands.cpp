// Commands that write migration files or compare them with the models: merge, autogenerate
// (migrate core -m / makemigrations) and check.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "autogen/autogenerate.h"
#include "autogen/checkpoint.h"
#include "autogen/revision_file.h"
#include "cli/commands.h"
#include "common/clock.h"
#include "common/error.h"

namespace fastappkit {

namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

void print_json(const Json& document) { std::cout << document.dump(2) << "\n"; }

// External apps create their migrations in their own checkout (standalone mode).
void refuse_external_from_project(Session& session, const std::string& app, const char* what) {
    if (app.empty() || session.standalone()) return;
    const App* found = session.project().find_app(app);
    if (found && found->kind == AppKind::external) {
        throw usage_error(fmt::format(
            "App '{}' is an external app: {} belongs in its own checkout ({}); run 'fastappkit "
            "migrate app {} makemigrations' there",
            app, what, found->dir.parent_path().string(), app));
    }
}

// Internal apps share the core history; external apps (standalone) have their own.
History& target_history(Session& session, const std::string& app) {
    if (!app.empty() && !session.standalone()) {
        const App* found = session.project().find_app(app);
        if (found && found->kind == AppKind::internal) return session.core_history();
    }
    return session.history_for(app);
}

// One history with the models declared for it.
struct ModelledHistory {
    History* history = nullptr;
    std::vector<std::filesystem::path> model_files;
    std::string missing_models;          // why there are none, when there are none
    std::string makemigrations;          // the command that writes its next migration
    std::vector<History*> requirements;  // what it stands on (compare_models)
};

ModelledHistory standalone_target(Session& session, const std::string& app) {
    const AppManifest& manifest = session.standalone_app();
    ModelledHistory target;
    target.history = &session.history_for(app);
    target.model_files = app_model_files(manifest, session.database_url().dialect);
    target.missing_models = fmt::format("{} declares no models file (add models = \"models.sql\")",
                                        manifest.manifest_file.string());
    target.makemigrations =
        fmt::format("fastappkit migrate app {} makemigrations -m MESSAGE", manifest.name);
    target.requirements = session.required_histories(manifest.name);
    return target;
}

ModelledHistory core_target(Session& session) {
    const Project& project = session.project();
    ModelledHistory target;
    target.history = &session.core_history();
    target.model_files = core_model_files(project, session.database_url().dialect);
    target.missing_models = fmt::format(
        "there are no models to compare; declare them in {} (and apps/<name>/models.sql for "
        "internal apps)",
        (project.root / "core" / "models.sql").string());
    target.makemigrations = "fastappkit migrate core -m MESSAGE";
    return target;
}

ModelledHistory external_target(Session& session, const App& app) {
    ModelledHistory target;
    target.history = &session.app_history(app.name);
    target.model_files = app_model_files(*app.manifest, session.database_url().dialect);
    target.missing_models =
        fmt::format("{} declares no models file", app.manifest->manifest_file.string());
    target.makemigrations =
        fmt::format("fastappkit migrate app {} makemigrations -m MESSAGE (in its own checkout, {})",
                    app.name, app.dir.parent_path().string());
    target.requirements = session.required_histories(app.name);
    return target;
}

// Every history `migrate check` compares: core + internal apps, then each external app.
std::vector<ModelledHistory> check_targets(Session& session) {
    if (session.standalone()) return {standalone_target(session, "")};
    std::vector<ModelledHistory> targets{core_target(session)};
    for (History* history : session.all_histories()) {
        const App* app = session.project().find_app(history->name());
        if (app && app->kind == AppKind::external)
            targets.push_back(external_target(session, *app));
    }
    return targets;
}

Json changes_json(const SchemaDiff& diff) {
    Json changes = Json::array();
    for (const auto& line : diff.describe()) changes.push_back(line);
    return changes;
}

std::string indented(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& line : lines) text += "  " + line + "\n";
    return text;
}

}  // namespace

int migrate_merge(Session& session, const std::string& app, const std::string& message,
                  const std::vector<std::string>& revisions) {
    refuse_external_from_project(session, app, "creating its migrations");
    History& history = target_history(session, app);
    const auto& graph = history.graph();
    RevisionGraph::Nodes parents;
    for (const auto& spec : revisions.empty() ? std::vector<std::string>{"heads"} : revisions) {
        for (auto n : graph.resolve(spec)) parents.push_back(n);
    }
    if (parents.size() < 2) {
        throw usage_error(
            fmt::format("{}: a merge needs at least two revisions, got {}", history.name(),
                        parents.empty() ? std::string("none") : join_ids(graph, parents)));
    }
    RevisionFile merge{new_revision_id(), {}, message, utc_timestamp().substr(0, 19) + "Z", {}};
    for (auto n : parents) merge.down_revisions.push_back(graph.id(n));
    const auto file = write_revision_file(history.versions_dir(), merge);  // empty sections
    session.reporter().line(
        fmt::format("Generated {} merging {}", file.string(), join_ids(graph, parents)));
    return 0;
}

namespace {

// The parent of a new revision: `head` resolved to one revision ("base": none), else the
// history's one head.
std::vector<std::string> new_revision_parent(const History& history, const RevisionGraph& graph,
                                             const std::string& head) {
    if (head == "base") return {};
    if (!head.empty()) {
        const auto nodes = graph.resolve(head);
        if (nodes.size() != 1) {
            throw usage_error(fmt::format(
                "{}: --head {} names {} revisions ({}); give one revision", history.name(), head,
                nodes.size(), nodes.empty() ? std::string("none") : join_ids(graph, nodes)));
        }
        return {graph.id(nodes.front())};
    }
    const auto heads = graph.heads();
    if (heads.size() > 1) {
        throw usage_error(fmt::format(
            "{}: the history has several heads ({}); pass --head REV to choose the new "
            "revision's parent, or merge them first with 'fastappkit migrate merge -m MESSAGE'",
            history.name(), join_ids(graph, heads)));
    }
    if (heads.empty()) return {};
    return {graph.id(heads.front())};
}

void check_branch_labels(const History& history, const RevisionGraph& graph,
                         const std::vector<std::string>& labels) {
    for (const auto& label : labels) {
        if (label.empty() || label.find_first_of(" \t@,") != std::string::npos) {
            throw usage_error(
                fmt::format("{}: --branch-label '{}' is not a valid label (no blanks, '@' or ',')",
                            history.name(), label));
        }
        for (RevisionGraph::Node n = 0; n < static_cast<RevisionGraph::Node>(graph.size()); ++n) {
            const auto& used = graph.script(n).branch_labels;  // labels(n) spans the branch
            if (std::find(used.begin(), used.end(), label) != used.end()) {
                throw usage_error(
                    fmt::format("{}: branch label '{}' is already used by revision {}",
                                history.name(), label, graph.id(n)));
            }
        }
    }
}

}  // namespace

int migrate_revision(Session& session, const RevisionArgs& args) {
    refuse_external_from_project(session, args.app, "creating its migrations");
    History& history = target_history(session, args.app);
    // A new history's first migration creates its versions directory, as autogenerate does.
    std::error_code missing;
    if (fs::symlink_status(history.versions_dir(), missing).type() == fs::file_type::not_found)
        fs::create_directories(history.versions_dir());
    const RevisionGraph& graph = history.graph();
    RevisionFile file{new_revision_id(),
                      new_revision_parent(history, graph, args.head),
                      args.message,
                      utc_timestamp().substr(0, 19) + "Z",
                      {}};
    check_branch_labels(history, graph, args.branch_labels);
    file.branch_labels = args.branch_labels;
    for (const auto& dependency : args.depends_on) {
        graph.resolve(dependency);  // an unknown revision is an error naming it
        file.depends_on.push_back(dependency);
    }
    const auto path = write_revision_file(history.versions_dir(), file);  // empty sections
    if (session.reporter().json()) {
        print_json(
            {{"name", history.name()}, {"revision", file.revision}, {"file", path.string()}});
    } else {
        session.reporter().line(fmt::format(
            "Generated {} (revision {}{}): write its upgrade and "
            "downgrade sections",
            path.string(), file.revision,
            file.down_revisions.empty() ? std::string(", a new base")
                                        : ", on top of " + file.down_revisions.front()));
    }
    return 0;
}

int migrate_autogenerate(Session& session, const std::string& app, const std::string& message) {
    refuse_external_from_project(session, app, "creating its migrations");
    ModelledHistory target;
    if (session.standalone()) {
        target = standalone_target(session, app);
    } else {
        target_history(session, app);  // an unknown app is an error naming it
        target = core_target(session);
    }
    if (target.model_files.empty()) {
        throw usage_error(fmt::format("{}: {}", target.history->name(), target.missing_models));
    }
    const auto result = autogenerate(session.database_url(), *target.history, target.model_files,
                                     message, target.requirements);
    const auto changes = result.comparison.diff.describe();
    if (session.reporter().json()) {
        Json document{{"name", target.history->name()},
                      {"changes", changes_json(result.comparison.diff)}};
        if (!result.written.empty()) {
            document["revision"] = result.written.front().revision;
            document["file"] = result.written.front().file.string();
            Json files = Json::array();
            for (const auto& written : result.written)
                files.push_back({{"revision", written.revision}, {"file", written.file.string()}});
            document["files"] = files;
        }
        print_json(document);
        return 0;
    }
    if (result.written.empty()) {
        session.reporter().line("No changes detected");
        return 0;
    }
    const auto& first = result.written.front();
    session.reporter().line(
        fmt::format("Generated {} (revision {}):", first.file.string(), first.revision));
    for (const auto& change : changes) session.reporter().line("  " + change);
    for (std::size_t i = 1; i < result.written.size(); ++i) {
        session.reporter().line(fmt::format(
            "Generated {} (revision {}) after it, for the statements that run outside a "
            "transaction (CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT)",
            result.written[i].file.string(), result.written[i].revision));
    }
    return 0;
}

namespace {

// `migrate check` of one history's models; true when they differ from its migrations.
bool check_models(Session& session, const ModelledHistory& target, Json& entry) {
    Reporter& out = session.reporter();
    const std::string& name = target.history->name();
    if (target.model_files.empty()) {
        out.line(fmt::format("{}: skipped, {}", name, target.missing_models));
        entry["skipped"] = target.missing_models;
        return false;
    }
    const auto comparison = compare_models(session.database_url(), *target.history,
                                           target.model_files, target.requirements);
    const auto changes = comparison.diff.describe();
    entry["in_sync"] = changes.empty();
    entry["changes"] = changes_json(comparison.diff);
    if (changes.empty()) {
        out.line(fmt::format("{}: models and migrations agree", name));
        return false;
    }
    out.output(fmt::format(
        "{}: the models differ from the migrations ({} {}):\n{}  write the migration "
        "with: {}\n",
        name, changes.size(), changes.size() == 1 ? "change" : "changes", indented(changes),
        target.makemigrations));
    return true;
}

// `migrate check` of one history's checkpoints; true when one differs from a replay.
bool check_history_checkpoints(Session& session, const ModelledHistory& target, Json& entry) {
    Reporter& out = session.reporter();
    const std::string& name = target.history->name();
    bool differ = false;
    Json checkpoints = Json::array();
    for (const auto& verdict :
         check_checkpoints(session.database_url(), *target.history, target.requirements)) {
        Json item{{"revision", verdict.revision}, {"file", verdict.file}};
        if (!verdict.skipped.empty()) {
            out.line(fmt::format("{}: checkpoint {} ({}) not compared: {}", name,
                                 verdict.revision, verdict.file, verdict.skipped));
            item["skipped"] = verdict.skipped;
        } else if (verdict.differences.empty()) {
            out.line(fmt::format("{}: checkpoint {} builds what the replay of base..{} builds",
                                 name, verdict.revision, verdict.revision));
            item["in_sync"] = true;
        } else {
            differ = true;
            out.output(fmt::format(
                "{}: checkpoint {} ({}) differs from a replay of base..{}:\n{}  write it again "
                "with: fastappkit migrate squash --to {} (after moving it away)\n",
                name, verdict.revision, verdict.file, verdict.revision,
                indented(verdict.differences), verdict.revision));
            item["in_sync"] = false;
            item["differences"] = verdict.differences;
        }
        checkpoints.push_back(std::move(item));
    }
    if (!checkpoints.empty()) entry["checkpoints"] = std::move(checkpoints);
    return differ;
}

}  // namespace

int migrate_check(Session& session, const CheckArgs& args) {
    Json histories = Json::array();
    bool differ = false;
    for (const auto& target : check_targets(session)) {
        Json entry{{"name", target.history->name()}};
        if (!args.checkpoints_only && check_models(session, target, entry)) differ = true;
        if (!args.models_only && check_history_checkpoints(session, target, entry)) differ = true;
        histories.push_back(std::move(entry));
    }
    if (session.reporter().json()) print_json({{"in_sync", !differ}, {"histories", histories}});
    return differ ? 1 : 0;
}

int migrate_squash(Session& session, const SquashArgs& args) {
    refuse_external_from_project(session, args.app, "squashing its migrations");
    History& history = target_history(session, args.app);
    std::vector<History*> requirements;
    if (session.standalone())
        requirements = session.required_histories(session.standalone_app().name);
    const Squashed done = squash(session.database_url(), history,
                                 {args.to, args.keep_data, args.no_data}, requirements);
    if (session.reporter().json()) {
        print_json({{"name", history.name()},
                    {"revision", done.revision},
                    {"file", done.file.string()},
                    {"replaces", done.replaced},
                    {"kept_rows", done.kept_rows}});
        return 0;
    }
    session.reporter().line(fmt::format(
        "Generated {}: checkpoint of revision {}, which a fresh database runs in place of {} "
        "revisions{}",
        done.file.string(), done.revision, done.replaced,
        args.keep_data.empty() ? std::string()
                               : fmt::format(" ({} rows kept)", done.kept_rows)));
    return 0;
}

}  // namespace fastappkit
