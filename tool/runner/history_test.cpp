// A History over a shared graph (how a program's embedded migrations run): bodies are loaded
// into the History's own copies, and the graph every call shares is never written.
#include "runner/history.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace fastappkit {
namespace {

MigrationScript header(const std::string& rev, const std::string& down) {
    MigrationScript script;
    script.file = "versions/" + rev + "_x.sql";
    script.revision = rev;
    script.message = "create " + rev;
    if (!down.empty()) script.down_revisions = {down};
    return script;
}

std::shared_ptr<const RevisionGraph> shared_graph() {
    return std::make_shared<const RevisionGraph>(
        "core", std::vector<MigrationScript>{header("a1", ""), header("b2", "a1")});
}

// Sections "CREATE TABLE t<node>", counting the loads.
History::BodyLoader counting_loader(int& loads) {
    return [&loads](RevisionGraph::Node node) {
        ++loads;
        Section upgrade;
        upgrade.sql = "CREATE TABLE t" + std::to_string(node) + " (id INTEGER);";
        return std::vector<Section>{upgrade};
    };
}

TEST(HistoryOverSharedGraph, LoadsBodiesIntoItsOwnCopiesAndLeavesTheGraphAsItWas) {
    const auto graph = shared_graph();
    int loads = 0;
    History first("core", "alembic_version", graph, counting_loader(loads));
    History second("core", "alembic_version", graph, counting_loader(loads));
    const RevisionGraph::Node b2 = graph->find("b2");

    const MigrationScript& body = first.body(b2);
    EXPECT_TRUE(body.body_loaded);
    ASSERT_EQ(1u, body.sections.size());
    EXPECT_EQ("CREATE TABLE t1 (id INTEGER);", body.sections[0].sql);
    EXPECT_EQ("b2", body.revision);
    EXPECT_EQ(std::vector<std::string>{"a1"}, body.down_revisions);
    EXPECT_EQ(body.sections[0].sql.size(), first.loaded_body_bytes());
    EXPECT_EQ(&first.body(b2), &body);  // loaded once
    EXPECT_EQ(1, loads);

    EXPECT_FALSE(graph->script(b2).body_loaded);  // the shared graph holds headers only
    EXPECT_TRUE(graph->script(b2).sections.empty());
    EXPECT_EQ(graph.get(), &first.graph());
    EXPECT_EQ(graph.get(), &second.graph());
    EXPECT_EQ(0u, second.loaded_body_bytes());
    EXPECT_EQ("CREATE TABLE t1 (id INTEGER);", second.body(b2).sections[0].sql);
    EXPECT_EQ(2, loads);
}

TEST(HistoryOverSharedGraph, ReleasedBodyKeepsItsHeaderAndLoadsAgainWhenAskedFor) {
    int loads = 0;
    History history("core", "alembic_version", shared_graph(), counting_loader(loads));
    const MigrationScript& body = history.body(0);
    history.release_body(0);
    // A reference taken before the release still names the revision (messages use it).
    EXPECT_EQ("a1", body.revision);
    EXPECT_EQ("versions/a1_x.sql", body.file);
    EXPECT_FALSE(body.body_loaded);
    EXPECT_TRUE(body.sections.empty());
    EXPECT_EQ(0u, history.loaded_body_bytes());

    EXPECT_EQ("CREATE TABLE t0 (id INTEGER);", history.body(0).sections.at(0).sql);
    EXPECT_EQ(2, loads);
    history.release_body(1);  // never loaded: nothing to drop
    EXPECT_EQ(history.body(0).sections.at(0).sql.size(), history.loaded_body_bytes());
}

}  // namespace
}  // namespace fastappkit
