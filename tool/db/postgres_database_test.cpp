// What only the PostgreSQL backend has, against a real server: leases, poolers, session
// settings, lost connections, server-side statements. Tests that need one run when
// FASTAPPKIT_TEST_POSTGRES_URL names it (eval "$(bash tests/support/pg-start.sh)") and are
// skipped otherwise. Each test works in a schema of its own, so tests can run in parallel.
// What every backend must do alike is tested in database_contract_test.cpp.
#include "db/database.h"  // PostgreSQL through open_database: the plugin, as the runner loads it

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "runner/run_connection.h"
#include "test_support/test_support.h"

namespace fastappkit {
namespace {

using namespace std::chrono_literals;
using Strings = std::vector<std::string>;
using Rows = std::vector<std::vector<std::optional<std::string>>>;

const char* const create_version_table =
    "CREATE TABLE alembic_version_payments (version_num VARCHAR(32) NOT NULL, "
    "CONSTRAINT alembic_version_payments_pkc PRIMARY KEY (version_num))";

std::string test_url_text() {
    const char* text = std::getenv("FASTAPPKIT_TEST_POSTGRES_URL");
    return text ? text : "";
}

DatabaseUrl parse(const std::string& text) {
    return parse_database_url(text, std::filesystem::current_path());
}

// A TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago).
int unused_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

// The message of the fastappkit::Error that `open` throws.
template <typename F>
std::string error_message(F open) {
    return test_support::message_of(ExitCode::failure, open);
}

// A table lease of `ttl`, waited for up to 10 s.
OpenOptions lease_options(std::chrono::milliseconds ttl) {
    OpenOptions options;
    options.lock_mode = LockMode::table;
    options.lock_ttl = ttl;
    options.lock_timeout = 10s;
    return options;
}

class PostgresDatabaseTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (test_url_text().empty()) GTEST_SKIP() << "FASTAPPKIT_TEST_POSTGRES_URL is not set";
        url_ = parse(test_url_text());
        schema_ =
            fmt::format("fk_test_{}_{}",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name(), getpid());
        for (char& c : schema_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        admin_ = open_database(url_, {});
        admin_->execute(
            fmt::format("DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0}", schema_));
    }

