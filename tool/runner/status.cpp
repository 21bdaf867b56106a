#include "runner/status.h"

#include "runner/plan.h"

namespace fastappkit {

HistoryReport history_report(History& history, Database& db) {
    HistoryReport status;
    status.name = history.name();
    status.version_table = history.version_table();
    const auto& graph = history.graph();
    status.rows = db.read_versions(history.version_table());
    for (auto node : graph.heads()) status.heads.push_back(graph.id(node));
    const RevisionGraph::Nodes current = heads_from_versions(graph, status.rows);
    for (const auto& step : plan_upgrade(graph, current, "heads")) {
        const auto& script = graph.script(step.node);
        status.pending.push_back({history.name(), script.revision, script.message});
    }
    for (char below : graph.ancestors(current)) status.applied += static_cast<std::size_t>(below);
    status.revisions = graph.size();
    status.unfinished = find_unfinished_section(db, history.version_table());
    status.edited = verify_history(history, db).edited;
    return status;
}

}  // namespace fastappkit
