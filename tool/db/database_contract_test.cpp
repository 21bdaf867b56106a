// The contract of db/database.h, run over every backend: a SQLite file, a SQLite database in
// memory, and PostgreSQL when FASTAPPKIT_TEST_POSTGRES_URL names a server (eval "$(bash
// tests/support/pg-start.sh)"; skipped otherwise). What the interface lets differ between
// backends is written once per backend, in Differences, and asserted as such, so that a backend
// cannot drift from the others unnoticed. What only one backend has (SQLite's journal and busy
// wait, PostgreSQL's leases, poolers and URL options) is tested in sqlite_database_test.cpp and
// postgres_database_test.cpp.
#include "db/database.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "common/error_reason.h"
#include "db/schema_sql.h"
#include "test_support/test_support.h"

namespace fastappkit {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Strings = std::vector<std::string>;
using Rows = std::vector<std::vector<std::optional<std::string>>>;

const char* const version_table = "alembic_version_payments";
const char* const create_version_table =
    "CREATE TABLE alembic_version_payments (version_num VARCHAR(32) NOT NULL, "
    "CONSTRAINT alembic_version_payments_pkc PRIMARY KEY (version_num))";
// Runs for minutes unless interrupted, on either backend.
const char* const slow_statement =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) "
    "SELECT count(*) FROM c";

// What database.h lets differ between backends, and the database's own words for the errors
// the tests provoke.
struct Differences {
    Dialect dialect = Dialect::sqlite;
    // A second connection opens the same database. Not so in memory: there every connection
    // has a database of its own, which no other runner can reach, so a lock has nothing to
    // keep off.
    bool shared = true;
    bool history_lock_is_exclusive = false;
    bool applies_timeouts = false;           // limit_transaction() sets them
    bool times_batches = false;              // batch_elapsed_ms_sql() is an expression
    bool checks_lock_before_commit = false;  // fence_check_sql() under a held lock
    bool reader_keeps_runners_off = true;    // the lock wait_for_history() returns
    bool warns_without_timeouts = false;     // execute_outside_transaction() with timeouts
    // read_log(): by applied_at (rows written in one instant as written), or as written.
    bool history_by_applied_at = false;
    std::string no_table_nope;   // a statement on table nope, which does not exist
    std::string duplicate_a_x;   // a second 1 in a.x, which is UNIQUE
    std::string missing_parent;  // a child row whose parent row does not exist
    std::string cancelled;       // a statement stopped by interrupt()
};

Differences sqlite_differences(bool shared) {
    Differences sqlite;
    sqlite.shared = shared;
    sqlite.no_table_nope = "no such table: nope";
    sqlite.duplicate_a_x = "UNIQUE constraint failed: a.x";
    sqlite.missing_parent = "FOREIGN KEY constraint failed";
    sqlite.cancelled = "interrupted";
    return sqlite;
}

Differences postgres_differences() {
    Differences postgres;
    postgres.dialect = Dialect::postgresql;
    postgres.history_lock_is_exclusive = true;
    postgres.applies_timeouts = true;
    postgres.times_batches = true;
    postgres.checks_lock_before_commit = true;  // the lease, the default lock
    postgres.reader_keeps_runners_off = false;  // a lease is only waited for
    postgres.warns_without_timeouts = true;     // no direct connection to apply them on
    postgres.history_by_applied_at = true;
    postgres.no_table_nope = "relation \"nope\" does not exist";
    postgres.duplicate_a_x = "duplicate key value violates unique constraint \"a_x_key\"";
    postgres.missing_parent =
        "insert or update on table \"child\" violates foreign key constraint "
        "\"child_parent_id_fkey\"";
    postgres.cancelled = "canceling statement due to user request";
    return postgres;
}

// One test's database on one backend.
class Backend {
public:
    explicit Backend(Differences differences) : differences_(std::move(differences)) {}
    virtual ~Backend() = default;
    Backend(const Backend&) = delete;
    Backend& operator=(const Backend&) = delete;

    const Differences& differences() const { return differences_; }
    // A runner's connection.
    virtual std::unique_ptr<Database> open(const OpenOptions& options) = 0;
    virtual std::string display_url() const = 0;
    // How the lock messages name the lock of `table`'s history.
    virtual std::string lock_name(const std::string& table) const { return table; }

private:
    Differences differences_;
};

class SqliteFileBackend final : public Backend {
public:
    SqliteFileBackend() : Backend(sqlite_differences(true)) {}
    std::unique_ptr<Database> open(const OpenOptions& options) override {
        return open_database(parse_database_url(display_url(), scratch_.path()), options);
    }
    std::string display_url() const override { return "sqlite:///" + file_.string(); }
    std::string lock_name(const std::string& table) const override {
        return table + " of " + file_.string();
    }

private:
    test_support::ScopedTempDir scratch_;
    fs::path file_ = scratch_ / "app.db";
};

