// The migrator on a SQLite file of a scratch directory, with a recording progress sink: what
// runs, the version and history rows it leaves, and what it refuses.
#include "runner/history_migrator.h"

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "db/sqlite_database.h"
#include "test_support/test_support.h"

namespace fastappkit {
namespace {

namespace fs = std::filesystem;
using test_support::message_of;
using Strings = std::vector<std::string>;

// Records each finished step as "upgrade a"; `after_step` plays another runner in between.
class RecordingProgress : public Progress {
public:
    void step_finished(const AppliedStep& step) override {
        finished.push_back(std::string(to_string(step.direction)) + " " + step.revision);
        if (after_step) after_step(step);
    }
    void waiting(const std::string&) override {}

    Strings finished;
    std::function<void(const AppliedStep&)> after_step;
};

class MigratorTest : public ::testing::Test {
protected:
    // A revision creating table `t_<rev>`; `downgrade` empty: no downgrade section (irreversible).
    void add(const std::string& rev, const std::string& down, std::string upgrade = "",
             std::optional<std::string> downgrade = std::string(),
             const std::string& upgrade_options = "") {
        if (upgrade.empty()) upgrade = "CREATE TABLE t_" + rev + " (id INTEGER);\n";
        if (downgrade && downgrade->empty()) *downgrade = "DROP TABLE t_" + rev + ";\n";
        std::string text = "-- revision: " + rev + "\n-- down_revision: " + down +
                           "\n-- message: create " + rev + "\n\n-- migrate:upgrade" +
                           upgrade_options + "\n" + upgrade;
        if (downgrade) text += "\n-- migrate:downgrade\n" + *downgrade;
        scratch_.write(fs::path("versions") / (rev + "_x.sql"), text);
    }
    std::string file_of(const std::string& rev) const {
        return scratch_.str("versions/" + rev + "_x.sql");
    }

    DatabaseUrl url() const {
        return parse_database_url("sqlite:///" + scratch_.str("app.db"), scratch_.path());
    }
    // A connection of its own, as another runner or a user's tool has.
    std::unique_ptr<Database> connect() const { return open_sqlite_database(url(), {}); }

    History& history() {
        if (!history_) history_.emplace("core", "alembic_version", scratch_.path() / "versions");
        return *history_;
    }
    HistoryMigrator migrator() { return HistoryMigrator(history(), *db_, progress_); }

    Strings versions() { return connect()->read_versions("alembic_version"); }
    // fastappkit_history as "upgrade a" lines, oldest first.
    Strings history_rows() {
        Strings rows;
        for (const auto& row : connect()->read_log("alembic_version")) {
            rows.push_back(row.direction + " " + row.revision);
        }
        return rows;
    }
    bool has_table(const std::string& table) { return connect()->has_table(table); }

