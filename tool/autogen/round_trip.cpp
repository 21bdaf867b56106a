#include "autogen/round_trip.h"

#include <fmt/format.h>

#include "autogen/dialects.h"
#include "autogen/schema_diff.h"
#include "common/error.h"
#include "runner/plan.h"

namespace fastappkit {

namespace {

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) out += (out.empty() ? "" : "; ") + line;
    return out;
}

class RoundTripWalk {
public:
    RoundTripWalk(Database& db, History& history)
        : db_(db), history_(history), introspector_(make_introspector(db.dialect())) {}

    RoundTrip run() {
        const auto& graph = history_.graph();
        if (graph.empty()) return result_;
        Schema before = introspector_->read_schema(db_);
        for (const Step& step : plan_upgrade(graph, {}, "heads")) {
            const MigrationScript& script = history_.body(step.node);
            run_section(script, Direction::upgrade);
            if (!result_.irreversible.empty() || !result_.failed_revision.empty()) continue;
            const Schema upgraded = introspector_->read_schema(db_);
            if (!script.section(Direction::downgrade, to_string(db_.dialect()))) {
                result_.irreversible = script.revision;
                continue;  // the rest is upgraded only, for the histories that build on this one
            }
            run_section(script, Direction::downgrade);
            if (differs(script, introspector_->read_schema(db_), before,
                        "its downgrade does not give back the schema before it; the downgrade "
                        "would also need to")) {
                return result_;
            }
            run_section(script, Direction::upgrade);
            before = introspector_->read_schema(db_);
            if (differs(script, before, upgraded,
                        "upgrading it again after its downgrade gives another schema than the "
                        "first upgrade; to match, it would also need to")) {
                return result_;
            }
            ++result_.tested;
        }
        return result_;
    }

private:
    // Records a failure when `actual` is not `expected`; `what` leads into the changes that
    // would turn one into the other.
    bool differs(const MigrationScript& script, const Schema& actual, const Schema& expected,
                 const char* what) {
        const auto changes = diff_schemas(actual, expected).describe();
        if (changes.empty()) return false;
        result_.failed_revision = script.revision;
        result_.failure = fmt::format("{}: revision {} ({}): {}: {}", history_.name(),
                                      script.revision, script.file, what, joined(changes));
        return true;
    }

    void run_section(const MigrationScript& script, Direction direction) {
        const Section* section = script.section(direction, to_string(db_.dialect()));
        if (!section) {
            throw usage_error(fmt::format("{}: revision {} has no {} section for {}", script.file,
                                          script.revision, to_string(direction),
                                          to_string(db_.dialect())));
        }
        try {
            auto tx = section->transactional ? db_.begin() : nullptr;
            db_.execute(section->sql, section->marker_line + 1);
            if (tx) tx->commit();
        } catch (const StatementError& e) {
            throw failure(
                fmt::format("{}: {} of revision {} failed on a scratch database at {}:{}: {} "
                            "(statement: {})",
                            history_.name(), to_string(direction), script.revision, script.file,
                            e.line, e.message, e.statement.substr(0, e.statement.find('\n'))));
        }
    }

    Database& db_;
    History& history_;
    std::unique_ptr<Introspector> introspector_;
    RoundTrip result_;
};

}  // namespace

RoundTrip test_round_trips(Database& db, History& history) {
    return RoundTripWalk(db, history).run();
}

}  // namespace fastappkit