class SqliteMemoryBackend final : public Backend {
public:
    SqliteMemoryBackend() : Backend(sqlite_differences(false)) {}
    std::unique_ptr<Database> open(const OpenOptions& options) override {
        return open_database(parse_database_url("sqlite://", fs::current_path()), options);
    }
    std::string display_url() const override { return "sqlite:///:memory:"; }
};

// A schema of its own, which every connection finds first through the URL (not by a SET on
// one session: the lease's renewals open a connection of their own), dropped at the end.
class PostgresBackend final : public Backend {
public:
    explicit PostgresBackend(const std::string& server) : Backend(postgres_differences()) {
        static int count = 0;
        schema_ = fmt::format("fk_contract_{}_{}", getpid(), ++count);
        admin_ = open_database(parse(server), {});
        admin_->execute(
            fmt::format("DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0}", schema_));
        url_ = parse(server + (server.find('?') == std::string::npos ? "?" : "&") +
                     "options=-csearch_path%3D" + schema_);
    }
    ~PostgresBackend() override {
        try {
            admin_->execute(fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", schema_));
        } catch (...) {
            // A schema left behind is dropped by the next run of the same name, or by hand.
        }
    }
    std::unique_ptr<Database> open(const OpenOptions& options) override {
        return open_database(url_, options);
    }
    std::string display_url() const override { return url_.masked(); }

private:
    static DatabaseUrl parse(const std::string& text) {
        return parse_database_url(text, fs::current_path());
    }

    std::string schema_;
    std::unique_ptr<Database> admin_;
    DatabaseUrl url_;
};

#ifdef FASTAPPKIT_TEST_WITH_POSTGRESQL
constexpr bool built_with_postgres = true;
#else
constexpr bool built_with_postgres = false;
#endif

std::string postgres_server() {
    const char* text = std::getenv("FASTAPPKIT_TEST_POSTGRES_URL");
    return text ? text : "";
}

struct BackendKind {
    const char* name;
    std::unique_ptr<Backend> (*make)();
    bool needs_server;
};

std::unique_ptr<Backend> make_sqlite_file() { return std::make_unique<SqliteFileBackend>(); }
std::unique_ptr<Backend> make_sqlite_memory() { return std::make_unique<SqliteMemoryBackend>(); }
std::unique_ptr<Backend> make_postgresql() {
    return std::make_unique<PostgresBackend>(postgres_server());
}

// The fastappkit::Error an action throws: its message and reason; it must be a failure.
struct Failed {
    std::string message = "no error";
    ErrorReason reason = ErrorReason::none;
};

template <typename Action>
Failed failure_of(Action&& action) {
    try {
        action();
    } catch (const Error& error) {
        EXPECT_EQ(static_cast<int>(ExitCode::failure), static_cast<int>(error.code()))
            << error.what();
        return {error.what(), reason_of(error)};
    }
    return {};
}

template <typename Action>
std::string error_message(Action&& action) {
    return failure_of(action).message;
}

Strings sorted(Strings values) {
    std::sort(values.begin(), values.end());
    return values;
}

std::string backend_name(const ::testing::TestParamInfo<BackendKind>& kind) {
    return kind.param.name;
}

// For GoogleTest's messages, which name the parameter of a failed test.
void PrintTo(const BackendKind& kind, std::ostream* out) { *out << kind.name; }

class DatabaseContract : public ::testing::TestWithParam<BackendKind> {
protected:
    void SetUp() override {
        if (GetParam().needs_server && !built_with_postgres)
            GTEST_SKIP() << "this build has no PostgreSQL support";
        if (GetParam().needs_server && postgres_server().empty())
            GTEST_SKIP() << "FASTAPPKIT_TEST_POSTGRES_URL is not set";
        backend_ = GetParam().make();
        db_ = open();
    }

    // Connections first: dropping the PostgreSQL schema waits for every lock on it.
    void TearDown() override {
        observer_.reset();
        db_.reset();
        backend_.reset();
    }

    const Differences& differ() const { return backend_->differences(); }
    std::unique_ptr<Database> open(const OpenOptions& options = {}) {
        return backend_->open(options);
    }
    // A connection that sees what the others committed: another one where there can be
    // another one, so that the test sees a commit rather than its own transaction.
    Database& observer() {
        if (!differ().shared) return *db_;
        if (!observer_) observer_ = open();
        return *observer_;
    }
    std::string lock_timed_out(const std::string& seconds, const std::string& table) const {
        return fmt::format(
            "Timed out after {} s waiting for the migration lock on {}; another runner may be "
            "stuck.",
            seconds, backend_->lock_name(table));
    }

