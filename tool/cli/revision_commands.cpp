// Commands that write migration files: merge now; autogenerate and check are refused with a
// clear sentence until the schema differ exists.
#include <fstream>
#include <iostream>
#include <random>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/error.h"
#include "runner/sql_renderer.h"

namespace fastappkit {

namespace {

std::string new_revision_id() {
    std::random_device device;
    std::mt19937_64 engine((static_cast<uint64_t>(device()) << 32) ^ device());
    return fmt::format("{:012x}", engine() & 0xffffffffffffULL);
}

// "Add tags table!" -> "add_tags_table"
std::string slug(const std::string& message) {
    std::string out;
    for (char c : message) {
        if (std::isalnum(static_cast<unsigned char>(c))) {
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        } else if (!out.empty() && out.back() != '_') {
            out += '_';
        }
        if (out.size() >= 40) break;
    }
    while (!out.empty() && out.back() == '_') out.pop_back();
    return out.empty() ? "revision" : out;
}

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
        throw usage_error(fmt::format("{}: a merge needs at least two revisions, got {}", history.name(),
                                      parents.empty() ? std::string("none") : join_ids(graph, parents)));
    }
    const std::string revision = new_revision_id();
    std::filesystem::create_directories(history.versions_dir());
    const auto file = history.versions_dir() / fmt::format("{}_{}.sql", revision, slug(message));
    std::ofstream out(file);
    out << fmt::format(
        "-- revision: {}\n-- down_revision: {}\n-- branch_labels:\n-- depends_on:\n-- message: {}\n"
        "-- create_date: {}\n\n-- migrate:upgrade\n\n-- migrate:downgrade\n",
        revision, join_ids(graph, parents), message, utc_timestamp().substr(0, 19) + "Z");
    if (!out) throw failure(fmt::format("Cannot write {}", file.string()));
    session.reporter().line(fmt::format("Generated {} merging {}", file.string(), join_ids(graph, parents)));
    return 0;
}

int migrate_autogenerate(Session& session, const std::string& app, const std::string&) {
    refuse_external_from_project(session, app, "creating its migrations");
    throw usage_error(
        "Autogenerate (migrate core -m / makemigrations) is not available in this version; write the "
        "migration by hand in " + target_history(session, app).versions_dir().string());
}

int migrate_check(Session&) {
    throw usage_error("migrate check needs autogenerate, which is not available in this version");
}

}  // namespace fastappkit
