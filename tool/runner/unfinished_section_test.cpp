// The mark of a transaction:false section on a SQLite file: how far the section got, as the
// runner records it statement by statement and as the refusal, status and resolve read it; and a
// mark an older fastappkit left, in a table without the progress columns.
#include "runner/unfinished_section.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/error.h"
#include "db/schema_sql.h"
#include "db/sqlite_database.h"
#include "test_support/test_support.h"

namespace fastappkit {
namespace {

namespace fs = std::filesystem;
using test_support::message_of;

// Lines 6, 7 and 9 of its file, after the marker on line 5.
constexpr const char* kThreeStatements =
    "CREATE TABLE t_one (id INTEGER);\nCREATE TABLE t_two (id INTEGER);\n\nINSERT INTO nope "
    "VALUES (1);\n";

// fastappkit_unfinished as fastappkit 0.x created it: no progress columns.
constexpr const char* kOlderTable =
    "CREATE TABLE fastappkit_unfinished (version_table VARCHAR(64) NOT NULL, revision "
    "VARCHAR(32) NOT NULL, direction VARCHAR(10) NOT NULL, started_at VARCHAR(32) NOT NULL)";

class UnfinishedSectionTest : public ::testing::Test {
protected:
    UnfinishedSectionTest() {
        scratch_.write("versions/a_x.sql",
                       std::string("-- revision: a\n-- down_revision: none\n-- message: x\n\n"
                                   "-- migrate:upgrade transaction:false\n") +
                           kThreeStatements);
    }

    std::unique_ptr<Database> connect() const {
        return open_sqlite_database(
            parse_database_url("sqlite:///" + scratch_.str("app.db"), scratch_.path()), {});
    }
    std::string file() const { return scratch_.str("versions/a_x.sql"); }
    const Section& section() {
        return *history_.body(history_.graph().find("a")).section(Direction::upgrade, "sqlite");
    }

    // The mark taken, then the section run as the runner runs it (statement 3 fails); returns
    // how far the recorder saw it get.
    SectionProgress run_marked_section() {
        auto tx = db_->begin();
        SectionProgressRecorder recorder(
            *db_, "alembic_version",
            mark_section_started(*db_, "alembic_version", "a", Direction::upgrade, section()));
        tx->commit();
        EXPECT_THROW(db_->execute_outside_transaction(section().sql, section().marker_line + 1, {},
                                                      recorder.callback()),
                     StatementError);
        EXPECT_EQ("", recorder.update_failure());
        return recorder.progress();
    }

    std::string refusal() {
        return message_of(ExitCode::failure, [&] { refuse_unfinished_section(*db_, history_); });
    }