    std::unique_ptr<Backend> backend_;
    std::unique_ptr<Database> db_;

private:
    std::unique_ptr<Database> observer_;
};

TEST_P(DatabaseContract, DescribesItself) {
    EXPECT_EQ(differ().dialect, db_->dialect());
    EXPECT_EQ(backend_->display_url(), db_->display_url());
    EXPECT_EQ(differ().history_lock_is_exclusive, db_->history_lock_is_exclusive());
    EXPECT_EQ(differ().applies_timeouts, applies_timeouts(db_->dialect()));
    EXPECT_EQ(differ().times_batches, !db_->batch_elapsed_ms_sql().empty());
    // A plain connection can run a transaction:false section.
    EXPECT_EQ("", db_->outside_transaction_refusal());
}

TEST_P(DatabaseContract, VersionTableRoundTrip) {
    EXPECT_FALSE(db_->has_table(version_table));
    EXPECT_EQ(Strings{}, db_->read_versions(version_table));

    db_->execute(std::string(create_version_table) +
                 ";\n"
                 "INSERT INTO alembic_version_payments (version_num) VALUES ('aaa111');\n"
                 "INSERT INTO alembic_version_payments (version_num) VALUES ('bbb222');\n");
    EXPECT_TRUE(db_->has_table(version_table));
    EXPECT_FALSE(db_->has_table("alembic_version_payments_pkc"));  // an index, not a table
    EXPECT_EQ((Strings{"aaa111", "bbb222"}), db_->read_versions(version_table));
    EXPECT_EQ(Strings{}, db_->read_versions("alembic_version"));  // another history

    auto transaction = db_->begin();
    db_->execute(
        "UPDATE alembic_version_payments SET version_num = 'ffeeddccbbaa' "
        "WHERE version_num = 'aaa111'");
    transaction->commit();
    EXPECT_EQ((Strings{"bbb222", "ffeeddccbbaa"}), sorted(observer().read_versions(version_table)));
}

// Rows written in one instant come back as written, on every backend. A row written after
// another but stamped earlier (a clock set back, runners on hosts whose clocks disagree) is
// where they part: SQLite reads rows as written (rowid), PostgreSQL, which has no such order,
// by applied_at.
TEST_P(DatabaseContract, HistoryTableRoundTrip) {
    EXPECT_TRUE(db_->read_log("alembic_version").empty());
    db_->ensure_history_table();
    db_->ensure_history_table();  // idempotent
    EXPECT_TRUE(db_->has_table("fastappkit_history"));
    db_->execute(
        "INSERT INTO fastappkit_history VALUES "
        "('alembic_version', 'bbbb', 'upgrade', 'c1', '2024-05-01T10:00:00.000Z', 5);\n"
        "INSERT INTO fastappkit_history VALUES "
        "('alembic_version', 'aaaa', 'upgrade', 'c2', '2024-05-01T10:00:00.000Z', 7);\n"
        "INSERT INTO fastappkit_history VALUES "
        "('alembic_version_payments', 'pppp', 'upgrade', 'c3', '2024-05-01T09:00:00.000Z', 1);\n"
        "INSERT INTO fastappkit_history VALUES "
        "('alembic_version', 'cccc', 'downgrade', 'c4', '2024-05-01T09:59:59.999Z', 3);\n");
    const auto rows = db_->read_log("alembic_version");
    Strings revisions;
    for (const auto& row : rows) revisions.push_back(row.revision);
    EXPECT_EQ(differ().history_by_applied_at ? (Strings{"cccc", "bbbb", "aaaa"})
                                             : (Strings{"bbbb", "aaaa", "cccc"}),
              revisions);
    const auto aaaa = std::find_if(rows.begin(), rows.end(),
                                   [](const LogEntry& row) { return row.revision == "aaaa"; });
    ASSERT_NE(rows.end(), aaaa);
    EXPECT_EQ("alembic_version", aaaa->version_table);
    EXPECT_EQ("upgrade", aaaa->direction);
    EXPECT_EQ("c2", aaaa->checksum);
    EXPECT_EQ("2024-05-01T10:00:00.000Z", aaaa->applied_at);
    EXPECT_EQ(7, aaaa->duration_ms);
    const auto cccc = std::find_if(rows.begin(), rows.end(),
                                   [](const LogEntry& row) { return row.revision == "cccc"; });
    ASSERT_NE(rows.end(), cccc);
    EXPECT_EQ("downgrade", cccc->direction);
    EXPECT_EQ(3, cccc->duration_ms);
    EXPECT_EQ(1u, db_->read_log("alembic_version_payments").size());
}

// The backend reads back what the runner's own insert writes.
TEST_P(DatabaseContract, HistoryRowOfTheRunnerRoundTrips) {
    db_->ensure_history_table();
    const LogEntry row{"alembic_version", "it's", "upgrade", "c0", "2026-01-01T00:00:00.000Z", 3};
    db_->execute(insert_history_sql(row));
    const auto rows = observer().read_log("alembic_version");
    ASSERT_EQ(1u, rows.size());
    EXPECT_EQ("it's", rows[0].revision);
    EXPECT_EQ("c0", rows[0].checksum);
    EXPECT_EQ("2026-01-01T00:00:00.000Z", rows[0].applied_at);
    EXPECT_EQ(3, rows[0].duration_ms);
}

TEST_P(DatabaseContract, EnsureHistoryTableIsSafeWhenRunnersRace) {
    std::vector<std::unique_ptr<Database>> runners;
    for (int i = 0; i < 6; ++i) runners.push_back(open());
    std::atomic<bool> go{false};
    std::vector<std::future<void>> done;
    for (auto& runner : runners)
        done.push_back(std::async(std::launch::async, [&go, &runner] {
            while (!go) std::this_thread::yield();
            runner->ensure_history_table();
        }));
    go = true;
    for (auto& each : done) EXPECT_NO_THROW(each.get());
    for (auto& runner : runners) EXPECT_TRUE(runner->has_table("fastappkit_history"));
}

// In the open transaction, so that it is rolled back with it.
TEST_P(DatabaseContract, EnsureTableCreatesInTheOpenTransaction) {
    {
        auto transaction = db_->begin();
        db_->ensure_table(kUnfinishedTable, create_unfinished_table_sql());
        EXPECT_TRUE(db_->has_table(kUnfinishedTable));
    }
    EXPECT_FALSE(db_->has_table(kUnfinishedTable));
    db_->ensure_table(kUnfinishedTable, create_unfinished_table_sql());
    db_->ensure_table(kUnfinishedTable, create_unfinished_table_sql());  // found: nothing to do
    EXPECT_TRUE(observer().has_table(kUnfinishedTable));
}

TEST_P(DatabaseContract, TransactionRollsBackInItsDestructor) {
    db_->execute(create_version_table);
    {
        auto transaction = db_->begin();
        db_->execute(
            "INSERT INTO alembic_version_payments VALUES ('aaaa'); CREATE TABLE u (y INT)");
        EXPECT_EQ(Strings{"aaaa"}, db_->read_versions(version_table));  // seen inside
    }
    EXPECT_EQ(Strings{}, db_->read_versions(version_table));
    EXPECT_FALSE(db_->has_table("u"));

    auto transaction = db_->begin();  // the connection is usable again
    db_->execute("INSERT INTO alembic_version_payments VALUES ('bbbb'); CREATE TABLE u (y INT)");
    transaction->commit();
    EXPECT_EQ(Strings{"bbbb"}, observer().read_versions(version_table));
    EXPECT_TRUE(observer().has_table("u"));
}

TEST_P(DatabaseContract, AFailedStatementRollsBackItsTransactionOnly) {
    db_->execute(create_version_table);
    {
        auto transaction = db_->begin();
        db_->execute("INSERT INTO alembic_version_payments VALUES ('one')");
        transaction->commit();
    }
    EXPECT_THROW(
        {
            auto transaction = db_->begin();
            db_->execute(
                "UPDATE alembic_version_payments SET version_num = 'two'; SELECT nope FROM t");
            transaction->commit();
        },
        StatementError);
    EXPECT_EQ(Strings{"one"}, db_->read_versions(version_table));
}

TEST_P(DatabaseContract, StatementErrorsNameLineStatementAndMessage) {
    const auto missing = test_support::thrown<StatementError>([&] {
        db_->execute(
            "CREATE TABLE t (version_num VARCHAR(32));\n"
            "\n"
            "INSERT INTO t VALUES ('one');\n"
            "-- the next one fails\n"
            "INSERT INTO\n"
            "  nope VALUES ('two');\n"
            "INSERT INTO t VALUES ('three');\n",
            10);
    });
    ASSERT_TRUE(missing);
    EXPECT_EQ(14, missing->line);  // the statement's own line, not the comment above it
    EXPECT_EQ("INSERT INTO\n  nope VALUES ('two')", missing->statement);
    EXPECT_EQ(differ().no_table_nope, missing->message);
    EXPECT_FALSE(missing->lock_not_available);
    // Outside a transaction each statement commits on its own.
    EXPECT_EQ(Strings{"one"}, observer().read_versions("t"));

    // A statement that prepares but fails as it runs, after another on the same line.
    const auto duplicate = test_support::thrown<StatementError>([&] {
        db_->execute(
            "CREATE TABLE a (x INT UNIQUE);\n"
            "INSERT INTO a VALUES (1);\n"
            "INSERT INTO a\nVALUES (2); /* fine */ INSERT INTO a VALUES (1);\n");
    });
    ASSERT_TRUE(duplicate);
    EXPECT_EQ(4, duplicate->line);
    EXPECT_EQ("INSERT INTO a VALUES (1)", duplicate->statement);
    EXPECT_EQ(differ().duplicate_a_x, duplicate->message);
}

// SQLite's are enforced only when the connection asks: the backend asks.
TEST_P(DatabaseContract, ForeignKeysAreEnforced) {
    const auto error = test_support::thrown<StatementError>([&] {
        db_->execute(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY);\n"
            "CREATE TABLE child (parent_id INTEGER REFERENCES parent (id));\n"
            "INSERT INTO child VALUES (42);");
    });
    ASSERT_TRUE(error);
    EXPECT_EQ(3, error->line);
    EXPECT_EQ(differ().missing_parent, error->message);
}

