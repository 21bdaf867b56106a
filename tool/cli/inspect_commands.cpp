// Read-only commands: current, history, heads, status, verify. They open the database
// read-only, so a missing SQLite file stays missing.
#include <algorithm>
#include <iostream>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "runner/migrator.h"
#include "runner/plan.h"
#include "runner/unfinished_section.h"
#include "script/checksum.h"

namespace fastappkit {

namespace {

using Json = nlohmann::ordered_json;
using Nodes = RevisionGraph::Nodes;

// "<id> (label) (head)" as Alembic prints a revision.
std::string revision_label(const RevisionGraph& graph, RevisionGraph::Node n) {
    std::string text = graph.id(n);
    for (const auto& label : graph.script(n).branch_labels) text += " (" + label + ")";
    if (graph.children(n).empty()) text += " (head)";
    if (graph.down(n).size() > 1) text += " (mergepoint)";
    if (graph.children(n).size() > 1) text += " (branchpoint)";
    return text;
}

void print_json(const Json& document) { std::cout << document.dump(2) << "\n"; }

}  // namespace

int migrate_current(Session& session, const std::string& app) {
    History& history = session.history_for(app);
    Database& db = session.database(true);
    const auto& graph = history.graph();
    Nodes heads = heads_from_versions(graph, db.read_versions(history.version_table()));
    if (session.reporter().json()) {
        Json ids = Json::array();
        for (auto n : heads) ids.push_back(graph.id(n));
        print_json({{"name", history.name()}, {"version_table", history.version_table()}, {"current", ids}});
        return 0;
    }
    if (heads.empty()) session.reporter().output(fmt::format("{}: base (nothing applied)\n", history.name()));
    for (auto n : heads) session.reporter().output(fmt::format("{}\n", revision_label(graph, n)));
    return 0;
}

int migrate_history(Session& session, const std::string& app) {
    History& history = session.history_for(app);
    const auto& graph = history.graph();
    // Newest first: the reverse of an upgrade from base to every head.
    auto steps = plan_upgrade(graph, {}, "heads");
    Json rows = Json::array();
    std::string text;
    for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
        const auto& script = graph.script(it->node);
        std::string downs = graph.down(it->node).empty() ? "<base>" : join_ids(graph, graph.down(it->node));
        text += fmt::format("{} -> {}, {}\n", downs, revision_label(graph, it->node), script.message);
        rows.push_back({{"revision", script.revision},
                        {"down_revisions", script.down_revisions},
                        {"message", script.message},
                        {"file", script.file}});
    }
    if (session.reporter().json()) {
        print_json({{"name", history.name()}, {"revisions", rows}});
    } else {
        session.reporter().output(text);
    }
    return 0;
}

int migrate_heads(Session& session, const std::string& app) {
    History& history = session.history_for(app);
    const auto& graph = history.graph();
    Json ids = Json::array();
    for (auto n : graph.heads()) {
        ids.push_back(graph.id(n));
        if (!session.reporter().json()) session.reporter().output(revision_label(graph, n) + "\n");
    }
    if (session.reporter().json()) print_json({{"name", history.name()}, {"heads", ids}});
    return 0;
}

int migrate_status(Session& session) {
    Database& db = session.database(true);
    Json histories = Json::array();
    auto& out = session.reporter();
    for (History* history : session.all_histories()) {
        const auto& graph = history->graph();
        auto rows = db.read_versions(history->version_table());
        Nodes current = heads_from_versions(graph, rows);
        size_t pending = plan_upgrade(graph, current, "heads").size();
        size_t applied = 0;
        auto below = graph.ancestors(current);
        for (char b : below) applied += b;
        // A runner may be running it now; otherwise `migrate resolve` is due.
        const auto unfinished = find_unfinished_section(db, history->version_table());
        histories.push_back({{"name", history->name()},
                             {"version_table", history->version_table()},
                             {"current", rows},
                             {"applied", applied},
                             {"pending", pending},
                             {"revisions", graph.size()},
                             {"unfinished", unfinished ? Json(unfinished->revision) : Json()}});
        std::string at = rows.empty() ? "base" : fmt::format("{}", fmt::join(rows, ", "));
        std::string state = pending == 0 ? out.green("up to date")
                                         : out.yellow(fmt::format("{} pending", pending));
        if (unfinished) {
            state += out.yellow(fmt::format(", the transaction:false section of {} started at {} has not "
                                            "finished (running, or interrupted: see 'fastappkit migrate resolve')",
                                            unfinished->revision, unfinished->started_at));
        }
        out.output(fmt::format("{:<20} {:<32} at {:<14} {} applied, {}\n", history->name(),
                               history->version_table(), at, applied, state));
    }
    if (out.json()) print_json({{"histories", histories}});
    return 0;
}

// Compares each applied revision's recorded checksum with its file now; revisions applied
// without a history row (stamped, or by Alembic) are reported as unverified.
int migrate_verify(Session& session) {
    Database& db = session.database(true);
    const std::string dialect = to_string(db.dialect());
    Json changed = Json::array();
    size_t verified = 0, unverified = 0;
    auto& out = session.reporter();
    for (History* history : session.all_histories()) {
        const auto& graph = history->graph();
        auto applied = graph.ancestors(heads_from_versions(graph, db.read_versions(history->version_table())));
        std::map<std::string, std::string> recorded;  // revision -> checksum of its last upgrade
        for (const auto& row : db.read_history(history->version_table())) {
            if (row.direction == "upgrade") recorded[row.revision] = row.checksum;
        }
        for (RevisionGraph::Node n = 0; n < static_cast<RevisionGraph::Node>(graph.size()); ++n) {
            if (!applied[n]) continue;
            auto it = recorded.find(graph.id(n));
            if (it == recorded.end()) {
                ++unverified;
                continue;
            }
            const Section* section = history->body(n).section(Direction::upgrade, dialect);
            std::string now = section ? sql_checksum(section->sql) : std::string("(no upgrade section)");
            if (now == it->second) {
                ++verified;
                continue;
            }
            const auto& file = graph.script(n).file;
            changed.push_back({{"history", history->name()}, {"revision", graph.id(n)}, {"file", file},
                               {"recorded", it->second}, {"current", now}});
            out.error(fmt::format("{}: revision {} changed since it was applied ({}: checksum {} recorded, {} now)",
                                  history->name(), graph.id(n), file, it->second.substr(0, 12), now.substr(0, 12)));
        }
    }
    if (out.json()) {
        print_json({{"changed", changed}, {"verified", verified}, {"unverified", unverified}});
    } else {
        out.line(fmt::format("{} applied migration{} verified, {} changed, {} without a recorded checksum",
                             verified, verified == 1 ? "" : "s", changed.size(), unverified));
    }
    return changed.empty() ? 0 : 1;
}

}  // namespace fastappkit
