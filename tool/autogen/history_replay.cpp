#include "autogen/history_replay.h"

#include <cstring>

#include <fmt/format.h>

#include "common/error.h"
#include "runner/plan.h"

namespace fastappkit {

namespace {

void replay_steps(Database& db, History& history, const std::vector<Step>& steps) {
    const char* dialect = to_string(db.dialect());
    for (const Step& step : steps) {
        const MigrationScript& script = history.body(step.node);
        const Section* section = script.section(Direction::upgrade, dialect);
        if (!section) {
            throw usage_error(fmt::format("{}: revision {} has no upgrade section for {}",
                                          script.file, script.revision, dialect));
        }
        try {
            db.execute(section->sql, section->marker_line + 1);
        } catch (const StatementError& e) {
            throw usage_error(fmt::format(
                "{}:{}: replaying revision {} in a scratch database failed: {} (statement: {})",
                script.file, e.line, script.revision, e.message,
                e.statement.substr(0, e.statement.find('\n'))));
        }
    }
}

}  // namespace

void replay_history(Database& db, History& history) {
    const auto& graph = history.graph();
    if (graph.empty()) return;
    replay_steps(db, history, plan_upgrade(graph, {}, "heads"));
}

void replay_history(Database& db, History& history, const RevisionGraph::Nodes& heads) {
    if (heads.empty()) return;
    replay_steps(db, history, plan_from_base(history.graph(), heads));
}

ReplayDatabase::ReplayDatabase(const DatabaseUrl& target, const Introspector& introspector) {
    try {
        database_ = std::make_unique<ScratchDatabase>(target);
    } catch (const Error& error) {
        if (target.dialect == Dialect::sqlite || !std::strstr(error.what(), "permission denied"))
            throw;
        schema_ = introspector.open_scratch(target);
    }
}

}  // namespace fastappkit