// A failed statement under a savepoint is undone alone; the transaction goes on to commit the
// rest (PostgreSQL, which aborts the transaction at the failure, no longer aborted).
TEST_P(DatabaseContract, SavepointsUndoTheirWorkAndKeepTheTransactionUsable) {
    db_->execute(create_version_table);
    auto transaction = db_->begin();
    db_->execute("INSERT INTO alembic_version_payments VALUES ('aaaa')");
    db_->savepoint("fastappkit_migration");
    db_->execute("INSERT INTO alembic_version_payments VALUES ('bbbb')");
    EXPECT_THROW(db_->execute("INSERT INTO nope VALUES (1)"), StatementError);
    db_->rollback_to_savepoint("fastappkit_migration");
    db_->release_savepoint("fastappkit_migration");
    db_->savepoint("fastappkit_migration");
    db_->execute("INSERT INTO alembic_version_payments VALUES ('cccc')");
    db_->release_savepoint("fastappkit_migration");  // released: its work stays
    EXPECT_EQ((Strings{"aaaa", "cccc"}), sorted(db_->read_versions(version_table)));
    transaction->commit();
    EXPECT_EQ((Strings{"aaaa", "cccc"}), sorted(observer().read_versions(version_table)));
    // Without a transaction there is nothing to roll back to.
    EXPECT_THROW(db_->rollback_to_savepoint("fastappkit_migration"), Error);
}

