// How the version table's rows change as each step runs, exactly as Alembic's
// HeadMaintainer.update_to_step does (runtime/migration.py): a new branch inserts a row, a
// removed branch deletes one, a merge deletes all but one of its parents' rows, an unmerge
// inserts them back, and anything else updates one row.
#pragma once

#include <string>
#include <vector>

#include "runner/plan.h"
#include "script/revision_graph.h"

namespace fastappkit {

struct VersionOp {
    enum class Kind { insert, remove, update };
    Kind kind = Kind::insert;
    std::string from;  // remove/update: the row changed
    std::string to;    // insert/update: the new row
};

class HeadMaintainer {
public:
    HeadMaintainer(const RevisionGraph& graph, std::vector<std::string> heads)
        : graph_(graph), heads_(std::move(heads)) {}

    // The row changes `step` makes; applies them to heads(). The first step also removes
    // every row that is an ancestor of another row.
    std::vector<VersionOp> update_to_step(const Step& step);

    const std::vector<std::string>& heads() const { return heads_; }
    // Takes the rows of another maintainer of the same graph (its steps committed).
    void take_heads_of(const HeadMaintainer& other) { heads_ = other.heads_; }

private:
    bool is_head(const std::string& revision) const;
    std::vector<std::string> without_ancestors_of_other_heads(
        const std::vector<std::string>& revisions, const std::vector<std::string>& excluded) const;
    void apply(const VersionOp& op);
    std::vector<VersionOp> drop_redundant_heads();

    const RevisionGraph& graph_;
    std::vector<std::string> heads_;
};

// True when both hold the same revisions, in any order.
bool same_heads(std::vector<std::string> a, std::vector<std::string> b);

}  // namespace fastappkit
