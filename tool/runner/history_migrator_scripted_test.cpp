// The migrator's PostgreSQL-only paths without a server, on a scripted database
// (test_support/scripted_database.h): a history with version rows sends each migration as one
// transaction call, a fresh history runs as one transaction of savepoints, a lock timeout is
// tried again, and a runner that finds the heads moved plans again. Each case asserts what the
// database was asked, in order, and the rows it was left with.
#include "runner/history_migrator.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error_reason.h"
#include "test_support/scripted_database.h"
#include "test_support/test_graphs.h"
#include "test_support/test_support.h"

namespace fastappkit {
namespace {

using test_support::Rev;
using test_support::ScriptedDatabase;
using test_support::thrown;
using Strings = std::vector<std::string>;
using std::chrono::milliseconds;

// The line of each file's `-- migrate:upgrade` marker, after its header: a section's first
// line is line 6.
constexpr int kMarkerLine = 5;

bool starts_with(const std::string& text, const std::string& start) {
    return text.compare(0, start.size(), start) == 0;
}
bool ends_with(const std::string& text, const std::string& end) {
    return text.size() >= end.size() &&
           text.compare(text.size() - end.size(), end.size(), end) == 0;
}

class RecordingProgress : public Progress {
public:
    void step_finished(const AppliedStep& step) override {
        finished.push_back(std::string(to_string(step.direction)) + " " + step.revision);
    }
    void step_abandoned(const AppliedStep& step) override {
        abandoned.push_back(std::string(to_string(step.direction)) + " " + step.revision);
    }
    void waiting(const std::string& message) override { waits.push_back(message); }

    Strings finished;   // "upgrade a"
    Strings abandoned;  // started, then given up to another runner
    Strings waits;
};

class ScriptedMigratorTest : public ::testing::Test {
protected:
    // Revision `rev` (file rev.sql) over `down` ("" for a base) with upgrade section `sql`
    // (CREATE TABLE t_<rev> when empty) and its own timeouts headers.
    void add(const std::string& rev, const std::string& down, std::string sql = "",
             Timeouts timeouts = {}, bool transactional = true) {
        revs_.push_back({rev, down.empty() ? Strings{} : Strings{down}, {}, {}, timeouts});
        Section upgrade;
        upgrade.transactional = transactional;
        upgrade.marker_line = kMarkerLine;
        upgrade.sql = sql.empty() ? "CREATE TABLE t_" + rev + " (id INTEGER);\n" : sql;
        Section downgrade;
        downgrade.direction = Direction::downgrade;
        downgrade.marker_line = kMarkerLine + 2;
        downgrade.sql = "DROP TABLE t_" + rev + ";\n";
        sections_[rev] = {upgrade, downgrade};
    }
    // A revision merging `downs`.
    void add_merge(const std::string& rev, const Strings& downs) {
        add(rev, "");
        revs_.back().down = downs;
    }
    // A history in memory, as a program's embedded migrations are: no file is read.
    History& history() {
        if (!history_) {
            auto graph = std::make_shared<const RevisionGraph>(test_support::graph_of(revs_));
            history_.emplace(
                "core", "alembic_version", graph,
                [this, graph](RevisionGraph::Node node) { return sections_.at(graph->id(node)); });
        }
        return *history_;
    }
    // Upgrades to head, recording the waits between attempts instead of sleeping them.
    MigrationResult upgrade() { return migrator().upgrade("head"); }
    HistoryMigrator migrator() {
        HistoryMigrator migrator(history(), db_, progress_);
        migrator.set_sleep([this](milliseconds wait) { slept_ms_.push_back(wait.count()); });
        return migrator;
    }
    std::optional<RunError> upgrade_error() {
        return thrown<RunError>([this] { upgrade(); });
    }

    // The first line of what each call named `call` was given (a section, the timeouts).
    Strings details_of(const std::string& call) const {
        Strings details;
        for (const auto& c : db_.calls_named(call))
            details.push_back(c.detail.substr(0, c.detail.find('\n')));
        return details;
    }