// A fresh database's batch: each migration under a savepoint. A failing one is undone alone,
// named by its statement and line, and the transaction goes on to commit the others.
TEST_P(DatabaseContract, ExecuteInSavepointUndoesOnlyTheFailingMigration) {
    db_->execute(create_version_table);
    auto transaction = db_->begin();
    db_->execute_in_savepoint("CREATE TABLE a (id INTEGER)", 1,
                              {"INSERT INTO alembic_version_payments VALUES ('aaaa')"},
                              "fastappkit_migration");
    const auto error = test_support::thrown<StatementError>([&] {
        db_->execute_in_savepoint("CREATE TABLE b (id INTEGER);\nINSERT INTO nope VALUES (1);", 7,
                                  {"UPDATE alembic_version_payments SET version_num = 'bbbb'"},
                                  "fastappkit_migration");
    });
    ASSERT_TRUE(error);
    EXPECT_EQ(8, error->line);
    EXPECT_EQ("INSERT INTO nope VALUES (1)", error->statement);
    EXPECT_EQ(differ().no_table_nope, error->message);
    EXPECT_FALSE(error->lock_not_available);
    db_->execute_in_savepoint("CREATE TABLE c (id INTEGER)", 1,
                              {"UPDATE alembic_version_payments SET version_num = 'cccc'"},
                              "fastappkit_migration");
    transaction->commit();
    EXPECT_TRUE(observer().has_table("a"));
    EXPECT_FALSE(observer().has_table("b"));
    EXPECT_TRUE(observer().has_table("c"));
    EXPECT_EQ(Strings{"cccc"}, observer().read_versions(version_table));
}

// A bookkeeping statement is the runner's, not the migration's: a failure naming the
// database, as in execute_transaction(); the migration is undone and the transaction usable.
TEST_P(DatabaseContract, ExecuteInSavepointUndoesAMigrationWhoseBookkeepingFails) {
    db_->execute(create_version_table);
    auto transaction = db_->begin();
    db_->execute_in_savepoint("CREATE TABLE a (id INTEGER)", 1,
                              {"INSERT INTO alembic_version_payments VALUES ('aaaa')"},
                              "fastappkit_migration");
    EXPECT_EQ(
        fmt::format("{}: {}.", db_->display_url(), differ().no_table_nope), error_message([&] {
            db_->execute_in_savepoint("CREATE TABLE b (id INTEGER)", 1,
                                      {"INSERT INTO nope VALUES ('bbbb')"}, "fastappkit_migration");
        }));
    db_->execute("INSERT INTO alembic_version_payments VALUES ('cccc')");
    transaction->commit();
    EXPECT_TRUE(observer().has_table("a"));
    EXPECT_FALSE(observer().has_table("b"));
    EXPECT_EQ((Strings{"aaaa", "cccc"}), sorted(observer().read_versions(version_table)));
}

TEST_P(DatabaseContract, ExecuteTransactionCommitsSectionAndBookkeepingTogether) {
    db_->execute(create_version_table);
    db_->execute("CREATE TABLE timing (ms INTEGER)");
    const std::string elapsed = db_->batch_elapsed_ms_sql();
    EXPECT_TRUE(db_->execute_transaction(
        "CREATE TABLE account (id INTEGER);\nINSERT INTO account VALUES (1);\n-- a trailing "
        "comment",
        5,
        {"INSERT INTO alembic_version_payments VALUES ('aaaa')",
         "INSERT INTO timing VALUES (" + (elapsed.empty() ? std::string("0") : elapsed) + ")"},
        Timeouts{}, version_table, {}));
    EXPECT_EQ(Strings{"aaaa"}, observer().read_versions(version_table));
    EXPECT_EQ((Rows{{"1"}}), observer().query("SELECT id FROM account"));
    const auto ms = observer().query("SELECT ms FROM timing");
    ASSERT_EQ(1u, ms.size());
    EXPECT_GE(std::stoi(ms[0][0].value_or("-1")), 0);
}

