#include "runner/step_statements.h"

#include <fmt/format.h>

#include "common/clock.h"
#include "common/error.h"
#include "db/schema_sql.h"
#include "runner/sql_renderer.h"
#include "runner/unfinished_section.h"
#include "script/checksum.h"

namespace fastappkit {

namespace {

const Section& section_of(History& history, const MigrationScript& script, const Step& step,
                          Dialect dialect) {
    if (const Section* found = script.section(step.direction, to_string(dialect))) return *found;
    if (step.direction == Direction::upgrade) {
        throw usage_error(
            fmt::format("{}: revision {} has no upgrade section", script.file, script.revision));
    }
    throw failure(fmt::format(
        "{}: cannot downgrade across revision {}: {} has no downgrade section, so it is "
        "irreversible; nothing was changed",
        history.name(), script.revision, script.file));
}

bool same(const Timeouts& a, const Timeouts& b) {
    return a.lock_timeout == b.lock_timeout && a.statement_timeout == b.statement_timeout;
}

}  // namespace

StepStatements::StepStatements(History& history, const Step& step, Dialect dialect)
    : history_(history),
      step_(step),
      dialect_(dialect),
      script_(history.body(step)),
      section_(&section_of(history, script_, step, dialect)),
      timeouts_(history.settings().timeouts.overridden_by(script_.timeouts)) {
    if (!section_->transactional)
        mark_ = section_mark_sql(history.version_table(), script_.revision, step.direction,
                                 *section_);
}

std::vector<std::string> StepStatements::limits() const {
    return timeout_sql(dialect_, timeouts_, true);
}

std::vector<std::string> StepStatements::session_limits() const {
    return timeout_sql(dialect_, timeouts_, false);
}

std::vector<std::string> StepStatements::prepare(bool create_version_table) const {
    std::vector<std::string> out;
    if (create_version_table) out.push_back(create_version_table_sql(history_.version_table()));
    if (!mark_.empty()) out.push_back(mark_);
    return out;
}

std::vector<std::string> StepStatements::progress_updates() const {
    if (mark_.empty()) return {};
    return expected_progress_updates(history_.version_table(), *section_);
}

std::vector<std::string> StepStatements::record(HeadMaintainer& heads,
                                                const std::string& duration_sql) const {
    const std::string& version_table = history_.version_table();
    std::vector<std::string> out;
    for (const auto& op : heads.update_to_step(step_)) {
        out.push_back(render_version_op(version_table, op));
    }
    out.push_back(insert_history_sql({version_table, script_.revision, recorded_as(step_),
                                      sql_checksum(section_->sql), utc_timestamp(), 0},
                                     duration_sql));
    if (!mark_.empty()) out.push_back(clear_section_mark_sql(version_table));
    return out;
}

bool joins_batch(const Timeouts& batch, const StepStatements& next) {
    return next.section().transactional && same(batch, next.timeouts());
}

const char* recorded_as(const Step& step) {
    return step.checkpoint >= 0 ? "checkpoint" : to_string(step.direction);
}

std::string step_title(const RevisionGraph& graph, const Step& step) {
    const std::string& rev = graph.id(step.node);
    if (step.checkpoint >= 0) return fmt::format("checkpoint base -> {}", rev);
    std::string downs = join_ids(graph, graph.down(step.node));
    return step.direction == Direction::upgrade ? fmt::format("upgrade {} -> {}", downs, rev)
                                                : fmt::format("downgrade {} -> {}", rev, downs);
}

}  // namespace fastappkit
