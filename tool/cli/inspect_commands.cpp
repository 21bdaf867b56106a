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

using Node = RevisionGraph::Node;

// A revision as Alembic's Script._head_only prints it: "<id>", its branch labels (`labels`),
// " (head)" or " (effective head)" (only dependents build on it), and with `tree`
// " (branchpoint)" and " (mergepoint)".
std::string revision_label(const RevisionGraph& graph, Node n, bool labels, bool tree) {
    std::string text = graph.id(n);
    if (labels && !graph.labels(n).empty())
        text += fmt::format(" ({})", fmt::join(graph.labels(n), ", "));
    if (graph.all_children(n).empty()) {
        text += " (head)";
    } else if (graph.children(n).empty()) {
        text += " (effective head)";
    }
    if (tree && graph.children(n).size() > 1) text += " (branchpoint)";
    if (tree && graph.down(n).size() > 1) text += " (mergepoint)";
    return text;
}

// Alembic's history line: "<down> (<depends_on>) -> <revision> (<labels>) …, <message>".
std::string history_line(const RevisionGraph& graph, Node n) {
    const MigrationScript& script = graph.script(n);
    std::string downs = script.down_revisions.empty()
                            ? "<base>"
                            : fmt::format("{}", fmt::join(script.down_revisions, ", "));
    if (!script.depends_on.empty())
        downs += fmt::format(" ({})", fmt::join(script.depends_on, ", "));
    return fmt::format("{} -> {}, {}", downs, revision_label(graph, n, true, true), script.message);
}

// What Alembic's `current` shows (RevisionMap._get_all_current): the rows, and every head
// they imply through depends_on: of the rows and all they depend on, each revision that no
// versioned child of which is among them. Rows first, in table order, then the rest.
Nodes current_heads(const RevisionGraph& graph, const Nodes& rows) {
    const auto applied = graph.ancestors(rows);
    const auto is_tip = [&](Node n) {
        return std::none_of(graph.children(n).begin(), graph.children(n).end(),
                            [&](Node c) { return applied[c]; });
    };
    Nodes out;
    for (auto n : rows)
        if (is_tip(n) && std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    for (Node n = 0; n < static_cast<Node>(graph.size()); ++n)
        if (applied[n] && is_tip(n) && std::find(out.begin(), out.end(), n) == out.end())
            out.push_back(n);
    return out;
}

void print_json(const Json& document) { std::cout << document.dump(2) << "\n"; }

}  // namespace

int migrate_current(Session& session, const std::string& app) {
    History& history = session.history_for(app);
    Database& db = session.database(true);
    const auto& graph = history.graph();
    const Nodes rows = heads_from_versions(graph, db.read_versions(history.version_table()));
    const Nodes heads = current_heads(graph, rows);
    if (session.reporter().json()) {
        Json ids = Json::array(), implied = Json::array();
        for (auto n : rows) ids.push_back(graph.id(n));
        for (auto n : heads) implied.push_back(graph.id(n));
        print_json({{"name", history.name()},
                    {"version_table", history.version_table()},
                    {"current", ids},
                    {"heads", implied}});
        return 0;
    }
    if (heads.empty())
        session.reporter().output(fmt::format("{}: base (nothing applied)\n", history.name()));
    for (auto n : heads) session.reporter().output(revision_label(graph, n, false, true) + "\n");
    return 0;
}

int migrate_history(Session& session, const std::string& app) {
    History& history = session.history_for(app);
    const auto& graph = history.graph();
    Json rows = Json::array();
    std::string text;
    for (const Node n : history_order(graph)) {
        const auto& script = graph.script(n);
        text += history_line(graph, n) + "\n";
        rows.push_back({{"revision", script.revision},
                        {"down_revisions", script.down_revisions},
                        {"depends_on", script.depends_on},
                        {"branch_labels", graph.labels(n)},
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
        if (!session.reporter().json())
            session.reporter().output(revision_label(graph, n, true, false) + "\n");
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
        const auto steps = plan_upgrade(graph, current, "heads");
        const size_t pending = steps.size();
        Json pending_revisions = Json::array();
        std::string pending_lines;
        for (const auto& step : steps) {
            const auto& script = graph.script(step.node);
            pending_revisions.push_back(
                {{"revision", script.revision}, {"message", script.message}});
            pending_lines += fmt::format("    {} {}\n", script.revision, script.message);
        }
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
                             {"pending_revisions", pending_revisions},
                             {"revisions", graph.size()},
                             {"unfinished", unfinished ? Json(unfinished->revision) : Json()}});
        std::string at = rows.empty() ? "base" : fmt::format("{}", fmt::join(rows, ", "));
        std::string state =
            pending == 0 ? out.green("up to date") : out.yellow(fmt::format("{} pending", pending));
        if (unfinished) {
            state += out.yellow(
                fmt::format(", the transaction:false section of {} started at {} has not "
                            "finished (running, or interrupted: see 'fastappkit migrate resolve')",
                            unfinished->revision, unfinished->started_at));
        }
        out.output(fmt::format("{:<20} {:<32} at {:<14} {} applied, {}\n", history->name(),
                               history->version_table(), at, applied, state));
        out.output(pending_lines);  // in the order upgrade runs them
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
        auto applied =
            graph.ancestors(heads_from_versions(graph, db.read_versions(history->version_table())));
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
            std::string now =
                section ? sql_checksum(section->sql) : std::string("(no upgrade section)");
            if (now == it->second) {
                ++verified;
                continue;
            }
            const auto& file = graph.script(n).file;
            changed.push_back({{"history", history->name()},
                               {"revision", graph.id(n)},
                               {"file", file},
                               {"recorded", it->second},
                               {"current", now}});
            out.error(fmt::format(
                "{}: revision {} changed since it was applied ({}: checksum {} recorded, {} now)",
                history->name(), graph.id(n), file, it->second.substr(0, 12), now.substr(0, 12)));
        }
    }
    if (out.json()) {
        print_json({{"changed", changed}, {"verified", verified}, {"unverified", unverified}});
    } else {
        out.line(fmt::format(
            "{} applied migration{} verified, {} changed, {} without a recorded checksum", verified,
            verified == 1 ? "" : "s", changed.size(), unverified));
    }
    return changed.empty() ? 0 : 1;
}

}  // namespace fastappkit