TEST_P(DatabaseContract, ExecuteTransactionNamesTheFailingStatementAndChangesNothing) {
    db_->execute(create_version_table);
    const std::string section =
        "CREATE TABLE account (version_num VARCHAR(32));\n"
        "INSERT INTO account VALUES ('one');\n"
        "INSERT INTO\n"
        "  nope VALUES ('two');\n";
    const auto error = test_support::thrown<StatementError>([&] {
        db_->execute_transaction(section, 10,
                                 {"INSERT INTO alembic_version_payments VALUES ('aaaa')"},
                                 Timeouts{}, version_table, {});
    });
    ASSERT_TRUE(error);
    EXPECT_EQ(12, error->line);
    EXPECT_EQ("INSERT INTO\n  nope VALUES ('two')", error->statement);
    EXPECT_EQ(differ().no_table_nope, error->message);
    EXPECT_FALSE(db_->has_table("account"));  // rolled back (PostgreSQL: its re-run too)
    EXPECT_EQ(Strings{}, db_->read_versions(version_table));

    // A failing bookkeeping statement: a failure naming the database; nothing committed.
    EXPECT_EQ(fmt::format("{}: {}.", db_->display_url(), differ().no_table_nope),
              error_message([&] {
                  db_->execute_transaction("CREATE TABLE account (version_num VARCHAR(32))", 1,
                                           {"INSERT INTO nope VALUES ('aaaa')"}, Timeouts{},
                                           version_table, {});
              }));
    EXPECT_FALSE(db_->has_table("account"));

    // The connection is usable again.
    EXPECT_TRUE(db_->execute_transaction("CREATE TABLE account (version_num VARCHAR(32))", 1,
                                         {"INSERT INTO alembic_version_payments VALUES ('bbbb')"},
                                         Timeouts{}, version_table, {}));
    EXPECT_EQ(Strings{"bbbb"}, observer().read_versions(version_table));
}

// The fence: version rows that are not the ones the step was planned from (another runner
// moved them, its lock notwithstanding) run nothing.
TEST_P(DatabaseContract, ExecuteTransactionRunsNothingWhenTheHeadsMoved) {
    db_->execute(create_version_table);
    db_->execute("INSERT INTO alembic_version_payments VALUES ('bbbb')");
    EXPECT_FALSE(db_->execute_transaction(
        "CREATE TABLE account (id INTEGER)", 1,
        {"UPDATE alembic_version_payments SET version_num = 'cccc' WHERE version_num = 'aaaa'"},
        Timeouts{}, version_table, {"aaaa"}));
    EXPECT_FALSE(db_->has_table("account"));
    EXPECT_EQ(Strings{"bbbb"}, db_->read_versions(version_table));
    EXPECT_TRUE(db_->execute_transaction(
        "CREATE TABLE account (id INTEGER)", 1,
        {"UPDATE alembic_version_payments SET version_num = 'cccc' WHERE version_num = 'bbbb'"},
        Timeouts{}, version_table, {"bbbb"}));
    EXPECT_EQ(Strings{"cccc"}, observer().read_versions(version_table));
}

TEST_P(DatabaseContract, QueryReturnsRowsAsTextAndNullAsNothing) {
    db_->execute(
        "CREATE TABLE q (id INTEGER, name VARCHAR(10));\n"
        "INSERT INTO q VALUES (1, 'one');\n"
        "INSERT INTO q VALUES (2, NULL);\n");
    EXPECT_EQ((Rows{{"1", "one"}, {"2", std::nullopt}}),
              db_->query("SELECT id, name FROM q ORDER BY id"));
    {
        auto transaction = db_->begin();  // in the open transaction
        db_->execute("INSERT INTO q VALUES (3, 'three')");
        EXPECT_EQ((Rows{{"3"}}), db_->query("SELECT count(*) FROM q"));
    }
    EXPECT_EQ((Rows{{"2"}}), db_->query("SELECT count(*) FROM q"));
    const std::string message = error_message([&] { db_->query("SELECT * FROM nope"); });
    EXPECT_NE(std::string::npos, message.find(db_->display_url())) << message;
    EXPECT_NE(std::string::npos, message.find(differ().no_table_nope)) << message;
}

// For the rest of the open transaction only, where the backend has them.
TEST_P(DatabaseContract, LimitTransactionSetsTimeoutsForTheTransactionOnly) {
    const char* const settings =
        "SELECT current_setting('lock_timeout'), current_setting('statement_timeout')";
    const Rows before = differ().applies_timeouts ? db_->query(settings) : Rows{};
    auto transaction = db_->begin();
    db_->limit_transaction(Timeouts{1500ms, 2500ms});
    if (differ().applies_timeouts) {
        EXPECT_EQ((Rows{{"1500ms", "2500ms"}}), db_->query(settings));
    }
    db_->execute("CREATE TABLE t (x INT)");
    transaction->commit();
    if (differ().applies_timeouts) {
        EXPECT_EQ(before, db_->query(settings));
    }
    EXPECT_TRUE(observer().has_table("t"));
}