    test_support::ScopedTempDir scratch_;
    History history_{"core", "alembic_version", scratch_.path() / "versions"};
    std::unique_ptr<Database> db_ = connect();
};

TEST_F(UnfinishedSectionTest, ReadsAMarkOfATableWithoutTheProgressColumns) {
    db_->execute(kOlderTable);
    db_->execute(
        "INSERT INTO fastappkit_unfinished VALUES ('alembic_version', 'a', 'upgrade', "
        "'2026-12-01T00:00:00Z')");
    const auto found = find_unfinished_section(*db_, "alembic_version");
    ASSERT_TRUE(found);
    EXPECT_EQ("a", found->revision);
    EXPECT_EQ(Direction::upgrade, found->direction);
    EXPECT_EQ("2026-12-01T00:00:00Z", found->started_at);
    EXPECT_FALSE(found->progress.known());
    EXPECT_EQ("", completed_statements(found->progress));
    EXPECT_EQ("core: the transaction:false upgrade section of revision a (" + file() +
                  ") started at 2026-12-01T00:00:00Z but never recorded its outcome (the runner "
                  "was stopped or failed part-way), so the schema may be partly changed; check the "
                  "database, then run 'fastappkit migrate resolve a --applied' if the section "
                  "completed (finish it by hand first if needed) or '--rolled-back' if it left "
                  "nothing behind",
              refusal());
    EXPECT_FALSE(db_->has_column(kUnfinishedTable, "completed_statements"));  // reading adds none
}

// The next mark adds the columns; the older mark of another history still reads, its progress
// unknown.
TEST_F(UnfinishedSectionTest, MarkingAddsTheProgressColumnsToAnOlderTable) {
    db_->execute(kOlderTable);
    db_->execute(
        "INSERT INTO fastappkit_unfinished VALUES ('alembic_version_shop', 'b', 'downgrade', "
        "'2026-12-01T00:00:00Z')");
    auto tx = db_->begin();
    const SectionProgress before =
        mark_section_started(*db_, "alembic_version", "a", Direction::upgrade, section());
    tx->commit();
    for (const auto& column : kUnfinishedProgressColumns)
        EXPECT_TRUE(db_->has_column(kUnfinishedTable, column.name)) << column.name;
    EXPECT_EQ(0, before.completed);
    EXPECT_EQ(3, before.statements);
    EXPECT_EQ(6, before.next_line);

    const auto older = find_unfinished_section(*db_, "alembic_version_shop");
    ASSERT_TRUE(older);
    EXPECT_EQ("b", older->revision);
    EXPECT_EQ(Direction::downgrade, older->direction);
    EXPECT_FALSE(older->progress.known());
    const auto marked = find_unfinished_section(*db_, "alembic_version");
    ASSERT_TRUE(marked);
    EXPECT_EQ(3, marked->progress.statements);
    EXPECT_EQ("none of its 3 statements completed", completed_statements(marked->progress));
}

// Statement 3 fails: the mark says that 2 of 3 completed, and the refusal names the statement
// that may have run in part.
TEST_F(UnfinishedSectionTest, TheMarkFollowsEachCompletedStatement) {
    EXPECT_EQ(2, run_marked_section().completed);
    const auto found = find_unfinished_section(*db_, "alembic_version");
    ASSERT_TRUE(found);
    EXPECT_EQ(2, found->progress.completed);
    EXPECT_EQ(3, found->progress.statements);
    EXPECT_EQ(7, found->progress.completed_line);
    EXPECT_EQ(9, found->progress.next_line);
    EXPECT_EQ("statement 2 of 3 (line 7) completed", completed_statements(found->progress));
    const std::string message = refusal();
    EXPECT_EQ(0u, message.find("core: the transaction:false upgrade section of revision a (" +
                               file() + ") started at "))
        << message;
    EXPECT_NE(std::string::npos,
              message.find(
                  " but never recorded its outcome: it stopped after statement 2 of 3 (line 7) "
                  "completed, so statement 3 (line 9) may have run partly or not at all; check the "
                  "database, then run 'fastappkit migrate resolve a --applied' if the section "
                  "completed (finish it by hand from statement 3 first if needed) or "
                  "'--rolled-back' if it left nothing behind (undo statements 1 to 2 first)"))
        << message;
}

TEST_F(UnfinishedSectionTest, SentencesBeforeTheFirstAndAfterTheLastStatement) {
    const SectionProgress none{0, 3, 0, 6};
    EXPECT_EQ("none of its 3 statements completed", completed_statements(none));
    EXPECT_EQ(
        "run 'fastappkit migrate resolve a --applied' if the section completed (finish it "
        "by hand from statement 1 first if needed) or '--rolled-back' if it left nothing "
        "behind",
        resolve_advice(history_, "a", none));
    const SectionProgress all{3, 3, 9, 0};
    EXPECT_EQ("statement 3 of 3 (line 9) completed", completed_statements(all));
    EXPECT_EQ(
        "run 'fastappkit migrate resolve a --applied', as all 3 of its statements "
        "completed (or '--rolled-back' if you undid them)",
        resolve_advice(history_, "a", all));

    auto tx = db_->begin();
    mark_section_started(*db_, "alembic_version", "a", Direction::upgrade, section());
    tx->commit();
    EXPECT_NE(
        std::string::npos,
        refusal().find(": it stopped before its first statement completed, so statement 1 "
                       "of 3 (line 6) may have run partly or not at all; check the database"));
    SectionProgressRecorder(*db_, "alembic_version", none).completed({3, 3, 9, 0});
    EXPECT_NE(std::string::npos,
              refusal().find(": all 3 of its statements completed (the last at line 9), but the "
                             "runner stopped before recording that; check the database, then run "
                             "'fastappkit migrate resolve a --applied', as all 3"));
}

// The section's outcome must not be hidden by its bookkeeping: a failing update is kept, not
// thrown, and the next one that works clears it.
TEST_F(UnfinishedSectionTest, AFailingUpdateOfTheMarkIsRememberedNotThrown) {
    SectionProgressRecorder recorder(*db_, "alembic_version", SectionProgress{0, 3, 0, 6});
    recorder.completed({1, 3, 6, 7});  // no table to update
    EXPECT_EQ(1, recorder.progress().completed);
    EXPECT_NE(std::string::npos, recorder.update_failure().find("fastappkit_unfinished"))
        << recorder.update_failure();
    EXPECT_EQ(
        "statement 1 of 3 (line 6) completed and stays, and fastappkit_unfinished marks it "
        "as started but may name fewer completed statements (updating it failed: " +
            recorder.update_failure() + ")",
        what_a_failed_section_left(&recorder));
    db_->execute(create_unfinished_table_sql());
    recorder.completed({2, 3, 7, 9});
    EXPECT_EQ("", recorder.update_failure());
    EXPECT_EQ(
        "statements 1 to 2 of 3 (the last at line 7) completed and stay, and "
        "fastappkit_unfinished marks it as started",
        what_a_failed_section_left(&recorder));
}

}  // namespace
}  // namespace fastappkit
