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

namespace fastappkit {
namespace {

// A history a -> b -> c -> d with a side branch x (from a, merged by c) and a checkpoint of c.
RevisionGraph checkpointed(bool c_file_deleted = false, bool replaced_files_deleted = false) {
    std::vector<MigrationScript> scripts;
    auto add = [&](const std::string& id, Strings down) {
        MigrationScript s;
        s.file = id + ".sql";
        s.revision = id;
        s.down_revisions = std::move(down);
        scripts.push_back(std::move(s));
    };
    if (!replaced_files_deleted) {
        add("a", {});
        add("b", {"a"});
        add("x", {"a"});
    }
    if (!c_file_deleted) add("c", {"b", "x"});
    add("d", {"c"});
    MigrationScript checkpoint;
    checkpoint.file = "c_checkpoint.sql";
    checkpoint.revision = checkpoint.checkpoint = "c";
    checkpoint.replaces = {"a", "b", "x", "c"};
    scripts.push_back(std::move(checkpoint));
    return RevisionGraph("core", std::move(scripts));
}

Strings step_ids(const RevisionGraph& graph, const std::vector<Step>& steps) {
    Strings out;
    for (const auto& step : steps)
        out.push_back((step.checkpoint >= 0 ? "checkpoint " : "") + graph.id(step.node));
    return out;
}

const auto kAnyCheckpoint = [](size_t) { return true; };

TEST(CheckpointPlan, FreshUpgradeRunsTheCheckpointThenTheRest) {
    const RevisionGraph graph = checkpointed();
    ASSERT_EQ(graph.size(), 5u);  // the checkpoint is no node while c's file is there
    ASSERT_EQ(graph.checkpoints().size(), 1u);
    EXPECT_FALSE(graph.checkpoints()[0].stands_in);
    // held in memory, its body follows the nodes'
    EXPECT_EQ(graph.body_index(0), 5);
    EXPECT_EQ(graph.script_at(5).file, "c_checkpoint.sql");
    EXPECT_EQ(graph.script_at(graph.find("c")).file, "c.sql");
    const auto steps = plan_fresh_upgrade(graph, "heads", kAnyCheckpoint);
    EXPECT_EQ(step_ids(graph, steps), (Strings{"checkpoint c", "d"}));
    EXPECT_EQ(steps[0].rows, Strings{"c"});
    // below the checkpoint, or when it cannot run here, the plan replays
    EXPECT_EQ(step_ids(graph, plan_fresh_upgrade(graph, "b", kAnyCheckpoint)),
              (Strings{"a", "b"}));
    EXPECT_EQ(step_ids(graph, plan_fresh_upgrade(graph, "heads", [](size_t) { return false; }))
                  .size(),
              5u);
    // a database with version rows never runs it
    EXPECT_EQ(step_ids(graph, plan_upgrade(graph, heads_from_versions(graph, {"x"}), "heads")),
              (Strings{"b", "c", "d"}));
}

TEST(CheckpointPlan, DeletedFilesLeaveTheCheckpointStandingIn) {
    const RevisionGraph graph = checkpointed(true, true);
    ASSERT_EQ(graph.size(), 2u);
    EXPECT_TRUE(graph.checkpoints()[0].stands_in);
    EXPECT_EQ(graph.body_index(0), graph.find("c"));  // a node
    EXPECT_EQ(graph.script(graph.find("c")).file, "c_checkpoint.sql");
    EXPECT_EQ(step_ids(graph, plan_fresh_upgrade(graph, "heads", kAnyCheckpoint)),
              (Strings{"c", "d"}));
    EXPECT_EQ(graph.replaced_by("x")->file, "c_checkpoint.sql");
    EXPECT_EQ(graph.replaced_by("c"), nullptr);
    const std::string message = message_of([&] { heads_from_versions(graph, {"b"}); });
    EXPECT_NE(message.find("the database is at revision b, which checkpoint c_checkpoint.sql "
                           "replaced"),
              std::string::npos)
        << message;
}

TEST(CheckpointPlan, LeftoverReplacedFilesAreSetAsideAndTwoCheckpointsRefused) {
    const RevisionGraph graph = checkpointed(true, false);  // c deleted, a, b, x left behind
    EXPECT_EQ(graph.size(), 2u);
    EXPECT_EQ(graph.find("a"), -1);
    std::vector<MigrationScript> scripts;
    for (int i = 0; i < 2; ++i) {
        MigrationScript s;
        s.file = "c" + std::to_string(i) + "_checkpoint.sql";
        s.revision = s.checkpoint = "c";
        scripts.push_back(s);
    }
    EXPECT_EQ(message_of([&] { RevisionGraph("core", scripts); }),
              "core: Revision c has two checkpoints (c0_checkpoint.sql and c1_checkpoint.sql); "
              "delete one");
}

}  // namespace
}  // namespace fastappkit