// A transaction:false section: each statement on its own, committed as it ran; the timeouts
// applied only where that leaves no setting behind on a pooled connection.
TEST_P(DatabaseContract, ExecuteOutsideTransactionCommitsEachStatement) {
    Strings warnings;
    OpenOptions options;
    options.on_warning = [&](const std::string& warning) { warnings.push_back(warning); };
    auto runner = open(options);
    EXPECT_EQ("", runner->outside_transaction_refusal());
    const Timeouts timeouts{1500ms, 2500ms};
    // "index/count line next_line" of each statement that completed, as the callback hears it.
    Strings completed;
    const StatementCompleted note = [&completed](const CompletedStatement& c) {
        completed.push_back(fmt::format("{}/{} {} {}", c.index, c.count, c.line, c.next_line));
    };
    const auto error = test_support::thrown<StatementError>([&] {
        runner->execute_outside_transaction(
            "CREATE TABLE t (x INT);\nINSERT INTO t VALUES (1);\n\nINSERT INTO nope VALUES (2);\n"
            "INSERT INTO t VALUES (3);\n",
            7, timeouts, note);
    });
    EXPECT_EQ((Strings{"1/4 7 8", "2/4 8 10"}), completed);
    ASSERT_TRUE(error);
    EXPECT_EQ(10, error->line);
    EXPECT_EQ("INSERT INTO nope VALUES (2)", error->statement);
    EXPECT_EQ(differ().no_table_nope, error->message);
    EXPECT_EQ((Rows{{"1"}}), runner->query("SELECT x FROM t"));
    runner->execute_outside_transaction("INSERT INTO t VALUES (4)", 1, timeouts, {});
    EXPECT_EQ((Rows{{"1"}, {"4"}}), runner->query("SELECT x FROM t ORDER BY x"));
    if (differ().warns_without_timeouts) {
        ASSERT_EQ(1u, warnings.size());  // once
        EXPECT_EQ(0u, warnings[0].find("Warning: a transaction:false section runs without its "
                                       "lock_timeout/statement_timeout on " +
                                       runner->display_url() + ":"))
            << warnings[0];
    } else {
        EXPECT_EQ(Strings{}, warnings);
    }
}

TEST_P(DatabaseContract, HistoryLockKeepsOtherRunnersOff) {
    auto lock = db_->lock_history(version_table);
    int waits = 0;
    std::string waited;
    OpenOptions options;
    options.lock_timeout = 300ms;
    options.on_wait = [&](const std::string& message) {
        ++waits;
        waited = message;
    };
    auto second = open(options);
    if (!differ().shared) {  // another database: nothing to wait for
        EXPECT_NE(nullptr, second->lock_history(version_table));
        EXPECT_EQ(0, waits);
        return;
    }
    const auto started = std::chrono::steady_clock::now();
    const Failed timed_out = failure_of([&] { second->lock_history(version_table); });
    EXPECT_EQ(lock_timed_out("0.3", version_table), timed_out.message);
    EXPECT_EQ(ErrorReason::lock_timeout, timed_out.reason);
    EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);
    EXPECT_EQ(1, waits);
    EXPECT_EQ("Waiting for another fastappkit runner holding the migration lock on " +
                  backend_->lock_name(version_table) + "...",
              waited);

    // Another history of the same database is not locked.
    EXPECT_NE(nullptr, second->lock_history("alembic_version"));
    EXPECT_EQ(1, waits);
}

TEST_P(DatabaseContract, LockIsReleasedWhenHolderDropsIt) {
    auto lock = db_->lock_history(version_table);
    lock.reset();

    int waits = 0;
    OpenOptions options;
    options.lock_timeout = 0ms;
    options.on_wait = [&](const std::string&) { ++waits; };
    EXPECT_NE(nullptr, open(options)->lock_history(version_table));
    EXPECT_EQ(0, waits);
}

TEST_P(DatabaseContract, WaitingRunnerGetsLockOnceReleased) {
    auto lock = db_->lock_history("alembic_version");

    std::atomic<int> waits{0};
    OpenOptions options;
    options.lock_timeout = 10s;
    options.on_wait = [&](const std::string&) { ++waits; };
    auto second = open(options);
    if (!differ().shared) {  // another database: nothing to wait for
        EXPECT_NE(nullptr, second->lock_history("alembic_version"));
        EXPECT_EQ(0, waits);
        return;
    }
    auto waiter =
        std::async(std::launch::async, [&] { return second->lock_history("alembic_version"); });
    while (waits == 0) std::this_thread::sleep_for(10ms);
    std::this_thread::sleep_for(500ms);  // several polls
    EXPECT_EQ(std::future_status::timeout, waiter.wait_for(0ms));
    lock.reset();
    EXPECT_NE(nullptr, waiter.get());
    EXPECT_EQ(1, waits);
}

