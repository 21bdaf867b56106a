// Read-only commands: current, history, heads, status, verify. They open the database
// read-only, so a missing SQLite file stays missing.
#include <algorithm>
#include <iostream>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "runner/history_migrator.h"
#include "runner/plan.h"
#include "runner/status.h"
#include "runner/unfinished_section.h"
#include "runner/verification.h"

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

// Alembic's history line: "<down> (<depends_on>) -> <revision> (<labels>) …, <message>", with
// " (current)" after the labels of a revision the database is at (--indicate-current).
std::string history_line(const RevisionGraph& graph, Node n, bool current) {
    const MigrationScript& script = graph.script(n);
    std::string downs = script.down_revisions.empty()
                            ? "<base>"
                            : fmt::format("{}", fmt::join(script.down_revisions, ", "));
    if (!script.depends_on.empty())
        downs += fmt::format(" ({})", fmt::join(script.depends_on, ", "));
    return fmt::format("{} -> {}{}, {}", downs, revision_label(graph, n, true, true),
                       current ? " (current)" : "", script.message);
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

int migrate_history(Session& session, const std::string& app, bool indicate_current) {
    History& history = session.history_for(app);
    const auto& graph = history.graph();
    Nodes current;  // with --indicate-current: the revisions the database is at
    if (indicate_current) {
        Database& db = session.database(true);
        current = heads_from_versions(graph, db.read_versions(history.version_table()));
    }
    Json rows = Json::array();
    std::string text;
    for (const Node n : history_order(graph)) {
        const auto& script = graph.script(n);
        const bool is_current = std::find(current.begin(), current.end(), n) != current.end();
        text += history_line(graph, n, is_current) + "\n";
        rows.push_back({{"revision", script.revision},
                        {"down_revisions", script.down_revisions},
                        {"depends_on", script.depends_on},
                        {"branch_labels", graph.labels(n)},
                        {"message", script.message},
                        {"file", script.file}});
        if (indicate_current) rows.back()["current"] = is_current;
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

int migrate_status(Session& session, bool exit_code) {
    Database& db = session.database(true);
    bool any_pending = false, any_edited = false;
    Json histories = Json::array();
    auto& out = session.reporter();
    const DatabaseUrl url = session.database_url();
    const std::string database =
        url.dialect == Dialect::sqlite ? url.sqlite_path.string() : url.masked();
    out.output(fmt::format("Database: {} ({})\n", database,
                           url.dialect == Dialect::sqlite ? "SQLite" : "PostgreSQL"));
    for (History* history : session.all_histories()) {
        const HistoryReport status = history_report(*history, db);
        const auto& rows = status.rows;
        const size_t pending = status.pending.size();
        Json pending_revisions = Json::array();
        std::string pending_lines;
        for (const auto& revision : status.pending) {
            pending_revisions.push_back(
                {{"revision", revision.revision}, {"message", revision.message}});
            pending_lines += fmt::format("    {} {}\n", revision.revision, revision.message);
        }
        // A runner may be running it now; otherwise `migrate resolve` is due.
        const auto& unfinished = status.unfinished;
        Json section;  // null without a mark
        if (unfinished) {
            const SectionProgress& progress = unfinished->progress;
            auto known = [&](int value) { return progress.known() ? Json(value) : Json(); };
            section = {
                {"revision", unfinished->revision},
                {"direction", to_string(unfinished->direction)},
                {"started_at", unfinished->started_at},
                {"completed_statements", known(progress.completed)},
                {"statements", known(progress.statements)},
                {"completed_line", progress.completed > 0 ? Json(progress.completed_line) : Json()},
                {"next_line", progress.next_line > 0 ? Json(progress.next_line) : Json()}};
        }
        histories.push_back({{"name", history->name()},
                             {"version_table", history->version_table()},
                             {"current", rows},
                             {"applied", status.applied},
                             {"pending", pending},
                             {"pending_revisions", pending_revisions},
                             {"revisions", status.revisions},
                             {"unfinished", unfinished ? Json(unfinished->revision) : Json()},
                             {"unfinished_section", section}});
        std::string at = rows.empty() ? "base" : fmt::format("{}", fmt::join(rows, ", "));
        std::string state =
            pending == 0 ? out.green("up to date") : out.yellow(fmt::format("{} pending", pending));
        if (unfinished) {
            const std::string so_far = completed_statements(unfinished->progress);
            state += out.yellow(fmt::format(
                ", the transaction:false section of {} started at {} has not finished{} "
                "(running, or interrupted: see 'fastappkit migrate resolve')",
                unfinished->revision, unfinished->started_at,
                so_far.empty() ? "" : ": " + so_far + " so far"));
        }
        out.output(fmt::format("{:<20} {:<32} at {:<14} {} applied, {}\n", history->name(),
                               history->version_table(), at, status.applied, state));
        out.output(pending_lines);  // in the order upgrade runs them
        Json edited = Json::array();
        for (const auto& e : status.edited) {
            edited.push_back({{"revision", e.revision}, {"file", e.file}});
            out.output(out.yellow(
                fmt::format("    {} edited since it was applied: {}\n", e.revision, e.file)));
        }
        histories.back()["edited"] = edited;
        any_pending = any_pending || pending > 0;
        any_edited = any_edited || !edited.empty();
    }
    if (any_edited && !out.json()) {
        out.output(
            fmt::format("An applied migration was edited: {}; 'fastappkit migrate verify' "
                        "lists them\n",
                        kEditedMigrationAdvice));
    }
    if (out.json()) print_json({{"database", database}, {"histories", histories}});
    return exit_code && any_pending ? 1 : 0;
}

// Compares each applied revision's recorded checksum with its file now; revisions applied
// without a history row (stamped, or by Alembic) are reported as unverified.
int migrate_verify(Session& session) {
    Database& db = session.database(true);
    Json changed = Json::array();
    size_t verified = 0, unverified = 0, edited = 0;
    auto& out = session.reporter();
    for (History* history : session.all_histories()) {
        const Verification result = verify_history(*history, db);
        verified += result.verified;
        unverified += result.unverified;
        edited += result.edited.size();
        for (const auto& e : result.edited) {
            changed.push_back({{"history", e.history},
                               {"revision", e.revision},
                               {"file", e.file},
                               {"recorded", e.recorded},
                               {"current", e.current}});
            out.error(fmt::format(
                "{}: revision {} changed since it was applied ({}: checksum {} recorded, {} now); "
                "{}",
                e.history, e.revision, e.file, e.recorded.substr(0, 12), e.current.substr(0, 12),
                kEditedMigrationAdvice));
        }
    }
    if (out.json()) {
        print_json({{"changed", changed}, {"verified", verified}, {"unverified", unverified}});
    } else {
        out.line(fmt::format(
            "{} applied migration{} verified, {} changed, {} without a recorded checksum", verified,
            verified == 1 ? "" : "s", edited, unverified));
    }
    return edited == 0 ? 0 : 1;
}

}  // namespace fastappkit
