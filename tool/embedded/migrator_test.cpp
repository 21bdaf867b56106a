// fastappkit::Migrator over the example project's catalog: every call on a SQLite file, a
// SQLite database in memory (the program's own connection) and, when
// FASTAPPKIT_TEST_POSTGRES_URL is set, PostgreSQL; and each kind of MigrationError, with the
// database left as the error says.
#include "fastappkit/migrator.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "test_support/sqlite_files.h"
#include "test_support/test_support.h"

#ifdef FASTAPPKIT_TEST_WITH_POSTGRESQL
#include "config/database_url.h"
#include "db/postgres_database.h"
#endif

namespace fastappkit {
namespace {

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;
using Kind = MigrationError::Kind;
using test_support::execute;
using test_support::bytes_of;
using test_support::query;
using test_support::url_of;

constexpr size_t kRevisions = 14;  // core 9, payments 3, analytics 2


const HistoryStatus& status_of(const Status& status, const std::string& history) {
    for (const auto& one : status.histories) {
        if (one.history == history) return one;
    }
    throw std::runtime_error("no history " + history);
}

size_t pending_count(const Status& status) {
    size_t total = 0;
    for (const auto& history : status.histories) total += history.pending.size();
    return total;
}

// The MigrationError `call` throws (a test failure when it throws nothing).
template <typename Call>
std::optional<MigrationError> error_of(Call&& call) {
    try {
        call();
    } catch (const MigrationError& error) {
        return error;
    }
    ADD_FAILURE() << "no MigrationError was thrown";
    return std::nullopt;
}

TEST(Migrator, StatusListsWhatIsPendingUpgradeAppliesItThenNothingIsPending) {
    test_support::ScopedTempDir scratch;
    const fs::path db = scratch / "app.db";
    auto migrator = Migrator::open(url_of(db));

    const Status before = migrator.status();
    ASSERT_EQ(3u, before.histories.size());
    EXPECT_EQ("core", before.histories[0].history);
    EXPECT_FALSE(before.up_to_date());
    EXPECT_EQ(kRevisions, pending_count(before));
    const HistoryStatus& core = status_of(before, "core");
    EXPECT_EQ("alembic_version", core.version_table);
    EXPECT_EQ(Strings{}, core.version_rows);
    EXPECT_EQ(Strings{"27ac5b9e0f43"}, core.heads);
    ASSERT_EQ(9u, core.pending.size());
    EXPECT_EQ("0b3f6c1d9a21", core.pending.front().revision);
    EXPECT_EQ("create core tables", core.pending.front().message);
    EXPECT_FALSE(fs::exists(db)) << "status created the database";

    Strings started, applied;
    MigratorOptions options;
    options.on_start = [&](const AppliedMigration& m) { started.push_back(m.revision); };
    options.on_applied = [&](const AppliedMigration& m) { applied.push_back(m.revision); };
    EXPECT_EQ(kRevisions, Migrator::open(url_of(db), options).upgrade().size());
    EXPECT_EQ(kRevisions, started.size());
    EXPECT_EQ(started, applied);

    const Status after = migrator.status();
    EXPECT_TRUE(after.up_to_date());
    EXPECT_EQ(Strings{"27ac5b9e0f43"}, status_of(after, "core").version_rows);
    EXPECT_EQ(Strings{"3c9a8f1e6d24"}, status_of(after, "payments").version_rows);
    EXPECT_TRUE(migrator.upgrade().empty());
}

TEST(Migrator, UpgradesAndDowngradesOneHistory) {
    test_support::ScopedTempDir scratch;
    const fs::path db = scratch / "app.db";
    auto migrator = Migrator::open(url_of(db));

    const auto to_revision = migrator.upgrade({"core", "5e8a2d47c3f0"});
    ASSERT_EQ(2u, to_revision.size());
    EXPECT_EQ(Strings{"5e8a2d47c3f0"}, query(db, "SELECT version_num FROM alembic_version"));
    EXPECT_EQ(Strings{}, query(db, "SELECT name FROM sqlite_master WHERE name LIKE 'payments%'"));

    EXPECT_EQ(3u, migrator.upgrade({"payments", ""}).size());
    EXPECT_EQ(Strings{"3c9a8f1e6d24"}, query(db, "SELECT version_num FROM alembic_version_payments"));

    const auto one_down = migrator.downgrade({"core", "-1"});
    ASSERT_EQ(1u, one_down.size());
    EXPECT_EQ("5e8a2d47c3f0", one_down[0].revision);
    EXPECT_FALSE(one_down[0].upgrade);
    EXPECT_EQ(Strings{"0b3f6c1d9a21"}, query(db, "SELECT version_num FROM alembic_version"));

    EXPECT_EQ(3u, migrator.downgrade({"payments", "base"}).size());
    EXPECT_EQ(Strings{}, query(db, "SELECT version_num FROM alembic_version_payments"));
    EXPECT_EQ(Strings{}, query(db, "SELECT name FROM sqlite_master WHERE name LIKE 'payments_%'"));
}

TEST(Migrator, PreviewIsTheSqlUpgradeWouldRunAndChangesNothing) {
    test_support::ScopedTempDir scratch;
    const fs::path db = scratch / "app.db";
    auto migrator = Migrator::open(url_of(db));
    migrator.upgrade({"core", "9c41f7b2e685"});
    const std::string before = bytes_of(db);

    const std::string core = migrator.preview({"core", "a7d2c95e1b34"});
    EXPECT_EQ(0u, core.find("-- core (alembic_version)\n")) << core;
    EXPECT_NE(std::string::npos, core.find("a7d2c95e1b34")) << core;
    EXPECT_EQ(std::string::npos, core.find("c3e8b1f40d97")) << "a revision beyond the target";

    const std::string all = migrator.preview();
    EXPECT_NE(std::string::npos, all.find("-- payments (alembic_version_payments)\n"));
    EXPECT_NE(std::string::npos, all.find("-- analytics (alembic_version_analytics)\n"));
    EXPECT_NE(std::string::npos, all.find("CREATE TABLE"));
    EXPECT_EQ(before, bytes_of(db));

    migrator.upgrade();
    EXPECT_EQ("", migrator.preview());
}

TEST(Migrator, VerifyNamesAnAppliedMigrationWhoseSqlDiffers) {
    test_support::ScopedTempDir scratch;
    const fs::path db = scratch / "app.db";
    auto migrator = Migrator::open(url_of(db));
    migrator.upgrade();
    EXPECT_TRUE(migrator.verify().empty());

    execute(db, "UPDATE fastappkit_history SET checksum = 'recorded-elsewhere' "
                "WHERE revision = '6f2c9e4b1a83'");
    const auto findings = migrator.verify();
    ASSERT_EQ(1u, findings.size());
    EXPECT_EQ("payments", findings[0].history);
    EXPECT_EQ("6f2c9e4b1a83", findings[0].revision);
    EXPECT_EQ("recorded-elsewhere", findings[0].recorded_checksum);
    EXPECT_NE(std::string::npos, findings[0].file.find("6f2c9e4b1a83")) << findings[0].file;
}

// The program's own connection to a database in memory, kept across calls.
TEST(Migrator, WorksOnTheProgramsConnectionToADatabaseInMemory) {
    sqlite3* connection = nullptr;
    ASSERT_EQ(SQLITE_OK, sqlite3_open(":memory:", &connection));
    auto migrator = Migrator::open(connection);
    EXPECT_EQ(kRevisions, pending_count(migrator.status()));
    EXPECT_EQ(kRevisions, migrator.upgrade().size());
    EXPECT_TRUE(migrator.status().up_to_date());
    EXPECT_EQ(2u, migrator.downgrade({"analytics", "base"}).size());
    EXPECT_EQ(Strings{"2"}, query(connection, "SELECT count(*) FROM fastappkit_history "
                                              "WHERE revision IN ('4a1e7c2d9b50', '8d3b6f0a2c71') "
                                              "AND direction = 'downgrade'"));
    EXPECT_EQ(2u, pending_count(migrator.status()));
    EXPECT_TRUE(migrator.verify().empty());
    sqlite3_close(connection);
}

TEST(MigrationError, BadInputNamesTheTargetAndChangesNothing) {
    test_support::ScopedTempDir scratch;
    const fs::path db = scratch / "app.db";
    auto migrator = Migrator::open(url_of(db));

    auto unknown = error_of([&] { migrator.upgrade({"shipping", ""}); });
    ASSERT_TRUE(unknown);
    EXPECT_EQ(Kind::bad_input, unknown->kind());
    EXPECT_EQ(2, unknown->exit_code());
    EXPECT_EQ("shipping", unknown->history());
    EXPECT_EQ(0u, std::string(unknown->what())
                      .find("The program embeds no history named 'shipping' (it embeds core, "))
        << unknown->what();

    auto no_target = error_of([&] { migrator.downgrade({}); });
    ASSERT_TRUE(no_target);
    EXPECT_EQ(Kind::bad_input, no_target->kind());
    EXPECT_EQ(
        "downgrade needs a history and a revision (for example Target{\"core\", \"-1\"} or "
        "Target{\"payments\", \"base\"})",
        std::string(no_target->what()));

    auto bad_url = error_of([] { Migrator::open("mysql://localhost/app"); });
    ASSERT_TRUE(bad_url);
    EXPECT_EQ(Kind::bad_input, bad_url->kind());
    EXPECT_EQ(2, bad_url->exit_code());
    EXPECT_FALSE(fs::exists(db));
}

TEST(MigrationError, UnknownRevisionOfATargetOrOfTheDatabase) {
    test_support::ScopedTempDir scratch;
    const fs::path db = scratch / "app.db";
    auto migrator = Migrator::open(url_of(db));

    auto target = error_of([&] { migrator.upgrade({"core", "ffffffffffff"}); });
    ASSERT_TRUE(target);
    EXPECT_EQ(Kind::unknown_revision, target->kind());
    EXPECT_EQ(2, target->exit_code());
    EXPECT_EQ("core", target->history());
    EXPECT_EQ("ffffffffffff", target->revision());
    EXPECT_EQ("core: Can't locate revision identified by 'ffffffffffff'", std::string(target->what()));
    EXPECT_FALSE(fs::exists(db));

    migrator.upgrade();
    execute(db, "UPDATE alembic_version SET version_num = 'f0f0f0f0f0f1'");
    const std::string before = bytes_of(db);
    auto row = error_of([&] { migrator.upgrade(); });
    ASSERT_TRUE(row);
    EXPECT_EQ(Kind::unknown_revision, row->kind());
    EXPECT_EQ(1, row->exit_code());
    EXPECT_EQ(
        "core: Can't locate revision identified by 'f0f0f0f0f0f1' (the database records it, but "
        "no migration file of this history defines it)",
        std::string(row->what()));
    EXPECT_EQ(before, bytes_of(db));
}

// A migration that fails: the ones before it stay applied, and the error names it.
TEST(MigrationError, MigrationFailedNamesTheRevisionAndKeepsWhatCommitted) {
    test_support::ScopedTempDir scratch;
    const fs::path db = scratch / "app.db";
    auto migrator = Migrator::open(url_of(db));
    migrator.upgrade({"core", "heads"});
    // The table payments' first migration creates, already there.
    execute(db, "CREATE TABLE payments_customer (id INTEGER PRIMARY KEY)");

    auto failed = error_of([&] { migrator.upgrade(); });
    ASSERT_TRUE(failed);
    EXPECT_EQ(Kind::migration_failed, failed->kind());
    EXPECT_EQ(1, failed->exit_code());
    EXPECT_EQ("payments", failed->history());
    EXPECT_EQ("6f2c9e4b1a83", failed->revision());
    // analytics runs before payments: it committed, and stays.
    ASSERT_EQ(2u, failed->applied().size());
    EXPECT_EQ("analytics", failed->applied()[1].history);
    EXPECT_EQ(Strings{"8d3b6f0a2c71"}, query(db, "SELECT version_num FROM alembic_version_analytics"));
    EXPECT_NE(std::string::npos, std::string(failed->what()).find("payments_customer"))
        << failed->what();
    EXPECT_EQ(Strings{}, query(db, "SELECT version_num FROM alembic_version_payments"));
}

// Calling back into the library from on_start waits for the lock that call holds.
TEST(MigrationError, LockTimeoutWhileAnotherMigratorHoldsTheLock) {
    test_support::ScopedTempDir scratch;
    const fs::path db = scratch / "app.db";
    std::optional<MigrationError> second;
    MigratorOptions options;
    options.on_start = [&](const AppliedMigration&) {
        if (second) return;
        MigratorOptions impatient;
        impatient.lock_timeout = std::chrono::milliseconds(100);
        second = error_of([&] { Migrator::open(url_of(db), impatient).upgrade(); });
    };
    EXPECT_EQ(kRevisions, Migrator::open(url_of(db), options).upgrade().size());
    ASSERT_TRUE(second);
    EXPECT_EQ(Kind::lock_timeout, second->kind());
    EXPECT_EQ(1, second->exit_code());
    EXPECT_EQ(0u, std::string(second->what()).find("Timed out after 0.1 s waiting for the "
                                                    "migration lock on alembic_version"))
        << second->what();
}

TEST(MigrationError, CancelledBeforeTheStartChangesNothing) {
    test_support::ScopedTempDir scratch;
    const fs::path db = scratch / "app.db";
    std::atomic<bool> cancel{true};
    MigratorOptions options;
    options.cancel = &cancel;
    auto cancelled = error_of([&] { Migrator::open(url_of(db), options).upgrade(); });
    ASSERT_TRUE(cancelled);
    EXPECT_EQ(Kind::cancelled, cancelled->kind());
    EXPECT_EQ("Cancelled before any migration ran; nothing was changed",
              std::string(cancelled->what()));
    EXPECT_FALSE(fs::exists(db));
}

// Set while a migration runs: it rolls back, what committed before stays, the rest is pending.
TEST(MigrationError, CancelledWhileRunningRollsTheCurrentMigrationBack) {
    test_support::ScopedTempDir scratch;
    const fs::path db = scratch / "app.db";
    Migrator::open(url_of(db)).upgrade({"core", "heads"});
    Migrator::open(url_of(db)).upgrade({"payments", "6f2c9e4b1a83"});
    std::atomic<bool> cancel{false};
    MigratorOptions options;
    options.cancel = &cancel;
    options.on_start = [&](const AppliedMigration& m) {
        if (m.revision != "3c9a8f1e6d24") return;
        cancel = true;
        // The watcher interrupts the connection within a poll interval.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    };
    auto cancelled = error_of([&] { Migrator::open(url_of(db), options).upgrade(); });
    ASSERT_TRUE(cancelled);
    EXPECT_EQ(Kind::cancelled, cancelled->kind());
    EXPECT_EQ("payments", cancelled->history());
    EXPECT_EQ("3c9a8f1e6d24", cancelled->revision());
    // analytics' two (it runs before payments), then payments' one before the cancel.
    ASSERT_EQ(3u, cancelled->applied().size());
    EXPECT_EQ("analytics", cancelled->applied()[0].history);
    EXPECT_EQ("b7e05d3a9f12", cancelled->applied()[2].revision);
    EXPECT_EQ(
        "Cancelled while migrating payments revision 3c9a8f1e6d24: it was rolled back; the 3 "
        "migrations that committed before it stay applied",
        std::string(cancelled->what()));
    EXPECT_EQ(Strings{"b7e05d3a9f12"}, query(db, "SELECT version_num FROM alembic_version_payments"));
    EXPECT_EQ(Strings{"0"}, query(db, "SELECT count(*) FROM fastappkit_history "
                                      "WHERE revision = '3c9a8f1e6d24'"));
    EXPECT_EQ(1u, pending_count(Migrator::open(url_of(db)).status()));
}

TEST(MigrationError, UnfinishedSectionIsRefusedAndShownByStatus) {
    test_support::ScopedTempDir scratch;
    const fs::path db = scratch / "app.db";
    auto migrator = Migrator::open(url_of(db));
    migrator.upgrade({"core", "9c41f7b2e685"});
    execute(db,
            "CREATE TABLE fastappkit_unfinished (version_table VARCHAR(64) NOT NULL, revision "
            "VARCHAR(32) NOT NULL, direction VARCHAR(10) NOT NULL, started_at VARCHAR(32) NOT "
            "NULL); INSERT INTO fastappkit_unfinished VALUES ('alembic_version', 'a7d2c95e1b34', "
            "'upgrade', '2026-12-01T00:00:00Z')");
    EXPECT_EQ("a7d2c95e1b34", status_of(migrator.status(), "core").unfinished_revision);
    EXPECT_FALSE(migrator.status().up_to_date());
    const std::string before = bytes_of(db);

    auto refused = error_of([&] { migrator.upgrade({"core", ""}); });
    ASSERT_TRUE(refused);
    EXPECT_EQ(Kind::unfinished_section, refused->kind());
    EXPECT_EQ(1, refused->exit_code());
    EXPECT_EQ(0u, std::string(refused->what())
                      .find("core: the transaction:false upgrade section of revision "
                            "a7d2c95e1b34 ("))
        << refused->what();
    // The mark of an older table says nothing of how far the section got.
    EXPECT_NE(std::string::npos,
              std::string(refused->what())
                  .find(") started at 2026-12-01T00:00:00Z but never recorded its outcome (the "
                        "runner was stopped or failed part-way)"))
        << refused->what();
    EXPECT_EQ(before, bytes_of(db));
}

#ifdef FASTAPPKIT_TEST_WITH_POSTGRESQL

// A database of its own on the test server, dropped at the end.
class MigratorPostgres : public ::testing::Test {
protected:
    void SetUp() override {
        const char* text = std::getenv("FASTAPPKIT_TEST_POSTGRES_URL");
        if (!text || !*text) GTEST_SKIP() << "FASTAPPKIT_TEST_POSTGRES_URL is not set";
        admin_url_ = text;
        name_ = fmt::format("fk_migrator_{}", getpid());
        admin_ = open_postgres_database(parse_database_url(admin_url_, fs::current_path()), {});
        admin_->execute(fmt::format("DROP DATABASE IF EXISTS {0}", name_));
        admin_->execute(fmt::format("CREATE DATABASE {0}", name_));
        const auto slash = admin_url_.rfind('/');
        const auto query_at = admin_url_.find('?', slash);
        url_ = admin_url_.substr(0, slash + 1) + name_ +
               (query_at == std::string::npos ? "" : admin_url_.substr(query_at));
    }
    void TearDown() override {
        if (admin_) admin_->execute(fmt::format("DROP DATABASE IF EXISTS {0} WITH (FORCE)", name_));
    }

    std::string admin_url_, name_, url_;
    std::unique_ptr<Database> admin_;
};

TEST_F(MigratorPostgres, EveryCallAndTheErrorKinds) {
    auto migrator = Migrator::open(url_);
    EXPECT_EQ(kRevisions, pending_count(migrator.status()));
    EXPECT_NE(std::string::npos, migrator.preview({"core", ""}).find("CREATE INDEX CONCURRENTLY"));
    EXPECT_EQ(kRevisions, migrator.upgrade().size());
    EXPECT_TRUE(migrator.status().up_to_date());
    EXPECT_TRUE(migrator.verify().empty());
    EXPECT_EQ(1u, migrator.downgrade({"core", "-1"}).size());
    EXPECT_EQ(Strings{"f48b3d2e7a16"}, status_of(migrator.status(), "core").version_rows);

    auto unknown = error_of([&] { migrator.upgrade({"core", "ffffffffffff"}); });
    ASSERT_TRUE(unknown);
    EXPECT_EQ(Kind::unknown_revision, unknown->kind());

    std::optional<MigrationError> second;
    MigratorOptions options;
    options.on_start = [&](const AppliedMigration&) {
        MigratorOptions impatient;
        impatient.lock_timeout = std::chrono::milliseconds(100);
        second = error_of([&] { Migrator::open(url_, impatient).upgrade({"core", ""}); });
    };
    EXPECT_EQ(1u, Migrator::open(url_, options).upgrade({"core", ""}).size());
    ASSERT_TRUE(second);
    EXPECT_EQ(Kind::lock_timeout, second->kind());

    std::atomic<bool> cancel{true};
    MigratorOptions cancelling;
    cancelling.cancel = &cancel;
    auto cancelled = error_of([&] { Migrator::open(url_, cancelling).downgrade({"core", "base"}); });
    ASSERT_TRUE(cancelled);
    EXPECT_EQ(Kind::cancelled, cancelled->kind());
    EXPECT_TRUE(migrator.status().up_to_date());

    // A table in the way of payments' first migration.
    EXPECT_EQ(3u, migrator.downgrade({"payments", "base"}).size());
    auto db = open_postgres_database(parse_database_url(url_, fs::current_path()), {});
    db->execute("CREATE TABLE payments_customer (id INTEGER PRIMARY KEY)");
    auto failed = error_of([&] { migrator.upgrade({"payments", ""}); });
    ASSERT_TRUE(failed);
    EXPECT_EQ(Kind::migration_failed, failed->kind());
    EXPECT_EQ("6f2c9e4b1a83", failed->revision());
    EXPECT_EQ(Strings{}, status_of(migrator.status(), "payments").version_rows);
    db->execute("DROP TABLE payments_customer");

    // A transaction:false section that never recorded its outcome.
    db->execute(
        "CREATE TABLE IF NOT EXISTS fastappkit_unfinished (version_table VARCHAR(64) NOT NULL, "
        "revision VARCHAR(32) NOT NULL, direction VARCHAR(10) NOT NULL, started_at VARCHAR(32) "
        "NOT NULL)");
    db->execute(
        "INSERT INTO fastappkit_unfinished VALUES ('alembic_version_payments', '6f2c9e4b1a83', "
        "'upgrade', '2026-12-01T00:00:00Z')");
    EXPECT_EQ("6f2c9e4b1a83", status_of(migrator.status(), "payments").unfinished_revision);
    auto refused = error_of([&] { migrator.upgrade({"payments", ""}); });
    ASSERT_TRUE(refused);
    EXPECT_EQ(Kind::unfinished_section, refused->kind());
    EXPECT_EQ(Strings{}, status_of(migrator.status(), "payments").version_rows);
}

#endif

}  // namespace
}  // namespace fastappkit
