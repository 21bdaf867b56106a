#include "script/revision_graph.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "test_support/test_graphs.h"
#include "test_support/test_support.h"

namespace fastappkit {
namespace {

using test_support::graph_of;
using test_support::ids;
using test_support::message_of;
using Strings = std::vector<std::string>;

TEST(RevisionGraphTest, HeadsAndBasesOfABranchAndMerge) {
    auto g =
        graph_of({{"a1", {}}, {"b1", {"a1"}}, {"c1", {"a1"}}, {"d1", {"b1", "c1"}}, {"e1", {}}});
    EXPECT_EQ((Strings{"d1", "e1"}), ids(g, g.heads()));
    EXPECT_EQ((Strings{"a1", "e1"}), ids(g, g.bases()));
    EXPECT_EQ((Strings{"b1", "c1"}), ids(g, g.children(g.find("a1"))));
}

TEST(RevisionGraphTest, ResolvesHeadHeadsBaseAndPrefixes) {
    auto g = graph_of(
        {{"ae1027a6acf", {}}, {"ae10b2c3d4e", {"ae1027a6acf"}}, {"27c6a30d7c24", {"ae10b2c3d4e"}}});
    EXPECT_EQ((Strings{"27c6a30d7c24"}), ids(g, g.resolve("head")));
    EXPECT_EQ((Strings{"27c6a30d7c24"}), ids(g, g.resolve("heads")));
    EXPECT_TRUE(g.resolve("base").empty());
    EXPECT_EQ((Strings{"ae1027a6acf"}), ids(g, g.resolve("ae102")));
    EXPECT_EQ("core: Multiple revisions start with 'ae10': ae1027a6acf, ae10b2c3d4e",
              message_of([&] { g.resolve("ae10"); }));
    EXPECT_EQ("core: Can't locate revision identified by 'ffff'",
              message_of([&] { g.resolve("ffff"); }));
}

TEST(RevisionGraphTest, SeveralHeadsMakeHeadAmbiguous) {
    auto g = graph_of({{"a1", {}}, {"b1", {"a1"}}, {"c1", {"a1"}}});
    EXPECT_EQ(
        "core: Multiple head revisions are present for given argument 'head' (b1, c1); please "
        "specify "
        "a specific target revision, '<branchname>@head' to narrow to a specific head, or 'heads' "
        "for "
        "all heads, or join them with 'fastappkit migrate merge'",
        message_of([&] { g.resolve("head"); }));
    EXPECT_EQ((Strings{"b1", "c1"}), ids(g, g.resolve("heads")));
}

TEST(RevisionGraphTest, BranchLabelsSelectTheirLineage) {
    auto g = graph_of({{"a1", {}, {"shop"}}, {"a2", {"a1"}}, {"b1", {}, {"blog"}}, {"b2", {"b1"}}});
    EXPECT_EQ((Strings{"a2"}), ids(g, g.resolve("shop@head")));
    EXPECT_EQ((Strings{"b2"}), ids(g, g.resolve("blog@head")));
    EXPECT_EQ((Strings{"b1"}), ids(g, g.resolve("blog")));
    EXPECT_TRUE(g.has_label(g.find("b2"), "blog"));
    EXPECT_FALSE(g.has_label(g.find("a2"), "blog"));
    EXPECT_EQ("core: Revision a2 is not a member of branch 'blog'",
              message_of([&] { g.resolve("blog@a2"); }));
}

TEST(RevisionGraphTest, DependenciesAreAncestorsButNotVersionedParents) {
    auto g = graph_of({{"a1", {}}, {"b1", {}, {}, {"a1"}}, {"b2", {"b1"}, {}, {"a1"}}});
    // b2's dependency on a1 is already b1's: it is not an immediate down revision of b2.
    EXPECT_EQ((Strings{"b1"}), ids(g, g.normalized_down(g.find("b2"))));
    EXPECT_EQ((Strings{"a1"}), ids(g, g.normalized_down(g.find("b1"))));
    EXPECT_EQ((Strings{"a1", "b2"}), ids(g, g.heads()));  // a1 has no versioned child
    EXPECT_EQ((Strings{"b2"}), ids(g, g.real_heads()));   // but b1 depends on it
    auto up = g.ancestors({g.find("b2")});
    EXPECT_TRUE(up[g.find("a1")]);
    EXPECT_FALSE(g.ancestors({g.find("b2")}, false)[g.find("a1")]);
}

TEST(RevisionGraphTest, DependencyOnALabelMeansTheLabelledRevision) {
    auto g = graph_of({{"a1", {}, {"accounts"}}, {"b1", {}, {}, {"accounts"}}});
    EXPECT_EQ((Strings{"a1"}), ids(g, g.normalized_down(g.find("b1"))));
}

TEST(RevisionGraphTest, ReportsDuplicatesDanglingReferencesAndCycles) {
    EXPECT_EQ("core: Revision a1 is present more than once (a1.sql and a1.sql)", message_of([] {
                  graph_of({{"a1", {}}, {"a1", {}}});
              }));
    EXPECT_EQ("core: b1.sql: Revision zz referenced from b1 is not present", message_of([] {
                  graph_of({{"a1", {}}, {"b1", {"zz"}}});
              }));
    EXPECT_EQ("core: b1.sql: Revision nope referenced from b1 is not present", message_of([] {
                  graph_of({{"b1", {}, {}, {"nope"}}});
              }));
    EXPECT_EQ("core: Cycle is detected in revisions (a1, b1, c1)", message_of([] {
                  graph_of({{"a1", {"c1"}}, {"b1", {"a1"}}, {"c1", {"b1"}}});
              }));
    EXPECT_EQ("core: Dependency cycle is detected in revisions (a1, b1)", message_of([] {
                  graph_of({{"a1", {}, {}, {"b1"}}, {"b1", {"a1"}}});
              }));
    EXPECT_EQ("core: Self-loop is detected in revisions (a1)", message_of([] {
                  graph_of({{"a1", {"a1"}}});
              }));
}

TEST(RevisionGraphTest, DuplicateBranchLabelsAreErrors) {
    EXPECT_EQ("core: b1.sql: Branch name 'x' in revision b1 already used by revision a1",
              message_of([] {
                  graph_of({{"a1", {}, {"x"}}, {"b1", {}, {"x"}}});
              }));
}

}  // namespace
}  // namespace fastappkit
