// What only the SQLite backend has: files that are missing, read-only or no database, URL
// options, trigger bodies, and the busy wait of BEGIN IMMEDIATE. What every backend must do
// alike is tested in database_contract_test.cpp.
#include "db/sqlite_database.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/error.h"
#include "db/schema_sql.h"
#include "test_support/test_support.h"

namespace fastappkit {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

DatabaseUrl sqlite_url(const fs::path& path) {
    DatabaseUrl url;
    url.dialect = Dialect::sqlite;
    url.text = "sqlite:///" + path.string();
    url.sqlite_path = path;
    return url;
}

std::unique_ptr<Database> open(const fs::path& path, OpenOptions options = {}) {
    return open_sqlite_database(sqlite_url(path), options);
}

std::unique_ptr<Database> open_read_only(const fs::path& path) {
    OpenOptions options;
    options.read_only = true;
    return open(path, options);
}

template <typename Action>
std::string error_message(Action action) {
    return test_support::message_of(ExitCode::failure, action);
}

template <typename Action>
StatementError statement_error(Action action) {
    return test_support::thrown<StatementError>(action).value_or(StatementError(0, "", ""));
}

// A scratch directory removed when the test ends.
class SqliteDatabaseTest : public ::testing::Test {
protected:
    test_support::ScopedTempDir scratch_;
    const fs::path dir_ = scratch_.path();
    const fs::path path_ = dir_ / "app.db";
};

// ?mode=memory names no file: no database file and no lock file appear beside the path.
TEST_F(SqliteDatabaseTest, MemoryModeLeavesNoFileBehind) {
    DatabaseUrl url = sqlite_url(path_);
    url.params = {{"mode", "memory"}};
    {
        const auto db = open_sqlite_database(url, {});
        const auto lock = db->lock_history("alembic_version");
        db->execute("CREATE TABLE t (x INT)");
        EXPECT_TRUE(db->has_table("t"));
    }
    EXPECT_FALSE(fs::exists(path_));
    EXPECT_FALSE(fs::exists(dir_ / "app.db-fastappkit.lock"));
}

TEST_F(SqliteDatabaseTest, ReadOnlyOpenOfAMissingFileCreatesNothing) {
    const auto db = open_read_only(path_);
    EXPECT_FALSE(db->has_table("alembic_version"));
    EXPECT_TRUE(db->read_versions("alembic_version").empty());
    EXPECT_TRUE(db->read_log("alembic_version").empty());
    EXPECT_NE(nullptr, db->lock_history("alembic_version"));
    EXPECT_EQ("Cannot run migration SQL in sqlite:///" + path_.string() +
                  ": the database does not exist and was opened read-only",
              error_message([&] { db->execute("CREATE TABLE t (x INT)"); }));
    EXPECT_THROW(db->begin(), Error);
    EXPECT_THROW(db->ensure_history_table(), Error);
    EXPECT_FALSE(fs::exists(path_));
}

TEST_F(SqliteDatabaseTest, ReadOnlyOpenOfAnExistingFileReadsButNeverWrites) {
    open(path_)->execute(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);"
        "INSERT INTO alembic_version VALUES ('abc');");
    const auto db = open_read_only(path_);
    EXPECT_EQ(std::vector<std::string>{"abc"}, db->read_versions("alembic_version"));
    const StatementError error =
        statement_error([&] { db->execute("DELETE FROM alembic_version"); });
    EXPECT_EQ("attempt to write a readonly database", error.message);
}

TEST_F(SqliteDatabaseTest, AMissingParentDirectoryIsAFailure) {
    const fs::path path = dir_ / "missing" / "app.db";
    EXPECT_EQ("Cannot open database sqlite:///" + path.string() + ": the directory " +
                  (dir_ / "missing").string() + " does not exist",
              error_message([&] { open(path); }));
    EXPECT_FALSE(fs::exists(dir_ / "missing"));
}