    test_support::ScopedTempDir scratch_;
    std::optional<History> history_;
    std::unique_ptr<Database> db_ = connect();
    RecordingProgress progress_;
};

TEST_F(MigratorTest, UpgradeRunsEachStepWithItsVersionAndHistoryRows) {
    add("a", "none");
    add("b", "a");
    add("c", "b");
    const MigrationResult result = migrator().upgrade("head");
    EXPECT_EQ(3u, result.applied.size());
    EXPECT_EQ(Strings{"c"}, result.heads);
    EXPECT_EQ((Strings{"upgrade a", "upgrade b", "upgrade c"}), progress_.finished);
    EXPECT_EQ(Strings{"c"}, versions());
    EXPECT_EQ((Strings{"upgrade a", "upgrade b", "upgrade c"}), history_rows());
    EXPECT_TRUE(has_table("t_a") && has_table("t_b") && has_table("t_c"));

    const auto rows = connect()->read_log("alembic_version");
    EXPECT_EQ(64u, rows.front().checksum.size());
    EXPECT_EQ("alembic_version", rows.front().version_table);

    EXPECT_EQ(0u, migrator().upgrade("head").applied.size());  // the no-op
    EXPECT_EQ(3u, history_rows().size());
}

TEST_F(MigratorTest, DowngradeRevertsAndRecordsIt) {
    add("a", "none");
    add("b", "a");
    migrator().upgrade("head");
    progress_.finished.clear();
    const MigrationResult result = migrator().downgrade("base");
    EXPECT_EQ(2u, result.applied.size());
    EXPECT_TRUE(result.heads.empty());
    EXPECT_EQ((Strings{"downgrade b", "downgrade a"}), progress_.finished);
    EXPECT_TRUE(versions().empty());
    EXPECT_FALSE(has_table("t_a"));
    EXPECT_EQ((Strings{"upgrade a", "upgrade b", "downgrade b", "downgrade a"}), history_rows());
}

// Another runner applies b while this one is between a and b: this one plans again from the
// new heads and runs only c, so no revision runs twice (CREATE TABLE t_b would fail if it did).
// (A database with version rows: one commit per migration.)
TEST_F(MigratorTest, PlansAgainWhenAnotherRunnerMovedTheHeads) {
    add("z", "none");
    migrator().upgrade("z");
    progress_.finished.clear();
    history_.reset();  // read the files again
    add("a", "z");
    add("b", "a");
    add("c", "b");
    progress_.after_step = [this](const AppliedStep& step) {
        if (step.revision != "a") return;
        auto other = connect();
        auto tx = other->begin();
        other->execute(
            "CREATE TABLE t_b (id INTEGER);\n"
            "UPDATE alembic_version SET version_num = 'b';\n");
        tx->commit();
    };
    const MigrationResult result = migrator().upgrade("head");
    EXPECT_EQ(2u, result.applied.size());
    EXPECT_EQ(Strings{"c"}, result.heads);
    EXPECT_EQ((Strings{"upgrade a", "upgrade c"}), progress_.finished);
    EXPECT_EQ((Strings{"upgrade z", "upgrade a", "upgrade c"}), history_rows());
    EXPECT_EQ(Strings{"c"}, versions());
}

// When another runner already finished the whole history, nothing is left to run.
TEST_F(MigratorTest, StopsWhenAnotherRunnerFinishedTheHistory) {
    add("z", "none");
    migrator().upgrade("z");
    history_.reset();  // read the files again
    add("a", "z");
    add("b", "a");
    progress_.after_step = [this](const AppliedStep& step) {
        if (step.revision != "a") return;
        auto other = connect();
        other->execute(
            "CREATE TABLE t_b (id INTEGER);\n"
            "UPDATE alembic_version SET version_num = 'b';\n");
    };
    EXPECT_EQ(1u, migrator().upgrade("head").applied.size());
    EXPECT_EQ(Strings{"b"}, versions());
    EXPECT_EQ((Strings{"upgrade z", "upgrade a"}), history_rows());
}

// A fresh history (no version rows) commits its migrations together: when the first is
// reported, another connection already sees the last one's version row and every history
// row, each with the duration reported for it.
TEST_F(MigratorTest, FreshHistoryCommitsItsMigrationsTogether) {
    add("a", "none");
    add("b", "a");
    add("c", "b");
    Strings seen;
    progress_.after_step = [&](const AppliedStep& step) {
        if (step.revision == "a") seen = versions();
    };
    const MigrationResult result = migrator().upgrade("head");
    EXPECT_EQ(Strings{"c"}, seen);
    EXPECT_EQ((Strings{"upgrade a", "upgrade b", "upgrade c"}), progress_.finished);
    EXPECT_EQ((Strings{"upgrade a", "upgrade b", "upgrade c"}), history_rows());
    const auto rows = connect()->read_log("alembic_version");
    ASSERT_EQ(3u, rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(result.applied[i].duration_ms, rows[i].duration_ms);
        if (i > 0) {
            EXPECT_LE(rows[i - 1].applied_at, rows[i].applied_at);
        }
    }
    // The database now has version rows: the next run commits migration by migration.
    history_.reset();  // read the files again
    add("d", "c");
    add("e", "d");
    progress_.after_step = [&](const AppliedStep& step) {
        if (step.revision == "d") seen = versions();
    };
    migrator().upgrade("head");
    EXPECT_EQ(Strings{"d"}, seen);
    EXPECT_EQ(Strings{"e"}, versions());
}

// A transaction:false section ends the batch: what precedes it commits first, and the
// migrations after it make a new batch.
TEST_F(MigratorTest, TransactionFalseSectionSplitsAFreshHistorysBatch) {
    add("a", "none");
    add("b", "a");
    add("c", "b", "VACUUM;\n", "", " transaction:false");
    add("d", "c");
    add("e", "d");
    std::vector<Strings> seen;
    progress_.after_step = [&](const AppliedStep&) { seen.push_back(versions()); };
    EXPECT_EQ(5u, migrator().upgrade("head").applied.size());
    EXPECT_EQ((std::vector<Strings>{{"b"}, {"b"}, {"c"}, {"e"}, {"e"}}), seen);
    EXPECT_EQ(Strings{"e"}, versions());
    EXPECT_EQ((Strings{"upgrade a", "upgrade b", "upgrade c", "upgrade d", "upgrade e"}),
              history_rows());
}

// On a fresh history the failing migration is rolled back to its savepoint; those before it
// in the same transaction commit, the ones after it never run.
TEST_F(MigratorTest, FreshHistoryFailingMigrationRollsBackToItsSavepoint) {
    add("a", "none");
    add("b", "a");
    add("c", "b",
        "CREATE TABLE t_c (id INTEGER);\nINSERT INTO t_a VALUES (1);\nINSERT INTO nope VALUES "
        "(1);\n");
    add("d", "c");
    EXPECT_EQ("core: upgrade of revision c failed at " + file_of("c") +
                  ":8: no such table: nope (statement: INSERT INTO nope VALUES (1))",
              message_of(ExitCode::failure, [&] { migrator().upgrade("head"); }));
    EXPECT_EQ((Strings{"upgrade a", "upgrade b"}), progress_.finished);
    EXPECT_EQ(Strings{"b"}, versions());
    EXPECT_EQ((Strings{"upgrade a", "upgrade b"}), history_rows());
    EXPECT_TRUE(has_table("t_a") && has_table("t_b"));
    EXPECT_FALSE(has_table("t_c"));
    EXPECT_FALSE(has_table("t_d"));
    EXPECT_EQ(0u, connect()->query("SELECT * FROM t_a").size());
}

// RAISE(ROLLBACK) ends SQLite's whole transaction, savepoints included: the migrations before
// the failing one run again and commit, and it fails alone.
TEST_F(MigratorTest, FreshHistoryRedoesTheBatchWhenAnErrorEndedTheTransaction) {
    add("a", "none");
    add("b", "a");
    add("c", "b",
        "CREATE TABLE t_c (id INTEGER);\n"
        "CREATE TRIGGER no_rows BEFORE INSERT ON t_c BEGIN SELECT RAISE(ROLLBACK, 'no rows'); "
        "END;\n"
        "INSERT INTO t_c VALUES (1);\n");
    EXPECT_EQ("core: upgrade of revision c failed at " + file_of("c") +
                  ":8: no rows (statement: INSERT INTO t_c VALUES (1))",
              message_of(ExitCode::failure, [&] { migrator().upgrade("head"); }));
    EXPECT_EQ((Strings{"upgrade a", "upgrade b"}), progress_.finished);
    EXPECT_EQ(Strings{"b"}, versions());
    EXPECT_EQ((Strings{"upgrade a", "upgrade b"}), history_rows());
    EXPECT_TRUE(has_table("t_a") && has_table("t_b"));
    EXPECT_FALSE(has_table("t_c"));
}

// A fresh SQLite database is one transaction, fastappkit_history included
// (history_table_in_batch): when its first migration fails, the file holds no table at all.
TEST_F(MigratorTest, FreshDatabaseWhoseFirstMigrationFailsIsLeftEmpty) {
    add("a", "none", "CREATE TABLE t_a (id INTEGER);\nINSERT INTO nope VALUES (1);\n");
    add("b", "a");
    EXPECT_EQ("core: upgrade of revision a failed at " + file_of("a") +
                  ":7: no such table: nope (statement: INSERT INTO nope VALUES (1))",
              message_of(ExitCode::failure, [&] { migrator().upgrade("head"); }));
    EXPECT_TRUE(connect()->query("SELECT name FROM sqlite_master").empty());
}

// VACUUM cannot run inside a transaction: only a transaction:false section can hold it. Its
// version and history rows are still written.
TEST_F(MigratorTest, TransactionFalseSectionRunsOutsideATransaction) {
    add("a", "none");
    add("b", "a", "VACUUM;\n", "", " transaction:false");
    EXPECT_EQ(2u, migrator().upgrade("head").applied.size());
    EXPECT_EQ(Strings{"b"}, versions());
    EXPECT_EQ((Strings{"upgrade a", "upgrade b"}), history_rows());
}

TEST_F(MigratorTest, TransactionalSectionCannotVacuum) {
    add("a", "none", "VACUUM;\n");
    EXPECT_EQ("core: upgrade of revision a failed at " + file_of("a") +
                  ":6: cannot VACUUM from within a transaction (statement: VACUUM)",
              message_of(ExitCode::failure, [&] { migrator().upgrade("head"); }));
    EXPECT_TRUE(versions().empty());
}

// Outside a transaction, what ran before the failing statement stays (it cannot be rolled
// back), and no version row claims the revision; the sentence says that the section's mark
// stays and how to resolve it.
TEST_F(MigratorTest, FailingTransactionFalseSectionKeepsItsEarlierStatements) {
    add("a", "none", "CREATE TABLE t_a (id INTEGER);\nINSERT INTO nope VALUES (1);\n", "",
        " transaction:false");
    EXPECT_EQ("core: upgrade of revision a failed at " + file_of("a") +
                  ":7: no such table: nope (statement: INSERT INTO nope VALUES (1)); the section "
                  "ran outside a transaction, so statement 1 of 2 (line 6) completed and stays, "
                  "and fastappkit_unfinished marks it as started: check the database, then run "
                  "'fastappkit migrate resolve a --applied' if the section completed (finish it "
                  "by hand from statement 2 first if needed) or '--rolled-back' if it left "
                  "nothing behind (undo statement 1 first)",
              message_of(ExitCode::failure, [&] { migrator().upgrade("head"); }));
    EXPECT_TRUE(has_table("t_a"));
    EXPECT_TRUE(versions().empty());
    EXPECT_TRUE(history_rows().empty());
}

// A failing migration is rolled back alone: its first statement is undone, the migrations
// before it stay applied and recorded.
TEST_F(MigratorTest, FailingMigrationRollsBackAloneAndNamesFileLineAndStatement) {
    add("a", "none");
    add("b", "a", "CREATE TABLE t_b (id INTEGER);\n\nINSERT INTO nope\n  VALUES (1);\n");
    add("c", "b");
    EXPECT_EQ("core: upgrade of revision b failed at " + file_of("b") +
                  ":8: no such table: nope (statement: INSERT INTO nope)",
              message_of(ExitCode::failure, [&] { migrator().upgrade("head"); }));
    EXPECT_EQ(Strings{"upgrade a"}, progress_.finished);
    EXPECT_EQ(Strings{"a"}, versions());
    EXPECT_EQ(Strings{"upgrade a"}, history_rows());
    EXPECT_TRUE(has_table("t_a"));
    EXPECT_FALSE(has_table("t_b"));
    EXPECT_FALSE(has_table("t_c"));
}

// The check before a downgrade refuses a plan crossing an irreversible revision, before
// anything runs.
TEST_F(MigratorTest, IrreversibleRevisionIsRefusedBeforeAnythingRuns) {
    add("a", "none");
    add("b", "a", "", std::nullopt);  // no downgrade section
    add("c", "b");
    migrator().upgrade("head");
    EXPECT_EQ(
        "core: cannot downgrade across revision b: " + file_of("b") +
            " has no downgrade section, so it is irreversible; nothing was changed",
        message_of(ExitCode::failure, [&] { migrator().pending(Direction::downgrade, "base"); }));
    EXPECT_EQ(Strings{"c"}, versions());
    EXPECT_TRUE(has_table("t_c"));
    // Down to b itself crosses nothing irreversible.
    EXPECT_EQ(1u, migrator().pending(Direction::downgrade, "b").steps.size());
}

TEST_F(MigratorTest, PendingListsTheStepsAndChangesNothing) {
    add("a", "none");
    add("b", "a");
    const auto pending = migrator().pending(Direction::upgrade, "head");
    EXPECT_TRUE(pending.heads.empty());
    ASSERT_EQ(2u, pending.steps.size());
    EXPECT_EQ("b", history().graph().id(pending.steps[1].node));
    EXPECT_FALSE(has_table("alembic_version"));
    EXPECT_FALSE(has_table("fastappkit_history"));
}

TEST_F(MigratorTest, StampSetsVersionRowsWithoutRunningOrRecording) {
    add("a", "none");
    add("b", "a");
    EXPECT_EQ(Strings{"b"}, migrator().stamp("head", false));
    EXPECT_EQ(Strings{"b"}, versions());
    EXPECT_FALSE(has_table("t_a"));
    EXPECT_TRUE(history_rows().empty());
    EXPECT_TRUE(progress_.finished.empty());

    EXPECT_EQ(Strings{"a"}, migrator().stamp("a", false));
    EXPECT_EQ(Strings{"a"}, versions());
    EXPECT_TRUE(migrator().stamp("base", false).empty());
    EXPECT_TRUE(versions().empty());
}

// Stamping one branch keeps the head of the other; --purge starts from no rows.
TEST_F(MigratorTest, StampKeepsOtherBranchesUnlessPurged) {
    add("a", "none");
    add("b", "none");
    migrator().stamp("a", false);
    EXPECT_EQ((Strings{"a", "b"}), migrator().stamp("b", false));
    EXPECT_EQ(Strings{"b"}, migrator().stamp("b", true));
    EXPECT_EQ(Strings{"b"}, versions());
}

}  // namespace
}  // namespace fastappkit
