#include "runner/head_maintainer.h"

#include <gtest/gtest.h>

#include "test_support/test_graphs.h"

namespace fastappkit {
namespace {

using test_support::graph_of;
using Kind = VersionOp::Kind;

std::string describe(const std::vector<VersionOp>& ops) {
    std::string out;
    for (const auto& op : ops) {
        if (!out.empty()) out += "; ";
        out += op.kind == Kind::insert   ? "insert " + op.to
               : op.kind == Kind::remove ? "delete " + op.from
                                         : "update " + op.from + "->" + op.to;
    }
    return out;
}

Step up(const RevisionGraph& g, const std::string& id) { return {g.find(id), Direction::upgrade}; }
Step down(const RevisionGraph& g, const std::string& id) {
    return {g.find(id), Direction::downgrade};
}

TEST(HeadMaintainerTest, InsertUpdateDeleteOnALine) {
    auto g = graph_of({{"a", {}}, {"b", {"a"}}});
    HeadMaintainer heads(g, {});
    EXPECT_EQ("insert a", describe(heads.update_to_step(up(g, "a"))));
    EXPECT_EQ("update a->b", describe(heads.update_to_step(up(g, "b"))));
    EXPECT_EQ("update b->a", describe(heads.update_to_step(down(g, "b"))));
    EXPECT_EQ("delete a", describe(heads.update_to_step(down(g, "a"))));
    EXPECT_TRUE(heads.heads().empty());
}

TEST(HeadMaintainerTest, MergeAndUnmerge) {
    auto g = graph_of({{"a", {}}, {"b", {"a"}}, {"c", {"a"}}, {"d", {"b", "c"}}});
    HeadMaintainer heads(g, {"b", "c"});
    EXPECT_EQ("delete b; update c->d", describe(heads.update_to_step(up(g, "d"))));
    EXPECT_EQ("insert b; update d->c", describe(heads.update_to_step(down(g, "d"))));
    EXPECT_TRUE(same_heads({"c", "b"}, heads.heads()));
}

TEST(HeadMaintainerTest, NewBranchInsertsAndRemovedBranchDeletes) {
    auto g = graph_of({{"a", {}}, {"b", {"a"}}, {"c", {"a"}}});
    HeadMaintainer heads(g, {"b"});
    EXPECT_EQ("insert c", describe(heads.update_to_step(up(g, "c"))));
    // c's parent a is still below b: downgrading c removes its row.
    EXPECT_EQ("delete c", describe(heads.update_to_step(down(g, "c"))));
}

TEST(HeadMaintainerTest, MergeWhoseParentIsAlreadyBelowAnotherHead) {
    // d merges b and c while only c is a head: an ordinary update.
    auto g = graph_of({{"a", {}}, {"b", {"a"}}, {"c", {"b"}}, {"d", {"b", "c"}}});
    HeadMaintainer heads(g, {"c"});
    EXPECT_EQ("update c->d", describe(heads.update_to_step(up(g, "d"))));
}

TEST(HeadMaintainerTest, DependencyCountsAsADownRevision) {
    auto g = graph_of({{"a", {}}, {"b", {}, {}, {"a"}}});
    HeadMaintainer heads(g, {"a"});
    EXPECT_EQ("update a->b", describe(heads.update_to_step(up(g, "b"))));
}

// Alembic can leave the row of a dependency beside the row that depends on it; the next
// write removes it.
TEST(HeadMaintainerTest, FirstStepRemovesARowThatIsAnAncestorOfAnother) {
    auto g = graph_of({{"a", {}}, {"b", {"a"}}, {"x", {}, {}, {"a"}}, {"y", {"x"}}});
    HeadMaintainer heads(g, {"a", "x"});
    EXPECT_EQ("delete a; update x->y", describe(heads.update_to_step(up(g, "y"))));
    EXPECT_EQ((std::vector<std::string>{"y"}), heads.heads());
    HeadMaintainer other(g, {"x", "a"});
    EXPECT_EQ("delete a; insert b", describe(other.update_to_step(up(g, "b"))));
    EXPECT_TRUE(same_heads({"x", "b"}, other.heads()));
}

}  // namespace
}  // namespace fastappkit