TEST_F(SqliteDatabaseTest, AFileThatIsNoDatabaseIsAFailure) {
    std::ofstream(path_) << "this is not a database, not at all, it is a plain text file\n";
    const auto db = open_read_only(path_);
    EXPECT_EQ("Cannot read the schema in sqlite:///" + path_.string() + ": file is not a database",
              error_message([&] { db->has_table("alembic_version"); }));
}

// The database file appears at the open, before anything is written.
TEST_F(SqliteDatabaseTest, AnOpenThatMayWriteCreatesTheFile) {
    const auto db = open(path_);
    EXPECT_TRUE(fs::exists(path_));
    db->execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)");
    EXPECT_TRUE(fs::exists(path_));
}

// The backend creates fastappkit_history with the statement `migrate preview` prints (the
// contract suite reads back what the runner's own insert writes).
TEST_F(SqliteDatabaseTest, HistoryTableIsTheOneOfSchemaSql) {
    const auto db = open(path_);
    db->ensure_history_table();
    std::string expected = create_history_table_sql();
    expected.replace(expected.find("IF NOT EXISTS "), 14, "");  // SQLite stores it without
    EXPECT_EQ(
        expected,
        db->query("SELECT sql FROM sqlite_master WHERE name = 'fastappkit_history'").at(0).at(0));
}

// A trigger's body holds semicolons but is one statement; the line of a later failure counts
// its lines (the contract suite tests statement errors on every backend).
TEST_F(SqliteDatabaseTest, TriggerBodyIsOneStatement) {
    const auto db = open(path_);
    db->execute("CREATE TABLE a (x INT UNIQUE)");
    const StatementError step_error = statement_error([&] {
        db->execute(
            "CREATE TRIGGER a_guard BEFORE DELETE ON a\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND;\n"
            "INSERT INTO a VALUES (1);\n"
            "INSERT INTO a\nVALUES (2); /* fine */ INSERT INTO a VALUES (1);\n",
            1);
    });
    EXPECT_EQ(8, step_error.line);
    EXPECT_EQ("INSERT INTO a VALUES (1)", step_error.statement);
    EXPECT_EQ("UNIQUE constraint failed: a.x", step_error.message);
}

TEST_F(SqliteDatabaseTest, AWaitingRunnerSaysSoOnceAndTimesOut) {
    const auto holder = open(path_);
    auto held = holder->begin();

    std::vector<std::string> waits;
    OpenOptions options;
    options.lock_timeout = 200ms;
    options.on_wait = [&](const std::string& message) { waits.push_back(message); };
    const auto waiter = open(path_, options);

    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ("Timed out after 0.2 s waiting for the database lock on " + path_.string() +
                  "; another runner may be stuck.",
              error_message([&] { waiter->begin(); }));
    EXPECT_GE(std::chrono::steady_clock::now() - started, 200ms);
    ASSERT_EQ(1u, waits.size());
    EXPECT_EQ("Waiting for another fastappkit runner to release the database lock on " +
                  path_.string() + " (giving up after 0.2 s).",
              waits[0]);

    // The second wait of the same runner is not announced again.
    EXPECT_THROW(waiter->begin(), Error);
    EXPECT_EQ(1u, waits.size());
}

TEST_F(SqliteDatabaseTest, AWaitingRunnerProceedsWhenTheLockIsReleased) {
    const auto holder = open(path_);
    holder->execute("CREATE TABLE t (x INT)");
    auto held = holder->begin();
    holder->execute("INSERT INTO t VALUES (1)");

    int waits = 0;
    OpenOptions options;
    options.lock_timeout = 10s;
    options.on_wait = [&](const std::string&) { ++waits; };
    const auto waiter = open(path_, options);

    std::thread release([&] {
        std::this_thread::sleep_for(100ms);
        held->commit();
    });
    auto transaction = waiter->begin();
    release.join();
    waiter->execute("INSERT INTO t VALUES (2)");
    transaction->commit();
    EXPECT_EQ(1, waits);
}

}  // namespace
}  // namespace fastappkit