    void TearDown() override {
        if (admin_) admin_->execute(fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", schema_));
    }

    // A runner's connection, working in this test's schema.
    std::unique_ptr<Database> open(const OpenOptions& options = {}) {
        auto database = open_database(url_, options);
        database->execute("SET search_path TO " + schema_);
        return database;
    }

    DatabaseUrl url_;
    std::string schema_;
    std::unique_ptr<Database> admin_;
};

TEST_F(PostgresDatabaseTest, CommitAfterFailedStatementSaysItRolledBack) {
    auto database = open();
    database->execute(create_version_table);
    auto transaction = database->begin();
    database->execute("INSERT INTO alembic_version_payments VALUES ('aaaa')");
    EXPECT_THROW(database->execute("SELECT * FROM nope"), StatementError);
    EXPECT_EQ(
        fmt::format("The transaction on {} was rolled back because one of its statements failed.",
                    url_.masked()),
        error_message([&] { transaction->commit(); }));
    EXPECT_EQ(Strings{}, database->read_versions("alembic_version_payments"));
}

// A lease that expired while its holder was stopped, and was taken over: the holder's next
// migration writes nothing and says why, both at the fence and at the end of a transaction.
TEST_F(PostgresDatabaseTest, LeaseTakenOverAfterExpiryFencesTheOldHolderOut) {
    const OpenOptions short_lease = lease_options(1s);
    auto holder = open(short_lease);
    holder->execute(create_version_table);
    holder->execute("INSERT INTO alembic_version_payments VALUES ('aaaa')");
    auto lease = holder->lock_history("alembic_version_payments");
    const std::string check = holder->fence_check_sql("alembic_version_payments");
    ASSERT_FALSE(check.empty());

    // The holder "freezes": its renewals stop reaching the row, as when the process is stopped.
    admin_->execute(fmt::format(
        "UPDATE {}.fastappkit_lock SET expires_at = clock_timestamp() - interval '1 second'",
        schema_));
    auto taker = open(short_lease);
    auto taken = taker->lock_history("alembic_version_payments");
    const std::string lost = fmt::format(
        "alembic_version_payments: this runner lost its migration lock on {} (its lease in "
        "fastappkit_lock expired, say while the process was stopped, and another runner took it "
        "over); its current migration was rolled back and nothing more was written: check what "
        "the other runner did, then run the command again",
        url_.masked());
    EXPECT_EQ(lost, error_message([&] {
                  holder->execute_transaction(
                      "CREATE TABLE account (id INTEGER)", 1,
                      {"UPDATE alembic_version_payments SET version_num = 'bbbb'", check},
                      Timeouts{}, "alembic_version_payments", {"aaaa"});
              }));
    EXPECT_EQ(lost, error_message([&] {
                  auto transaction = holder->begin();
                  holder->fence("alembic_version_payments");
              }));
    {  // The end-of-transaction check alone fails too.
        auto transaction = holder->begin();
        holder->execute("CREATE TABLE account (id INTEGER)");
        EXPECT_EQ(lost, error_message([&] { holder->execute(check); }));
    }
    EXPECT_FALSE(taker->has_table("account"));
    EXPECT_EQ(Strings{"aaaa"}, taker->read_versions("alembic_version_payments"));

    // The new holder's own transactions go through.
    EXPECT_TRUE(
        taker->execute_transaction("CREATE TABLE account (id INTEGER)", 1,
                                   {"UPDATE alembic_version_payments SET version_num = 'bbbb'",
                                    taker->fence_check_sql("alembic_version_payments")},
                                   Timeouts{}, "alembic_version_payments", {"aaaa"}));
    EXPECT_EQ(Strings{"bbbb"}, open()->read_versions("alembic_version_payments"));
}

// Under a lease a migration's version-row writes are their own fence: a write that changes no
// row (the rows moved after the step was planned, or another transaction was moving them and
// committed while this one waited) or adds a row that is already there runs nothing, and the
// step is planned again.
TEST_F(PostgresDatabaseTest, UnderALeaseVersionRowWritesThatFindNothingRunNothing) {
    auto holder = open(lease_options(10s));
    holder->execute(create_version_table);
    holder->execute("INSERT INTO alembic_version_payments VALUES ('bbbb')");
    auto lease = holder->lock_history("alembic_version_payments");
    const auto step = [&](const std::string& table, const std::string& bookkeeping,
                          const Strings& planned_from) {
        return holder->execute_transaction("CREATE TABLE " + table + " (id INTEGER)", 1,
                                           {bookkeeping}, Timeouts{}, "alembic_version_payments",
                                           planned_from);
    };
    auto tables = [&] {
        return admin_->query(fmt::format(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = '{}' AND "
            "table_name LIKE 'account%' ORDER BY 1",
            schema_));
    };

    // Planned from 'aaaa', which is no longer there.
    EXPECT_FALSE(step("account_1",
                      "UPDATE alembic_version_payments SET version_num='cccc' WHERE "
                      "alembic_version_payments.version_num = 'aaaa'",
                      {"aaaa"}));
    EXPECT_FALSE(step("account_1",
                      "DELETE FROM alembic_version_payments WHERE "
                      "alembic_version_payments.version_num = 'aaaa'",
                      {"aaaa"}));
    EXPECT_FALSE(step("account_1",
                      "INSERT INTO alembic_version_payments (version_num) VALUES ('bbbb')", {}));
    EXPECT_TRUE(tables().empty());

    // Another transaction moves 'bbbb' and commits while the step waits for the row: the step
    // finds the row moved and runs nothing. (Should the other one commit first, the same.)
    auto other = open();
    auto moving = other->begin();
    other->execute("UPDATE alembic_version_payments SET version_num = 'b2b2'");
    auto waiting = std::async(std::launch::async, [&] {
        return step("account_2",
                    "UPDATE alembic_version_payments SET version_num='cccc' WHERE "
                    "alembic_version_payments.version_num = 'bbbb'",
                    {"bbbb"});
    });
    for (int i = 0; i < 500; ++i) {  // until it waits for the row, or 10 s
        if (!admin_
                 ->query("SELECT 1 FROM pg_catalog.pg_stat_activity WHERE wait_event_type = "
                         "'Lock' AND query LIKE '%account_2%'")
                 .empty())
            break;
        std::this_thread::sleep_for(20ms);
    }
    moving->commit();
    EXPECT_FALSE(waiting.get());
    EXPECT_TRUE(tables().empty());
    EXPECT_EQ(Strings{"b2b2"}, open()->read_versions("alembic_version_payments"));

    // Planned from the rows as they are: it runs, once.
    EXPECT_TRUE(step("account_3",
                     "UPDATE alembic_version_payments SET version_num='cccc' WHERE "
                     "alembic_version_payments.version_num = 'b2b2'",
                     {"b2b2"}));
    EXPECT_EQ((Rows{{"account_3"}}), tables());
    EXPECT_EQ(Strings{"cccc"}, open()->read_versions("alembic_version_payments"));
}

// The lease is renewed while its holder lives, however long the run: nobody takes it over.
// Renewals come every second; the lease would expire after three without them.
TEST_F(PostgresDatabaseTest, LeaseIsRenewedWhileHeld) {
    const OpenOptions short_lease = lease_options(3s);
    // The renewal's own connection must find the lease: the test's schema by URL, not by SET.
    url_ = parse(test_url_text() + (test_url_text().find('?') == std::string::npos ? "?" : "&") +
                 "options=-csearch_path%3D" + schema_);
    auto holder = open_database(url_, short_lease);
    auto lease = holder->lock_history("alembic_version");
    std::this_thread::sleep_for(7s);  // more than twice the lifetime
    OpenOptions impatient = short_lease;
    impatient.lock_timeout = 0ms;
    EXPECT_EQ(
        "Timed out after 0 s waiting for the migration lock on alembic_version; another runner "
        "may be stuck.",
        error_message([&] { open_database(url_, impatient)->lock_history("alembic_version"); }));
    lease.reset();  // released at once: the next runner needs no expiry
    EXPECT_NE(nullptr, open_database(url_, impatient)->lock_history("alembic_version"));
}

// A killed holder's session is gone (a direct connection): its lease is taken over at once.
TEST_F(PostgresDatabaseTest, LeaseOfAClosedSessionIsTakenOverAtOnce) {
    OpenOptions options;
    options.lock_mode = LockMode::table;
    options.lock_timeout = 5s;
    auto holder = open(options);
    holder->execute("SET application_name TO " + schema_);
    auto lease = holder->lock_history("alembic_version");
    admin_->execute(
        fmt::format("SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                    "WHERE application_name = '{}'",
                    schema_));
    const auto started = std::chrono::steady_clock::now();
    EXPECT_NE(nullptr, open(options)->lock_history("alembic_version"));
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);  // not the 30 s lifetime
    lease.reset();                                              // does not throw
}

TEST_F(PostgresDatabaseTest, CreateIndexConcurrentlyRunsOutsideTransaction) {
    auto database = open();
    database->execute(
        "CREATE TABLE t (version_num VARCHAR(32));\n"
        "CREATE INDEX CONCURRENTLY t_version_num ON t (version_num);\n");
    EXPECT_NO_THROW(database->execute("DROP INDEX t_version_num"));

    auto transaction = database->begin();  // inside a transaction the server refuses it
    const auto error = test_support::thrown<StatementError>(
        [&] { database->execute("CREATE INDEX CONCURRENTLY t_version_num ON t (version_num)"); });
    ASSERT_TRUE(error);
    EXPECT_EQ("CREATE INDEX CONCURRENTLY cannot run inside a transaction block", error->message);
}

TEST_F(PostgresDatabaseTest, DollarQuotedFunctionBodyIsOneStatement) {
    auto database = open();
    database->execute(
        "CREATE FUNCTION pick() RETURNS text LANGUAGE plpgsql AS $body$\n"
        "BEGIN\n"
        "  RETURN 'a;b';\n"
        "END;\n"
        "$body$;\n"
        "CREATE FUNCTION twice(x text) RETURNS text LANGUAGE sql AS $$ SELECT x || ';' || x $$;\n"
        "CREATE TABLE t AS SELECT twice(pick()) AS version_num;\n");
    EXPECT_EQ(Strings{"a;b;a;b"}, database->read_versions("t"));
}

// A table an older fastappkit created gains a column; runners that find it missing at once add
// it once, each in its own transaction, as the runner marks a transaction:false section.
TEST_F(PostgresDatabaseTest, EnsureColumnIsSafeWhenRunnersRace) {
    auto database = open();
    database->execute("CREATE TABLE fastappkit_unfinished (version_table VARCHAR(64) NOT NULL)");
    EXPECT_FALSE(database->has_column("fastappkit_unfinished", "next_line"));
    EXPECT_FALSE(database->has_column("no_such_table", "next_line"));
    std::vector<std::unique_ptr<Database>> runners;
    for (int i = 0; i < 6; ++i) runners.push_back(open());
    std::atomic<bool> go{false};
    std::vector<std::future<void>> done;
    for (auto& runner : runners)
        done.push_back(std::async(std::launch::async, [&go, &runner] {
            while (!go) std::this_thread::yield();
            auto transaction = runner->begin();
            runner->ensure_column("fastappkit_unfinished", "next_line",
                                  "INTEGER NOT NULL DEFAULT 0");
            transaction->commit();
        }));
    go = true;
    for (auto& each : done) EXPECT_NO_THROW(each.get());
    EXPECT_TRUE(database->has_column("fastappkit_unfinished", "version_table"));
    EXPECT_TRUE(database->has_column("fastappkit_unfinished", "next_line"));
}

// After each statement of a transaction:false section the callback hears how far it got, and
// may use the database meanwhile (the runner updates the section's mark).
TEST_F(PostgresDatabaseTest, ExecuteOutsideTransactionReportsEachCompletedStatement) {
    auto database = open();
    database->execute("CREATE TABLE progress (statement INTEGER)");
    std::vector<std::string> heard;
    auto completed = [&](const CompletedStatement& statement) {
        heard.push_back(fmt::format("{} of {}, line {}, next {}", statement.index, statement.count,
                                    statement.line, statement.next_line));
        database->execute(fmt::format("INSERT INTO progress VALUES ({})", statement.index));
    };
    const auto error = test_support::thrown<StatementError>([&] {
        database->execute_outside_transaction(
            "CREATE TABLE t (id INTEGER);\n-- the index\nCREATE INDEX CONCURRENTLY t_id ON t (id);"
            "\n\nINSERT INTO nope VALUES (1);\n",
            10, {}, completed);
    });
    ASSERT_TRUE(error);
    EXPECT_EQ(14, error->line);
    EXPECT_EQ((Strings{"1 of 3, line 10, next 12", "2 of 3, line 12, next 14"}), heard);
    const auto rows = database->query("SELECT statement FROM progress ORDER BY statement");
    ASSERT_EQ(2u, rows.size());
    EXPECT_EQ("2", rows[1][0].value_or(""));

    // Should the callback throw all the same, the section runs on and the error follows.
    database->execute("DROP TABLE t");
    EXPECT_THROW(database->execute_outside_transaction(
                     "CREATE TABLE t (id INTEGER);\nCREATE INDEX t_id ON t (id);\n", 1, {},
                     [](const CompletedStatement&) { throw std::runtime_error("callback"); }),
                 std::runtime_error);
    EXPECT_TRUE(database->has_table("t"));
    EXPECT_NO_THROW(database->execute("DROP INDEX t_id"));
}

// Nothing a runner does stays on its session: a pooled server connection serves others next.
TEST_F(PostgresDatabaseTest, LeavesNoSessionSettingBehind) {
    auto settings = [](Database& database) {
        return database.query(
            "SELECT current_setting('default_transaction_read_only'), "
            "current_setting('client_min_messages'), current_setting('lock_timeout'), "
            "current_setting('statement_timeout'), current_setting('transaction_read_only')")[0];
    };
    auto fresh = open();
    const auto defaults = settings(*fresh);
    OpenOptions read_only;
    read_only.read_only = true;
    auto reader = open(read_only);
    EXPECT_EQ(Strings{}, reader->read_versions("alembic_version"));
    EXPECT_EQ("on", settings(*reader)[4].value_or(""));  // inside its READ ONLY transaction
    reader.reset();

    auto writer = open();
    writer->execute(create_version_table);
    Timeouts timeouts{std::chrono::milliseconds(1500), std::chrono::milliseconds(2500)};
    EXPECT_TRUE(writer->execute_transaction("CREATE TABLE account (id INTEGER)", 1, {}, timeouts,
                                            "alembic_version_payments", {}));
    writer->execute_outside_transaction("CREATE INDEX CONCURRENTLY account_id ON account (id)", 1,
                                        timeouts, StatementCompleted());
    EXPECT_EQ(defaults, settings(*writer));
    { auto lease = writer->lock_history("alembic_version"); }
    EXPECT_EQ(defaults, settings(*writer));
    EXPECT_EQ("0",
              *admin_->query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")[0][0]);
}

TEST_F(PostgresDatabaseTest, ReadOnlyCreatesNothing) {
    OpenOptions options;
    options.read_only = true;
    auto database = open(options);
    database->ensure_history_table();
    EXPECT_FALSE(database->has_table("fastappkit_history"));
    EXPECT_EQ(0u, database->read_log("alembic_version").size());
    const auto error =
        test_support::thrown<StatementError>([&] { database->execute(create_version_table); });
    ASSERT_TRUE(error);
    EXPECT_EQ("cannot execute CREATE TABLE in a read-only transaction", error->message);
}

// A run that finds work makes its read-only connection writable in place: one connection, one
// authentication. Before that, the server refuses every write.
TEST_F(PostgresDatabaseTest, ReadOnlyConnectionIsMadeWritableInPlace) {
    int opened = 0;
    // The schema by URL: a SET on the session would end with the read-only transaction.
    const DatabaseUrl url =
        parse(test_url_text() + (test_url_text().find('?') == std::string::npos ? "?" : "&") +
              "options=-csearch_path%3D" + schema_);
    RunConnection connection([&](bool read_only) {
        ++opened;
        OpenOptions options;
        options.read_only = read_only;
        return open_database(url, options);
    });
    Database& reader = connection(true);
    EXPECT_FALSE(reader.has_table("alembic_version_payments"));
    EXPECT_TRUE(
        test_support::thrown<StatementError>([&] { reader.execute(create_version_table); }));
    EXPECT_FALSE(reader.has_table("alembic_version_payments"));
    Database& writer = connection(false);
    EXPECT_EQ(&reader, &writer);
    EXPECT_EQ(1, opened);
    EXPECT_FALSE(connection.read_only());
    writer.execute(create_version_table);
    writer.execute("INSERT INTO alembic_version_payments VALUES ('a1')");
    EXPECT_EQ(Strings{"a1"}, open()->read_versions("alembic_version_payments"));
    EXPECT_EQ((Rows{{"off"}}), writer.query("SHOW transaction_read_only"));
}

// migrate drift's reads: one snapshot, in which nothing can be written.
TEST_F(PostgresDatabaseTest, SnapshotSeesOneStateAndRefusesWrites) {
    auto writer = open();
    writer->execute(create_version_table);
    OpenOptions options;
    options.read_only = true;
    auto reader = open(options);
    EXPECT_EQ(Strings{}, reader->read_versions("alembic_version_payments"));
    auto snapshot = reader->begin_snapshot();
    EXPECT_EQ(Strings{}, reader->read_versions("alembic_version_payments"));
    writer->execute("INSERT INTO alembic_version_payments VALUES ('a1')");
    EXPECT_EQ(Strings{}, reader->read_versions("alembic_version_payments"));
    snapshot->commit();
    EXPECT_EQ(Strings{"a1"}, reader->read_versions("alembic_version_payments"));
    snapshot = reader->begin_snapshot();
    const auto error = test_support::thrown<StatementError>(
        [&] { reader->execute("DELETE FROM alembic_version_payments"); });
    ASSERT_TRUE(error);
    EXPECT_EQ("cannot execute DELETE in a read-only transaction", error->message);
}

// A reader waits for a lease as a runner would, without taking it (a write).
TEST_F(PostgresDatabaseTest, WaitForHistoryWaitsForALeaseWithoutTakingIt) {
    auto runner = open(lease_options(10s));
    auto lease = runner->lock_history("alembic_version_payments");
    const auto leases = [&] {
        return admin_->query("SELECT owner, token FROM " + schema_ + ".fastappkit_lock");
    };
    const auto before = leases();
    OpenOptions options = lease_options(10s);
    options.read_only = true;
    options.lock_timeout = 300ms;
    auto reader = open(options);
    EXPECT_EQ(
        "Timed out after 0.3 s waiting for the migration lock on alembic_version_payments; "
        "another runner may be stuck.",
        error_message([&] { reader->wait_for_history("alembic_version_payments"); }));
    lease.reset();
    EXPECT_NE(nullptr, reader->wait_for_history("alembic_version_payments"));
    EXPECT_EQ(before.size(), leases().size());
    EXPECT_EQ(before, leases());
}

TEST_F(PostgresDatabaseTest, LostConnectionIsNotSilentlyReopened) {
    auto database = open();
    auto lock = database->lock_history("alembic_version");
    database->execute("SET application_name TO " + schema_);
    admin_->execute(
        fmt::format("SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                    "WHERE application_name = '{}'",
                    schema_));
    std::string lost = fmt::format("Lost the connection to {}.", url_.masked());
    // A reconnected session would run without the advisory lock.
    EXPECT_EQ(lost, error_message([&] { database->execute("SELECT 1"); }));
    EXPECT_EQ(lost, error_message([&] { database->read_versions("alembic_version"); }));
    lock.reset();  // does not throw
}

TEST(PostgresDatabaseConnectTest, RefusedConnectionIsOneSentenceWithoutPassword) {
    int port = unused_port();
    auto url = parse(
        fmt::format("postgresql://fastappkit:s3cret-pw-1@127.0.0.1:{}/fastappkit_test", port));
    std::string message = error_message([&] { open_database(url, {}); });
    EXPECT_EQ(
        0u,
        message.find(fmt::format(
            "Cannot connect to postgresql://fastappkit:***@127.0.0.1:{}/fastappkit_test: ", port)))
        << message;
    EXPECT_NE(std::string::npos, message.find("Connection refused")) << message;
    EXPECT_EQ(std::string::npos, message.find("s3cret-pw-1")) << message;
    EXPECT_EQ(std::string::npos, message.find('\n')) << message;
    EXPECT_EQ('.', message.back()) << message;
}

TEST(PostgresDatabaseConnectTest, AuthenticationFailureIsOneSentenceWithoutPassword) {
    if (test_url_text().empty()) GTEST_SKIP() << "FASTAPPKIT_TEST_POSTGRES_URL is not set";
    DatabaseUrl good = parse(test_url_text());
    auto url = parse(fmt::format("postgresql://{}:wrong-s3cret-pw@{}:{}/{}", good.user, good.host,
                                 good.port.value_or(5432), good.database));
    std::string message = error_message([&] { open_database(url, {}); });
    EXPECT_EQ(0u, message.find(fmt::format("Cannot connect to {}: ", url.masked()))) << message;
    EXPECT_NE(std::string::npos, message.find(fmt::format(
                                     "password authentication failed for user \"{}\".", good.user)))
        << message;
    EXPECT_EQ(std::string::npos, message.find("wrong-s3cret-pw")) << message;
    EXPECT_EQ(std::string::npos, message.find('\n')) << message;
}

// The batch's one COMMIT is fenced like a single migration's: a lease lost while the batch
// ran fails the check before COMMIT, and nothing of the batch is written.
TEST_F(PostgresDatabaseTest, BatchOfSavepointsCommitsOnlyWhileTheLeaseIsHeld) {
    const OpenOptions short_lease = lease_options(1s);
    auto holder = open(short_lease);
    holder->execute(create_version_table);
    auto lease = holder->lock_history("alembic_version_payments");
    const std::string check = holder->fence_check_sql("alembic_version_payments");
    std::unique_ptr<Database> taker;
    std::unique_ptr<HistoryLock> taken;
    EXPECT_EQ(
        fmt::format(
            "alembic_version_payments: this runner lost its migration lock on {} (its lease in "
            "fastappkit_lock expired, say while the process was stopped, and another runner took "
            "it over); its current migration was rolled back and nothing more was written: check "
            "what the other runner did, then run the command again",
            url_.masked()),
        error_message([&] {
            auto transaction = holder->begin();
            holder->fence("alembic_version_payments");
            holder->execute_in_savepoint("CREATE TABLE a (id INTEGER)", 1,
                                         {"INSERT INTO alembic_version_payments VALUES ('aaaa')"},
                                         "fastappkit_migration");
            // The holder "freezes" mid-batch and another runner takes the lease over.
            admin_->execute(fmt::format(
                "UPDATE {}.fastappkit_lock SET expires_at = clock_timestamp() - interval '1 "
                "second'",
                schema_));
            taker = open(short_lease);
            taken = taker->lock_history("alembic_version_payments");
            holder->execute_in_savepoint(
                "CREATE TABLE b (id INTEGER)", 1,
                {"UPDATE alembic_version_payments SET version_num = 'bbbb'"},
                "fastappkit_migration");
            holder->execute(check);
            transaction->commit();
        }));
    EXPECT_FALSE(taker->has_table("a"));
    EXPECT_FALSE(taker->has_table("b"));
    EXPECT_EQ(Strings{}, taker->read_versions("alembic_version_payments"));
}

}  // namespace
}  // namespace fastappkit
