// check_drift() on SQLite files: what a fleet gets back when it calls it on an open database.
#include "autogen/drift.h"

#include <gtest/gtest.h>

#include "test_support/test_support.h"

namespace fastappkit {
namespace {

using test_support::message_of;
using test_support::ScopedTempDir;

std::string revision_file(const std::string& revision, const std::string& down,
                          const std::string& upgrade) {
    return "-- revision: " + revision + "\n-- down_revision: " + (down.empty() ? "none" : down) +
           "\n-- message: m\n\n-- migrate:upgrade\n" + upgrade + "\n\n-- migrate:downgrade\n";
}

class DriftTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_.write(
            "versions/a1_a.sql",
            revision_file("a1a1a1a1a1a1", "", "CREATE TABLE account (id INTEGER, name TEXT);"));
        dir_.write("versions/b2_b.sql", revision_file("b2b2b2b2b2b2", "a1a1a1a1a1a1",
                                                      "CREATE TABLE later (id INTEGER);"));
        url_ = parse_database_url("sqlite:///" + dir_.str("live.db"), dir_.path());
        // The database at a1a1a1a1a1a1, as the runner leaves it.
        open_database(url_, OpenOptions{})
            ->execute(
                "CREATE TABLE account (id INTEGER, name TEXT);"
                "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);"
                "INSERT INTO alembic_version VALUES ('a1a1a1a1a1a1');");
    }

    DriftReport check() {
        History history("core", "alembic_version", dir_ / "versions");
        OpenOptions read_only;
        read_only.read_only = true;
        auto live = open_database(url_, read_only);
        return check_drift(*live, url_, {&history});
    }

    ScopedTempDir dir_;
    DatabaseUrl url_;
};

TEST_F(DriftTest, NoDriftAgainstTheAppliedRevisionsNotTheFilesHeads) {
    const DriftReport report = check();
    ASSERT_EQ(report.histories.size(), 1u);
    EXPECT_TRUE(report.empty());
    EXPECT_EQ(report.histories[0].replayed, 1u);
    EXPECT_EQ(report.histories[0].applied, std::vector<std::string>{"a1a1a1a1a1a1"});
    EXPECT_FALSE(report.scratch_schema);
}

TEST_F(DriftTest, AnIndexAddedOutOfBandComesWithItsSql) {
    open_database(url_, OpenOptions{})->execute("CREATE INDEX account_name_idx ON account (name)");
    const DriftReport report = check();
    ASSERT_FALSE(report.empty());
    const auto& findings = report.histories[0].findings;
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].text(),
              "drift: table account: index account_name_idx (name) added out of band");
    EXPECT_EQ(findings[0].kind, "index_added");
    EXPECT_EQ(findings[0].reproduce_sql, "CREATE INDEX account_name_idx ON account (name);\n");
    EXPECT_EQ(findings[0].revert_sql, "DROP INDEX account_name_idx;\n");
    EXPECT_EQ(report.histories[0].revert_sql, "DROP INDEX account_name_idx;\n");
}

TEST_F(DriftTest, AVersionRowNoFileDefinesIsAUsageError) {
    open_database(url_, OpenOptions{})
        ->execute("UPDATE alembic_version SET version_num = 'ffffffffffff'");
    EXPECT_EQ(message_of(ExitCode::usage, [&] { check(); }),
              "core: the database's alembic_version names revision 'ffffffffffff', which no "
              "migration file in " +
                  dir_.str("versions") +
                  " defines; drift is measured against the applied revisions, so their files "
                  "are needed");
}

}  // namespace
}  // namespace fastappkit
