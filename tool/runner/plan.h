// Which revisions an upgrade or downgrade runs, and in what order, with Alembic's semantics
// (RevisionMap._collect_upgrade_revisions / _collect_downgrade_revisions and relative
// arguments such as +2, -1, ae10+2, branch@-1).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "script/migration_file.h"
#include "script/revision_graph.h"

namespace fastappkit {

struct Step {
    Step() = default;
    Step(RevisionGraph::Node n, Direction d) : node(n), direction(d) {}

    RevisionGraph::Node node = -1;
    Direction direction = Direction::upgrade;
    // A checkpoint's step (docs/checkpoints.md) runs graph.checkpoints()[checkpoint] in place
    // of base→node and leaves `rows` in the version table: the rows that replay would leave.
    int checkpoint = -1;
    std::vector<std::string> rows;
};

// Maps the version table's rows to revisions. A row no file defines is the state error
// (exit 1) "Can't locate revision identified by '<rev>'".
RevisionGraph::Nodes heads_from_versions(const RevisionGraph& graph,
                                         const std::vector<std::string>& versions);

// Steps that bring `current` up to `target`, dependencies first. Errors are usage errors
// (exit 2) with Alembic's wording.
std::vector<Step> plan_upgrade(const RevisionGraph& graph, const RevisionGraph::Nodes& current,
                               const std::string& target);

// plan_upgrade from no version rows: where a checkpoint covers revisions the plan runs, its
// step runs in their place (the checkpoint replacing the most of them), then the rest of the
// plan from the version rows it leaves.
// `usable(i)`: whether checkpoint i can run here (it has an upgrade section for the dialect).
std::vector<Step> plan_fresh_upgrade(const RevisionGraph& graph, const std::string& target,
                                     const std::function<bool(size_t)>& usable);

// Every revision at or below `heads` (dependencies included), from base up, in the order an
// upgrade runs them: what a database whose version rows name `heads` has applied.
std::vector<Step> plan_from_base(const RevisionGraph& graph, const RevisionGraph::Nodes& heads);

// Steps that bring `current` down to `target`, dependents first. A target that is not below
// the current heads is a state error (exit 1).
std::vector<Step> plan_downgrade(const RevisionGraph& graph, const RevisionGraph::Nodes& current,
                                 const std::string& target);

// Every revision, newest first, in the order `alembic history` prints them.
std::vector<RevisionGraph::Node> history_order(const RevisionGraph& graph);

}  // namespace fastappkit