// `migrate drift` waits for a runner's lock without writing. What it then holds keeps runners
// off where the lock needs no write (SQLite's lock file); a lease is only waited for.
TEST_P(DatabaseContract, WaitForHistoryWaitsForTheLockHolder) {
    db_->execute(create_version_table);
    auto lock = db_->lock_history(version_table);
    OpenOptions impatient;
    impatient.lock_timeout = 300ms;
    OpenOptions reading = impatient;
    reading.read_only = true;
    auto reader = open(reading);
    if (differ().shared) {
        const Failed timed_out = failure_of([&] { reader->wait_for_history(version_table); });
        EXPECT_EQ(lock_timed_out("0.3", version_table), timed_out.message);
        EXPECT_EQ(ErrorReason::lock_timeout, timed_out.reason);
    }
    lock.reset();
    auto seen = reader->wait_for_history(version_table);
    EXPECT_NE(nullptr, seen);
    auto runner = open(impatient);
    if (differ().shared && differ().reader_keeps_runners_off) {
        EXPECT_EQ(lock_timed_out("0.3", version_table),
                  error_message([&] { runner->lock_history(version_table); }));
    } else {
        EXPECT_NE(nullptr, runner->lock_history(version_table));
    }
    EXPECT_EQ(Strings{}, reader->read_versions(version_table));  // and wrote nothing
}

// fence() keeps other writers of the version rows off until the transaction ends;
// fence_check_sql() checks, where the lock can be lost (a lease), that it is still held.
TEST_P(DatabaseContract, FenceKeepsOtherWritersOffUntilCommit) {
    db_->execute(create_version_table);
    EXPECT_EQ("", db_->fence_check_sql(version_table));  // no lock held: nothing to check
    auto lock = db_->lock_history(version_table);
    auto transaction = db_->begin();
    db_->fence(version_table);
    const std::string check = db_->fence_check_sql(version_table);
    EXPECT_EQ(differ().checks_lock_before_commit, !check.empty());

    std::unique_ptr<Database> writer;
    std::future<void> written;
    if (differ().shared) {
        writer = open();
        written = std::async(std::launch::async, [&] {
            writer->execute("INSERT INTO alembic_version_payments VALUES ('bbbb')");
        });
        EXPECT_EQ(std::future_status::timeout, written.wait_for(300ms));
    }
    db_->execute("INSERT INTO alembic_version_payments VALUES ('aaaa')");
    if (!check.empty()) db_->execute(check);
    transaction->commit();
    if (written.valid()) {
        EXPECT_NO_THROW(written.get());  // went on once the transaction ended
    }
    EXPECT_EQ(differ().shared ? (Strings{"aaaa", "bbbb"}) : (Strings{"aaaa"}),
              sorted(observer().read_versions(version_table)));
}

// Ctrl-C, from another thread: stops the running statement, and every later statement,
// transaction and lock wait of the connection fails, so that the work unwinds.
TEST_P(DatabaseContract, InterruptStopsTheStatementAndAllLaterWork) {
    db_->execute(create_version_table);
    std::atomic<bool> stopped{false};
    std::thread watcher([&] {
        std::this_thread::sleep_for(200ms);
        while (!stopped) {  // repeated, as the CLI's watcher does: interrupt() never throws
            db_->interrupt();
            std::this_thread::sleep_for(20ms);
        }
    });
    const auto started = std::chrono::steady_clock::now();
    const auto error =
        test_support::thrown<StatementError>([&] { db_->execute(slow_statement, 3); });
    stopped = true;
    watcher.join();
    ASSERT_TRUE(error);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
    EXPECT_EQ(3, error->line);
    EXPECT_EQ(differ().cancelled, error->message);

    const std::string interrupted = "Interrupted while working on " + db_->display_url() + ".";
    EXPECT_EQ(interrupted, error_message([&] { db_->execute("SELECT 1"); }));
    EXPECT_EQ(interrupted, error_message([&] { db_->begin(); }));
    EXPECT_EQ(interrupted, error_message([&] { db_->query("SELECT 1"); }));
    EXPECT_EQ(interrupted, error_message([&] { db_->read_versions(version_table); }));
    if (differ().shared) {  // a lock wait gives up at once, not after the lock timeout
        auto holder = open();
        auto lock = holder->lock_history(version_table);
        EXPECT_EQ(interrupted, error_message([&] { db_->lock_history(version_table); }));
    }
    db_->interrupt();  // again, after the fact: nothing happens
}

INSTANTIATE_TEST_SUITE_P(Backends, DatabaseContract,
                         ::testing::Values(BackendKind{"sqlite_file", make_sqlite_file, false},
                                           BackendKind{"sqlite_memory", make_sqlite_memory, false},
                                           BackendKind{"postgresql", make_postgresql, true}),
                         backend_name);

}  // namespace
}  // namespace fastappkit
