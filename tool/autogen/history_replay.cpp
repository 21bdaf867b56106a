#include "autogen/history_replay.h"

#include <fmt/format.h>

#include "common/error.h"
#include "runner/plan.h"

namespace fastappkit {

void replay_history(Database& db, History& history) {
    const auto& graph = history.graph();
    if (graph.empty()) return;
    const char* dialect = to_string(db.dialect());
    for (const Step& step : plan_upgrade(graph, {}, "heads")) {
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

}  // namespace fastappkit