    std::vector<Rev> revs_;
    std::map<std::string, std::vector<Section>> sections_;
    std::optional<History> history_;
    ScriptedDatabase db_;
    RecordingProgress progress_;
    std::vector<long long> slept_ms_;
};

// Under PostgreSQL's exclusive history lock, each migration of a history that has version
// rows goes to the database in one call: the section, its version-row change and its history
// row timed by the database.
TEST_F(ScriptedMigratorTest, UpgradeSendsEachMigrationAsOneTransactionCall) {
    db_.set_versions("alembic_version", {"z"});
    add("z", "");
    add("a", "z");
    add("b", "a");
    add("c", "b");
    const MigrationResult result = upgrade();

    EXPECT_EQ(Strings{"c"}, result.heads);
    EXPECT_EQ((Strings{"upgrade a", "upgrade b", "upgrade c"}), progress_.finished);
    EXPECT_EQ((Strings{"lock_history alembic_version", "ensure_history_table",
                       "execute_transaction CREATE TABLE t_a (id INTEGER);",
                       "execute_transaction CREATE TABLE t_b (id INTEGER);",
                       "execute_transaction CREATE TABLE t_c (id INTEGER);",
                       "unlock_history alembic_version"}),
              db_.trace());
    EXPECT_EQ(0, db_.count("execute"));
    EXPECT_EQ(0, db_.count("begin"));

    const auto calls = db_.calls_named("execute_transaction");
    ASSERT_EQ(3u, calls.size());
    EXPECT_EQ(Strings{"z"}, calls[0].expected_heads);
    EXPECT_EQ(Strings{"a"}, calls[1].expected_heads);
    EXPECT_EQ(Strings{"b"}, calls[2].expected_heads);
    const Strings& bookkeeping = calls[1].bookkeeping;
    ASSERT_EQ(2u, bookkeeping.size());
    EXPECT_EQ("UPDATE alembic_version SET version_num='b' WHERE alembic_version.version_num = 'a'",
              bookkeeping[0]);
    EXPECT_TRUE(starts_with(bookkeeping[1],
                            "INSERT INTO fastappkit_history (version_table, revision, direction, "
                            "checksum, applied_at, duration_ms) VALUES ('alembic_version', 'b', "
                            "'upgrade', '"))
        << bookkeeping[1];
    EXPECT_TRUE(ends_with(bookkeeping[1], ", " + db_.batch_elapsed_ms_sql() + ")"))
        << bookkeeping[1];
    for (const auto& call : calls) EXPECT_FALSE(call.timeouts.any());

    EXPECT_EQ(Strings{"c"}, db_.versions());
    EXPECT_EQ((Strings{"upgrade a", "upgrade b", "upgrade c"}), db_.history());
    for (const auto& row : db_.read_log("alembic_version")) {
        EXPECT_EQ(ScriptedDatabase::kDatabaseElapsedMs, row.duration_ms) << row.revision;
        EXPECT_EQ(64u, row.checksum.size()) << row.revision;
    }
}

// Branches and their merge go the same way: each call expects every head, and its bookkeeping
// carries each row it changes.
TEST_F(ScriptedMigratorTest, BranchesAndTheirMergeExpectEveryHead) {
    db_.set_versions("alembic_version", {"a"});
    add("a", "");
    add("b1", "a");
    add("b2", "a");
    add_merge("m", {"b1", "b2"});
    upgrade();

    const auto calls = db_.calls_named("execute_transaction");
    ASSERT_EQ(3u, calls.size());
    EXPECT_EQ(Strings{"a"}, calls[0].expected_heads);
    EXPECT_EQ(2u, calls[2].expected_heads.size());
    EXPECT_EQ(3u, calls[2].bookkeeping.size());  // one row deleted, one updated, the history row
    EXPECT_EQ(Strings{"m"}, db_.versions());
    EXPECT_EQ(3u, db_.history().size());
}

// A downgrade to base takes the one-call path down to its last step, which deletes the row.
TEST_F(ScriptedMigratorTest, DowngradeToBaseSendsEachStepAsOneCall) {
    db_.set_versions("alembic_version", {"c"});
    add("a", "");
    add("b", "a");
    add("c", "b");
    const MigrationResult result = migrator().downgrade("base");

    EXPECT_TRUE(result.heads.empty());
    EXPECT_EQ((Strings{"DROP TABLE t_c;", "DROP TABLE t_b;", "DROP TABLE t_a;"}),
              details_of("execute_transaction"));
    EXPECT_EQ(Strings{"DELETE FROM alembic_version WHERE alembic_version.version_num = 'a'"},
              Strings{db_.calls_named("execute_transaction")[2].bookkeeping[0]});
    EXPECT_TRUE(db_.versions().empty());
    EXPECT_EQ((Strings{"downgrade c", "downgrade b", "downgrade a"}), db_.history());
}

// Another runner applies b between this runner's a and b: the call for b finds the heads
// moved and changes nothing; the runner plans again from b and runs only c.
TEST_F(ScriptedMigratorTest, PlansAgainWhenTheTransactionFindsTheHeadsMoved) {
    db_.set_versions("alembic_version", {"z"});
    add("z", "");
    add("a", "z");
    add("b", "a");
    add("c", "b");
    db_.before("execute_transaction", 2, [this] { db_.apply_as_another_runner("a", "b"); });
    const MigrationResult result = upgrade();

    EXPECT_EQ(Strings{"c"}, result.heads);
    EXPECT_EQ(2u, result.applied.size());
    EXPECT_EQ((Strings{"upgrade a", "upgrade c"}), progress_.finished);
    // b was started, then left to the other runner: the progress sink is told, so that it no
    // longer counts b as running (a Ctrl-C message would name it).
    EXPECT_EQ(Strings{"upgrade b"}, progress_.abandoned);
    EXPECT_EQ((Strings{"CREATE TABLE t_a (id INTEGER);", "CREATE TABLE t_b (id INTEGER);",
                       "CREATE TABLE t_c (id INTEGER);"}),
              details_of("execute_transaction"));
    const auto calls = db_.calls_named("execute_transaction");
    EXPECT_EQ(Strings{"b"}, calls[2].expected_heads);  // read again, not assumed
    EXPECT_EQ(Strings{"c"}, db_.versions());
    EXPECT_EQ((Strings{"upgrade a", "upgrade b", "upgrade c"}), db_.history());
}

// As PostgreSQL runs it, the section comes before the heads are compared: b's CREATE TABLE
// fails, the table being the other runner's. A failure in a history whose heads moved is no
// error of this runner's: it plans again.
TEST_F(ScriptedMigratorTest, FailingSectionOfAMovedHistoryIsPlannedAgainNotReported) {
    db_.set_versions("alembic_version", {"z"});
    add("z", "");
    add("a", "z");
    add("b", "a");
    add("c", "b");
    db_.before("execute_transaction", 2, [this] { db_.apply_as_another_runner("a", "b"); });
    db_.fail("CREATE TABLE t_b", "relation \"t_b\" already exists");
    const MigrationResult result = upgrade();

    EXPECT_EQ((Strings{"upgrade a", "upgrade c"}), progress_.finished);
    EXPECT_EQ(Strings{"c"}, db_.versions());
    EXPECT_EQ((Strings{"upgrade a", "upgrade b", "upgrade c"}), db_.history());
}

// When another runner finished the whole history, nothing is left to run.
TEST_F(ScriptedMigratorTest, StopsWhenAnotherRunnerFinishedTheHistory) {
    db_.set_versions("alembic_version", {"z"});
    add("z", "");
    add("a", "z");
    add("b", "a");
    add("c", "b");
    db_.before("execute_transaction", 2, [this] {
        db_.apply_as_another_runner("a", "b");
        db_.apply_as_another_runner("b", "c");
    });
    EXPECT_EQ(1u, upgrade().applied.size());
    EXPECT_EQ(2, db_.count("execute_transaction"));
    EXPECT_EQ(Strings{"c"}, db_.versions());
    EXPECT_EQ((Strings{"upgrade a", "upgrade b", "upgrade c"}), db_.history());
}

// A section with a lock timeout runs statement by statement in its own transaction; when the
// timeout runs out the transaction is rolled back and the migration tried again after 0.5 s,
// then 1 s, until it gets its lock.
TEST_F(ScriptedMigratorTest, LockTimeoutIsTriedAgainUntilTheLockIsFree) {
    db_.set_versions("alembic_version", {"a"});
    add("a", "");
    add("b", "a", "ALTER TABLE big ADD COLUMN note text;\n", {milliseconds(2000), {}});
    db_.fail_with_lock_timeout("ALTER TABLE big", 2);
    const MigrationResult result = upgrade();

    EXPECT_EQ(Strings{"b"}, result.heads);
    EXPECT_EQ(Strings{"upgrade b"}, progress_.finished);
    EXPECT_EQ((std::vector<long long>{500, 1000}), slept_ms_);
    EXPECT_EQ((Strings{"core: revision b could not get its lock; trying again in 500 ms (attempt "
                       "2 of 4)",
                       "core: revision b could not get its lock; trying again in 1000 ms "
                       "(attempt 3 of 4)"}),
              progress_.waits);
    const Strings attempt = {"begin", "execute SET LOCAL lock_timeout = '2000ms'",
                             "fence alembic_version",
                             "execute ALTER TABLE big ADD COLUMN note text;"};
    Strings expected = {"lock_history alembic_version", "ensure_history_table"};
    for (int failed = 0; failed < 2; ++failed) {
        expected.insert(expected.end(), attempt.begin(), attempt.end());
        expected.push_back("rollback");
    }
    expected.insert(expected.end(), attempt.begin(), attempt.end());
    expected.insert(
        expected.end(),
        {"execute UPDATE alembic_version SET version_num='b' WHERE alembic_version.version_num = "
         "'a'",
         "execute INSERT INTO fastappkit_history (…) VALUES ('alembic_version', 'b', 'upgrade', …)",
         "execute SELECT fence_check('alembic_version')", "commit",
         "unlock_history alembic_version"});
    EXPECT_EQ(expected, db_.trace());
    EXPECT_EQ(Strings{"b"}, db_.versions());
    EXPECT_EQ(Strings{"upgrade b"}, db_.history());
}

// A lock timeout the server applies by itself (say, set on the role) stops the one-call
// transaction just as well; once the retries are used up the error says so, with its reason,
// and nothing of the revision was written.
TEST_F(ScriptedMigratorTest, LockTimeoutAfterTheLastRetryFailsWithItsReason) {
    db_.set_versions("alembic_version", {"a"});
    add("a", "");
    add("b", "a", "ALTER TABLE big ADD COLUMN note text;\n");
    add("c", "b");
    MigrationSettings settings;
    settings.lock_retries = 2;
    history().set_settings(settings);
    db_.fail_with_lock_timeout("ALTER TABLE big");
    const auto error = upgrade_error();
    ASSERT_TRUE(error);

    EXPECT_EQ(ErrorReason::lock_timeout, error->reason());
    EXPECT_EQ(static_cast<int>(ExitCode::failure), static_cast<int>(error->code()));
    EXPECT_EQ(
        "core: revision b could not get its lock: the lock timeout ran out on all 3 attempts at "
        "b.sql:6 (statement: ALTER TABLE big ADD COLUMN note text); it was rolled back, so run it "
        "again when the table is less busy or raise lock_timeout",
        std::string(error->what()));
    EXPECT_TRUE(error->applied().empty());
    EXPECT_EQ(Strings(3, "ALTER TABLE big ADD COLUMN note text;"),
              details_of("execute_transaction"));
    EXPECT_EQ((std::vector<long long>{500, 1000}), slept_ms_);
    EXPECT_EQ(Strings{"a"}, db_.versions());
    EXPECT_TRUE(db_.history().empty());
    EXPECT_FALSE(db_.in_transaction());
}

// A fresh history (no version rows) runs as one transaction, each migration in one call with
// its bookkeeping and without a savepoint (PostgreSQL: batch_savepoints); the history rows are
// timed by the database.
TEST_F(ScriptedMigratorTest, FreshHistoryRunsAsOneTransaction) {
    add("a", "");
    add("b", "a");
    add("c", "b");
    add("d", "c");
    add("e", "d");
    const MigrationResult result = upgrade();

    EXPECT_EQ(Strings{"e"}, result.heads);
    EXPECT_EQ((Strings{"upgrade a", "upgrade b", "upgrade c", "upgrade d", "upgrade e"}),
              progress_.finished);
    EXPECT_EQ((Strings{"lock_history alembic_version", "ensure_history_table", "begin",
                       "fence alembic_version", "execute CREATE TABLE alembic_version (",
                       "execute_batched CREATE TABLE t_a (id INTEGER);",
                       "execute_batched CREATE TABLE t_b (id INTEGER);",
                       "execute_batched CREATE TABLE t_c (id INTEGER);",
                       "execute_batched CREATE TABLE t_d (id INTEGER);",
                       "execute_batched CREATE TABLE t_e (id INTEGER);",
                       "execute SELECT fence_check('alembic_version')", "commit",
                       "unlock_history alembic_version"}),
              db_.trace());
    const auto calls = db_.calls_named("execute_batched");
    ASSERT_EQ(5u, calls.size());
    EXPECT_EQ("INSERT INTO alembic_version (version_num) VALUES ('a')", calls[0].bookkeeping[0]);
    EXPECT_EQ("UPDATE alembic_version SET version_num='c' WHERE alembic_version.version_num = 'b'",
              calls[2].bookkeeping[0]);
    for (const auto& call : calls) {
        ASSERT_EQ(2u, call.bookkeeping.size());
        EXPECT_TRUE(ends_with(call.bookkeeping[1], ", " + db_.batch_elapsed_ms_sql() + ")"));
    }
    EXPECT_EQ(Strings{"e"}, db_.versions());
    EXPECT_EQ((Strings{"upgrade a", "upgrade b", "upgrade c", "upgrade d", "upgrade e"}),
              db_.history());
    for (const auto& row : db_.read_log("alembic_version"))
        EXPECT_EQ(ScriptedDatabase::kDatabaseElapsedMs, row.duration_ms) << row.revision;
}

// The third migration fails, which ends the batch: the two before it run again in a new batch
// and commit, the third runs alone and fails again, the ones after it never run, and the error
// names its file and line.
TEST_F(ScriptedMigratorTest, FreshHistoryFailureCommitsTheMigrationsBeforeIt) {
    add("a", "");
    add("b", "a");
    add("c", "b", "CREATE TABLE t_c (id INTEGER);\nINSERT INTO nope VALUES (1);\n");
    add("d", "c");
    add("e", "d");
    db_.fail("INSERT INTO nope", "relation \"nope\" does not exist");
    const auto error = upgrade_error();
    ASSERT_TRUE(error);

    EXPECT_EQ(
        "core: upgrade of revision c failed at c.sql:7: relation \"nope\" does not exist "
        "(statement: INSERT INTO nope VALUES (1))",
        std::string(error->what()));
    EXPECT_EQ(ErrorReason::none, error->reason());
    ASSERT_EQ(2u, error->applied().size());
    EXPECT_EQ((Strings{"upgrade a", "upgrade b"}), progress_.finished);
    EXPECT_EQ((Strings{"CREATE TABLE t_a (id INTEGER);", "CREATE TABLE t_b (id INTEGER);",
                       "CREATE TABLE t_c (id INTEGER);", "CREATE TABLE t_a (id INTEGER);",
                       "CREATE TABLE t_b (id INTEGER);"}),
              details_of("execute_batched"));
    EXPECT_EQ(Strings{"CREATE TABLE t_c (id INTEGER);"}, details_of("execute_transaction"));
    EXPECT_EQ(2, db_.count("begin"));
    EXPECT_EQ(1, db_.count("commit"));
    EXPECT_EQ(1, db_.count("rollback"));
    EXPECT_EQ(Strings{"b"}, db_.versions());
    EXPECT_EQ((Strings{"upgrade a", "upgrade b"}), db_.history());
}

// In a fresh history's batch, the migrations before the one stopped by its lock timeout
// commit (in a new batch: the failure ended the first), and that migration is tried alone at
// once; stopped again, it waits, and the retry is a new batch from that migration, so no
// transaction holds locks while the runner waits.
TEST_F(ScriptedMigratorTest, FreshHistoryLockTimeoutRetriesFromTheStoppedMigration) {
    add("a", "");
    add("b", "a");
    add("c", "b", "ALTER TABLE big ADD COLUMN note text;\n");
    db_.fail_with_lock_timeout("ALTER TABLE big", 2);
    upgrade();

    EXPECT_EQ((std::vector<long long>{500}), slept_ms_);
    EXPECT_EQ((Strings{"CREATE TABLE t_a (id INTEGER);", "CREATE TABLE t_b (id INTEGER);",
                       "ALTER TABLE big ADD COLUMN note text;", "CREATE TABLE t_a (id INTEGER);",
                       "CREATE TABLE t_b (id INTEGER);", "ALTER TABLE big ADD COLUMN note text;"}),
              details_of("execute_batched"));
    EXPECT_EQ(Strings{"ALTER TABLE big ADD COLUMN note text;"}, details_of("execute_transaction"));
    EXPECT_EQ(3, db_.count("begin"));
    EXPECT_EQ(2, db_.count("commit"));
    EXPECT_EQ((Strings{"upgrade a", "upgrade b", "upgrade c"}), progress_.finished);
    EXPECT_EQ(Strings{"c"}, db_.versions());
    EXPECT_EQ((Strings{"upgrade a", "upgrade b", "upgrade c"}), db_.history());
}

// Timeouts are set per transaction: a migration with its own timeouts does not take the
// one-call path but runs statement by statement after its SET LOCAL, its history row
// timed by the runner; the migrations around it still go in one call each.
TEST_F(ScriptedMigratorTest, MigrationWithTimeoutsRunsStatementByStatement) {
    db_.set_versions("alembic_version", {"a"});
    add("a", "");
    add("b", "a");
    add("c", "b", "ALTER TABLE big ADD COLUMN note text;\n", {{}, milliseconds(60000)});
    add("d", "c");
    upgrade();

    EXPECT_EQ((Strings{"lock_history alembic_version", "ensure_history_table",
                       "execute_transaction CREATE TABLE t_b (id INTEGER);", "begin",
                       "execute SET LOCAL statement_timeout = '60000ms'", "fence alembic_version",
                       "execute ALTER TABLE big ADD COLUMN note text;",
                       "execute UPDATE alembic_version SET version_num='c' WHERE "
                       "alembic_version.version_num = 'b'",
                       "execute INSERT INTO fastappkit_history (…) VALUES ('alembic_version', "
                       "'c', 'upgrade', …)",
                       "execute SELECT fence_check('alembic_version')", "commit",
                       "execute_transaction CREATE TABLE t_d (id INTEGER);",
                       "unlock_history alembic_version"}),
              db_.trace());
    for (const auto& call : db_.calls_named("execute"))
        EXPECT_FALSE(ends_with(call.detail, db_.batch_elapsed_ms_sql() + ")")) << call.detail;
    EXPECT_EQ(Strings{"d"}, db_.versions());
    EXPECT_EQ((Strings{"upgrade b", "upgrade c", "upgrade d"}), db_.history());
}

// Timeouts from the settings hold for every migration: none takes the one-call path.
TEST_F(ScriptedMigratorTest, TimeoutsFromTheSettingsKeepEveryMigrationOffTheOneCallPath) {
    db_.set_versions("alembic_version", {"a"});
    add("a", "");
    add("b", "a");
    add("c", "b");
    MigrationSettings settings;
    settings.timeouts.lock_timeout = milliseconds(5000);
    history().set_settings(settings);
    upgrade();

    EXPECT_EQ(0, db_.count("execute_transaction"));
    EXPECT_EQ(2, db_.count("commit"));
    const Strings executed = details_of("execute");
    EXPECT_EQ(2, std::count(executed.begin(), executed.end(), "SET LOCAL lock_timeout = '5000ms'"));
    EXPECT_EQ(Strings{"c"}, db_.versions());
    EXPECT_EQ((Strings{"upgrade b", "upgrade c"}), db_.history());
}

// On the statement-by-statement path the heads are read under the fence: moved by another
// runner, the transaction is given up before the section runs and the runner plans again.
TEST_F(ScriptedMigratorTest, FenceFindingTheHeadsMovedPlansAgain) {
    db_.set_versions("alembic_version", {"a"});
    add("a", "");
    add("b", "a", "ALTER TABLE big ADD COLUMN note text;\n", {milliseconds(2000), {}});
    add("c", "b", "ALTER TABLE big ADD COLUMN size integer;\n", {milliseconds(2000), {}});
    db_.before("fence", 1, [this] { db_.apply_as_another_runner("a", "b"); });
    const MigrationResult result = upgrade();

    EXPECT_EQ((Strings{"upgrade c"}), progress_.finished);
    Strings sections_run;
    for (const auto& sql : details_of("execute"))
        if (starts_with(sql, "ALTER TABLE")) sections_run.push_back(sql);
    EXPECT_EQ(Strings{"ALTER TABLE big ADD COLUMN size integer;"}, sections_run);
    EXPECT_EQ(1, db_.count("rollback"));
    EXPECT_EQ(Strings{"c"}, db_.versions());
    EXPECT_EQ((Strings{"upgrade b", "upgrade c"}), db_.history());
}

// A transaction:false section runs on its own between two transactions: the first marks it
// started, the second records it and clears the mark.
TEST_F(ScriptedMigratorTest, TransactionFalseSectionRunsBetweenTwoTransactions) {
    db_.set_versions("alembic_version", {"a"});
    add("a", "");
    add("b", "a", "CREATE INDEX CONCURRENTLY big_note ON big (note);\n", {}, false);
    upgrade();

    EXPECT_EQ(1, db_.count("execute_outside_transaction"));
    EXPECT_EQ(0, db_.count("execute_transaction"));
    EXPECT_EQ(2, db_.count("commit"));
    EXPECT_EQ(Strings{"b"}, db_.versions());
    EXPECT_EQ(Strings{"upgrade b"}, db_.history());
    EXPECT_TRUE(db_.query("SELECT revision, direction, started_at FROM fastappkit_unfinished "
                          "WHERE version_table = 'alembic_version' ORDER BY started_at")
                    .empty());
}

// When it fails, the mark stays and the next run is refused until the user resolves it.
TEST_F(ScriptedMigratorTest, FailingTransactionFalseSectionLeavesTheHistoryRefused) {
    db_.set_versions("alembic_version", {"a"});
    add("a", "");
    add("b", "a", "CREATE INDEX CONCURRENTLY big_note ON big (note);\n", {}, false);
    db_.fail("CREATE INDEX CONCURRENTLY", "could not create unique index \"big_note\"");
    const auto failed = upgrade_error();
    ASSERT_TRUE(failed);
    EXPECT_TRUE(starts_with(failed->what(),
                            "core: upgrade of revision b failed at b.sql:6: could not create "
                            "unique index \"big_note\" (statement: CREATE INDEX CONCURRENTLY "
                            "big_note ON big (note)); the section ran outside a transaction"))
        << failed->what();
    EXPECT_EQ(Strings{"a"}, db_.versions());

    const auto refused = upgrade_error();
    ASSERT_TRUE(refused);
    EXPECT_EQ(ErrorReason::unfinished_section, refused->reason());
    EXPECT_EQ(1, db_.count("execute_outside_transaction"));
}

}  // namespace
}  // namespace fastappkit
