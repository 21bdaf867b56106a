#include "runner/head_maintainer.h"

#include <algorithm>

#include "common/error.h"

namespace fastappkit {

namespace {

std::vector<std::string> ids(const RevisionGraph& graph, const RevisionGraph::Nodes& nodes) {
    std::vector<std::string> out;
    for (auto n : nodes) out.push_back(graph.id(n));
    return out;
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

bool same_heads(std::vector<std::string> a, std::vector<std::string> b) {
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    return a == b;
}

bool HeadMaintainer::is_head(const std::string& revision) const {
    return contains(heads_, revision);
}

// `revisions` minus everything that is an ancestor of a head other than `excluded`
// (Alembic's merge_branch_idents / _unmerge_to_revisions).
std::vector<std::string> HeadMaintainer::without_ancestors_of_other_heads(
    const std::vector<std::string>& revisions, const std::vector<std::string>& excluded) const {
    RevisionGraph::Nodes others;
    for (const auto& h : heads_) {
        if (!contains(excluded, h)) others.push_back(graph_.find(h));
    }
    if (others.empty()) return revisions;
    auto below = graph_.ancestors(others);
    std::vector<std::string> out;
    for (const auto& r : revisions) {
        if (!below[graph_.find(r)]) out.push_back(r);
    }
    return out;
}

void HeadMaintainer::apply(const VersionOp& op) {
    if (op.kind != VersionOp::Kind::insert)
        heads_.erase(std::find(heads_.begin(), heads_.end(), op.from));
    if (op.kind != VersionOp::Kind::remove) heads_.push_back(op.to);
}

// Rows that are ancestors of another row: Alembic leaves one after a downgrade across a
// dependency (the dependency's row comes back beside the row that depends on it). It adds
// nothing to the state, and would make later steps ambiguous.
std::vector<VersionOp> HeadMaintainer::drop_redundant_heads() {
    std::vector<VersionOp> ops;
    for (const auto& head : std::vector<std::string>(heads_)) {
        if (!without_ancestors_of_other_heads({head}, {head}).empty()) continue;
        ops.push_back({VersionOp::Kind::remove, head, ""});
        apply(ops.back());
    }
    return ops;
}

std::vector<VersionOp> HeadMaintainer::update_to_step(const Step& step) {
    if (step.checkpoint >= 0) {  // on an empty table, the rows the replay it replaces leaves
        std::vector<VersionOp> ops;
        for (const auto& row : step.rows) {
            ops.push_back({VersionOp::Kind::insert, "", row});
            apply(ops.back());
        }
        return ops;
    }
    const std::string& revision = graph_.id(step.node);
    const auto downs = ids(graph_, graph_.normalized_down(step.node));
    const bool upgrade = step.direction == Direction::upgrade;
    const std::vector<VersionOp> redundant = drop_redundant_heads();
    std::vector<VersionOp> ops;
    auto heads_among_downs = [&] {
        std::vector<std::string> out;
        for (const auto& d : downs)
            if (is_head(d)) out.push_back(d);
        return out;
    };

    if (!upgrade && is_head(revision) &&
        (downs.empty() || without_ancestors_of_other_heads(downs, {revision}).empty())) {
        ops.push_back({VersionOp::Kind::remove, revision, ""});  // delete a branch
    } else if (upgrade && (downs.empty() || heads_among_downs().empty())) {
        ops.push_back({VersionOp::Kind::insert, "", revision});  // create a branch
    } else if (upgrade && downs.size() > 1 && heads_among_downs().size() > 1) {
        auto from = without_ancestors_of_other_heads(downs, downs);  // merge
        for (size_t i = 0; i + 1 < from.size(); ++i)
            ops.push_back({VersionOp::Kind::remove, from[i], ""});
        ops.push_back({VersionOp::Kind::update, from.back(), revision});
    } else if (!upgrade && is_head(revision) && downs.size() > 1) {
        auto to = without_ancestors_of_other_heads(downs, {revision});  // unmerge
        for (size_t i = 0; i + 1 < to.size(); ++i)
            ops.push_back({VersionOp::Kind::insert, "", to[i]});
        ops.push_back({VersionOp::Kind::update, revision, to.back()});
    } else {
        std::string down = downs.front();
        if (downs.size() > 1) {
            auto present = heads_among_downs();
            if (upgrade && present.size() != 1) {
                throw failure(graph_.history() + ": Can't do an UPDATE for revision " + revision +
                              " because its down revision is ambiguous");
            }
            if (upgrade) down = present.front();
        }
        ops.push_back(upgrade ? VersionOp{VersionOp::Kind::update, down, revision}
                              : VersionOp{VersionOp::Kind::update, revision, down});
    }
    for (const auto& op : ops) apply(op);
    ops.insert(ops.begin(), redundant.begin(), redundant.end());
    return ops;
}

}  // namespace fastappkit
