#include "runner/plan.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "runner/head_maintainer.h"
#include "test_support/test_graphs.h"
#include "test_support/test_support.h"

namespace fastappkit {
namespace {

using test_support::graph_of;
using test_support::message_of;
using Strings = std::vector<std::string>;

// Plans a command from `rows` and plays it through the head maintainer, as the migrator does.
struct Database {
    const RevisionGraph& graph;
    Strings rows;
    Strings ran;

    Database& upgrade(const std::string& target) {
        return play(plan_upgrade(graph, heads(), target));
    }
    Database& downgrade(const std::string& target) {
        return play(plan_downgrade(graph, heads(), target));
    }

    RevisionGraph::Nodes heads() const { return heads_from_versions(graph, rows); }
    Database& play(const std::vector<Step>& steps) {
        HeadMaintainer maintainer(graph, rows);
        ran.clear();
        for (const auto& s : steps) {
            maintainer.update_to_step(s);
            ran.push_back(graph.id(s.node));
        }
        rows = maintainer.heads();
        std::sort(rows.begin(), rows.end());
        return *this;
    }
};

TEST(PlanTest, LinearUpgradeAndDowngrade) {
    auto g = graph_of({{"a", {}}, {"b", {"a"}}, {"c", {"b"}}});
    Database db{g, {}, {}};
    EXPECT_EQ((Strings{"a", "b", "c"}), db.upgrade("head").ran);
    EXPECT_EQ((Strings{"c"}), db.rows);
    EXPECT_TRUE(db.upgrade("head").ran.empty());
    EXPECT_EQ((Strings{"c"}), db.downgrade("-1").ran);
    EXPECT_EQ((Strings{"b"}), db.rows);
    EXPECT_EQ((Strings{"b", "a"}), db.downgrade("base").ran);
    EXPECT_TRUE(db.rows.empty());
}

TEST(PlanTest, RelativeTargets) {
    auto g = graph_of({{"a1a1", {}}, {"b2b2", {"a1a1"}}, {"c3c3", {"b2b2"}}});
    Database db{g, {}, {}};
    EXPECT_EQ((Strings{"b2b2"}), db.upgrade("+2").rows);
    EXPECT_EQ((Strings{"c3c3"}), db.upgrade("+1").rows);
    EXPECT_EQ((Strings{"a1a1"}), db.downgrade("b2b2-1").rows);
    EXPECT_EQ((Strings{"b2b2"}), db.upgrade("a1a1+1").rows);
    EXPECT_EQ("core: Relative revision +5 didn't produce 5 migrations",
              message_of([&] { db.upgrade("+5"); }));
    EXPECT_EQ("core: Relative revision -3 didn't produce 3 migrations",
              message_of([&] { db.downgrade("-3"); }));
    EXPECT_EQ("core: Walked too far", message_of([&] { db.downgrade("a1a1-2"); }));
    EXPECT_EQ("Relative revision '+99999999999' is out of range: at most 9 digits of steps",
              message_of([&] { db.upgrade("+99999999999"); }));
    EXPECT_EQ("core: Relative revision +999999999 didn't produce 999999999 migrations",
              message_of([&] { db.upgrade("+999999999"); }));
    Database empty{g, {}, {}};
    EXPECT_EQ("core: Relative revision -1 didn't produce 1 migrations",
              message_of([&] { empty.downgrade("-1"); }));
}

TEST(PlanTest, BranchAndMergeRowsFollowAlembic) {
    auto g = graph_of({{"a", {}}, {"b", {"a"}}, {"c", {"a"}}, {"d", {"b", "c"}}});
    Database db{g, {}, {}};
    EXPECT_EQ((Strings{"b"}), db.upgrade("b").rows);
    EXPECT_EQ((Strings{"b", "c"}), db.upgrade("c").rows);  // a new branch inserts a row
    EXPECT_EQ((Strings{"d"}), db.upgrade("head").rows);  // the merge deletes one, updates the other
    EXPECT_EQ((Strings{"b", "c"}), db.downgrade("b").rows);  // unmerge inserts the row back
    EXPECT_EQ((Strings{"a"}), db.downgrade("c-1").rows);     // both branches above a go
    EXPECT_EQ(2u, db.ran.size());
}

TEST(PlanTest, DowngradeOneBranchDeletesItsRow) {
    auto g = graph_of({{"a", {}}, {"b", {"a"}}, {"c", {"a"}}});
    Database db{g, {}, {}};
    db.upgrade("heads");
    EXPECT_EQ((Strings{"b", "c"}), db.rows);
    EXPECT_EQ((Strings{"c"}), db.downgrade("c@-1").ran);  // only c's branch: a is below b
    EXPECT_EQ((Strings{"b"}), db.rows);
}

TEST(PlanTest, IndependentBasesWithLabels) {
    auto g = graph_of({{"s1", {}, {"shop"}}, {"s2", {"s1"}}, {"n1", {}, {"news"}}, {"n2", {"n1"}}});
    Database db{g, {}, {}};
    EXPECT_EQ((Strings{"s2"}), db.upgrade("shop@head").rows);
    EXPECT_EQ((Strings{"n2", "s2"}), db.upgrade("heads").rows);
    EXPECT_EQ((Strings{"n1", "s2"}), db.downgrade("news@-1").rows);
    EXPECT_EQ((Strings{"s2"}), db.downgrade("news@base").rows);
}

TEST(PlanTest, DependsOnPullsTheDependencyFirst) {
    auto g = graph_of({{"a1", {}, {"accounts"}}, {"a2", {"a1"}}, {"o1", {}, {"orders"}, {"a2"}}});
    Database db{g, {}, {}};
    EXPECT_EQ((Strings{"a1", "a2", "o1"}), db.upgrade("orders@head").ran);
    EXPECT_EQ((Strings{"o1"}), db.rows);  // a2 is an ancestor of o1 through the dependency
    EXPECT_EQ((Strings{"o1", "a2"}), db.downgrade("a1").ran);  // o1 needs a2
    EXPECT_EQ((Strings{"a1"}), db.rows);
}

TEST(PlanTest, MergeOfThree) {
    auto g =
        graph_of({{"r", {}}, {"x", {"r"}}, {"y", {"r"}}, {"z", {"r"}}, {"m", {"x", "y", "z"}}});
    Database db{g, {}, {}};
    EXPECT_EQ((Strings{"m"}), db.upgrade("heads").rows);
    EXPECT_EQ((Strings{"x", "y", "z"}), db.downgrade("x").rows);  // unmerge restores three rows
    EXPECT_EQ((Strings{"r"}), db.downgrade("r").rows);
    EXPECT_EQ(3u, db.ran.size());
}

TEST(PlanTest, StateErrors) {
    auto g = graph_of({{"a", {}}, {"b", {"a"}}, {"c", {"b"}}});
    Database db{g, {"a"}, {}};
    EXPECT_EQ("core: Destination c is not a valid downgrade target from current head(s)",
              message_of([&] { db.downgrade("c"); }));
    EXPECT_EQ(
        "core: Can't locate revision identified by 'zzz' (the database records it, but no "
        "migration "
        "file of this history defines it)",
        message_of(ExitCode::failure, [&] { heads_from_versions(g, {"zzz"}); }));
}

TEST(PlanTest, AmbiguousWalkAcrossAMerge) {
    auto g = graph_of({{"a", {}}, {"b", {"a"}}, {"c", {"a"}}, {"d", {"b", "c"}}});
    Database db{g, {"d"}, {}};
    EXPECT_EQ("core: Ambiguous walk", message_of([&] { db.downgrade("-2"); }));
}

}  // namespace
}  // namespace fastappkit
