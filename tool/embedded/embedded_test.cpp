// migrate_all over the example project's histories, embedded by the runner (`fastappkit embed`)
// as fastappkit_embed_migrations embeds them: what it applies and records, that the catalog it
// reads once per process serves every later call and several threads at once, and what it
// refuses.
#include "fastappkit/embedded.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "script/checksum.h"
#include "script/migration_file.h"
#include "test_support/sqlite_files.h"
#include "test_support/test_support.h"

namespace fastappkit {
namespace {

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;
using test_support::bytes_of;
using test_support::query;
using test_support::url_of;

constexpr size_t kRevisions = 14;  // core 9, payments 3, analytics 2
const Strings kHeads = {"analytics 8d3b6f0a2c71", "core 27ac5b9e0f43", "payments 3c9a8f1e6d24"};

Strings heads(const fs::path& file) {
    return query(file,
                 "SELECT 'analytics ' || version_num FROM alembic_version_analytics UNION ALL "
                 "SELECT 'core ' || version_num FROM alembic_version UNION ALL "
                 "SELECT 'payments ' || version_num FROM alembic_version_payments ORDER BY 1");
}

// "<revision> <checksum>" of every upgrade section of the example's migration files, as the
// runner computes them from the files.
Strings checksums_of_the_files() {
    Strings out;
    for (const auto& entry : fs::recursive_directory_iterator(FASTAPPKIT_EXAMPLE_PROJECT)) {
        if (entry.path().extension() != ".sql" ||
            entry.path().parent_path().filename() != "versions")
            continue;
        const MigrationScript script = read_migration_file(entry.path(), false);
        const Section* upgrade = script.section(Direction::upgrade, "sqlite");
        out.push_back(script.revision + " " + sql_checksum(upgrade->sql));
    }
    std::sort(out.begin(), out.end());
    return out;
}

TEST(MigrateAll, AppliesEveryRevisionWithTheRunnersChecksumsThenDoesNothing) {
    test_support::ScopedTempDir scratch;
    const fs::path db = scratch / "app.db";
    Strings told;
    Strings core_when_first_told;
    MigrateOptions options;
    options.on_applied = [&](const AppliedMigration& m) {
        if (told.empty())
            core_when_first_told = query(db, "SELECT version_num FROM alembic_version");
        told.push_back(m.history + " " + m.revision);
    };

    const auto applied = migrate_all(url_of(db), options);
    ASSERT_EQ(kRevisions, applied.size());
    // A fresh database: core's first three revisions, up to its transaction:false section,
    // commit together, and the program hears of the first once they have.
    EXPECT_EQ(Strings{"9c41f7b2e685"}, core_when_first_told);
    EXPECT_EQ("core 0b3f6c1d9a21", applied.front().history + " " + applied.front().revision);
    EXPECT_TRUE(applied.front().upgrade);
    EXPECT_EQ(kRevisions, told.size());
    EXPECT_EQ(kHeads, heads(db));
    EXPECT_EQ(checksums_of_the_files(),
              query(db, "SELECT revision || ' ' || checksum FROM fastappkit_history ORDER BY 1"));

    // The second call in the process uses the catalog the first one read.
    told.clear();
    EXPECT_TRUE(migrate_all(url_of(db), options).empty());
    EXPECT_TRUE(told.empty());
    EXPECT_EQ(Strings{std::to_string(kRevisions)},
              query(db, "SELECT count(*) FROM fastappkit_history"));
}

TEST(MigrateAll, ALaterCallOnAnotherDatabaseAppliesEveryRevisionAgain) {
    test_support::ScopedTempDir scratch;
    ASSERT_EQ(kRevisions, migrate_all(url_of(scratch / "first.db")).size());
    // What the first call loaded and released is not missing from the second.
    ASSERT_EQ(kRevisions, migrate_all(url_of(scratch / "second.db")).size());
    EXPECT_EQ(kHeads, heads(scratch / "second.db"));
    EXPECT_EQ(query(scratch / "first.db", "SELECT revision || checksum FROM fastappkit_history"),
              query(scratch / "second.db", "SELECT revision || checksum FROM fastappkit_history"));
}

// Every thread's first call races to read the catalog.
TEST(MigrateAll, ThreadsMigratingDatabasesOfTheirOwnEachApplyEveryRevision) {
    test_support::ScopedTempDir scratch;
    constexpr int kThreads = 8;
    std::vector<size_t> counts(kThreads);
    std::vector<std::string> errors(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] {
            try {
                counts[i] = migrate_all(url_of(scratch / (std::to_string(i) + ".db"))).size();
            } catch (const Error& e) {
                errors[i] = e.what();
            }
        });
    }
    for (auto& thread : threads) thread.join();
    for (int i = 0; i < kThreads; ++i) {
        EXPECT_EQ("", errors[i]);
        EXPECT_EQ(kRevisions, counts[i]) << "thread " << i;
        EXPECT_EQ(kHeads, heads(scratch / (std::to_string(i) + ".db")));
    }
}

// The library's fleet runs the code `fastappkit migrate fleet` runs (tests/cli/test_fleet.py).
TEST(MigrateFleet, MigratesEveryDatabaseThenFindsNothingToDo) {
    test_support::ScopedTempDir scratch;
    Strings urls;
    for (int i = 0; i < 6; ++i) urls.push_back(url_of(scratch / ("t" + std::to_string(i) + ".db")));
    FleetOptions options;
    options.parallel = 2;
    size_t told = 0;
    options.on_target_done = [&told](const FleetTargetReport&) { ++told; };

    const FleetReport report = migrate_fleet(urls, options);
    EXPECT_EQ(0, report.exit_code());
    ASSERT_EQ(urls.size(), report.targets.size());
    EXPECT_EQ(urls.size(), told);
    for (size_t i = 0; i < urls.size(); ++i) {
        EXPECT_EQ(urls[i], report.targets[i].target);
        EXPECT_EQ(FleetStatus::applied, report.targets[i].status);
        EXPECT_EQ(kRevisions, report.targets[i].applied.size());
        EXPECT_EQ(kHeads, heads(scratch / ("t" + std::to_string(i) + ".db")));
    }
    const FleetReport again = migrate_fleet(urls, options);
    for (const auto& target : again.targets) EXPECT_EQ(FleetStatus::unchanged, target.status);
}

TEST(MigrateFleet, AFailingDatabaseStopsTheRestOrIsKeptToItself) {
    test_support::ScopedTempDir scratch;
    const Strings urls = {url_of(scratch / "a.db"), "sqlite:///x.db?mode=bogus",
                          url_of(scratch / "c.db")};
    FleetOptions options;
    options.parallel = 1;
    const FleetReport stopped = migrate_fleet(urls, options);
    EXPECT_EQ(2, stopped.exit_code());
    EXPECT_EQ(FleetStatus::applied, stopped.targets[0].status);
    EXPECT_EQ(FleetStatus::failed, stopped.targets[1].status);
    EXPECT_NE(std::string::npos, stopped.targets[1].error.find("mode"));
    EXPECT_EQ(FleetStatus::skipped, stopped.targets[2].status);
    EXPECT_FALSE(fs::exists(scratch / "c.db"));

    options.continue_on_error = true;
    const FleetReport continued = migrate_fleet(urls, options);
    EXPECT_EQ(FleetStatus::unchanged, continued.targets[0].status);
    EXPECT_EQ(FleetStatus::failed, continued.targets[1].status);
    EXPECT_EQ(FleetStatus::applied, continued.targets[2].status);
    EXPECT_EQ(kHeads, heads(scratch / "c.db"));
}

TEST(MigrateFleet, DryRunListsWhatIsPendingAndCreatesNothing) {
    test_support::ScopedTempDir scratch;
    FleetOptions options;
    options.dry_run = true;
    const FleetReport report = migrate_fleet({url_of(scratch / "new.db")}, options);
    ASSERT_EQ(1u, report.targets.size());
    EXPECT_EQ(FleetStatus::pending, report.targets[0].status);
    EXPECT_EQ(kRevisions, report.targets[0].pending.size());
    EXPECT_EQ("core 0b3f6c1d9a21", report.targets[0].pending.front());
    EXPECT_FALSE(fs::exists(scratch / "new.db"));
}

TEST(MigrateAll, ThreadsMigratingOneDatabaseApplyEachRevisionOnce) {
    test_support::ScopedTempDir scratch;
    const fs::path db = scratch / "app.db";
    std::mutex mutex;
    Strings applied, errors;
    std::vector<std::thread> threads;
    for (int i = 0; i < 6; ++i) {
        threads.emplace_back([&] {
            try {
                const auto mine = migrate_all(url_of(db));
                std::lock_guard<std::mutex> lock(mutex);
                for (const auto& m : mine) applied.push_back(m.history + " " + m.revision);
            } catch (const Error& e) {
                std::lock_guard<std::mutex> lock(mutex);
                errors.push_back(e.what());
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(Strings{}, errors);
    EXPECT_EQ(kRevisions, applied.size());
    EXPECT_EQ(kHeads, heads(db));
    EXPECT_EQ(
        Strings{std::to_string(kRevisions) + " " + std::to_string(kRevisions)},
        query(db, "SELECT count(*) || ' ' || count(DISTINCT revision) FROM fastappkit_history"));
}

TEST(MigrateAll, DatabaseAtARevisionTheProgramLacksIsRefusedAndLeftUnchanged) {
    test_support::ScopedTempDir scratch;
    const fs::path db = scratch / "app.db";
    ASSERT_EQ(kRevisions, migrate_all(url_of(db)).size());
    sqlite3* connection = nullptr;
    ASSERT_EQ(SQLITE_OK, sqlite3_open(db.c_str(), &connection));
    ASSERT_EQ(SQLITE_OK,
              sqlite3_exec(connection, "UPDATE alembic_version SET version_num = 'f0f0f0f0f0f1'",
                           nullptr, nullptr, nullptr));
    sqlite3_close(connection);
    const std::string before = bytes_of(db);

    EXPECT_EQ(
        "core: Can't locate revision identified by 'f0f0f0f0f0f1' (the database records it, but "
        "no migration file of this history defines it)",
        test_support::message_of(ExitCode::failure, [&] { migrate_all(url_of(db)); }));
    EXPECT_EQ(before, bytes_of(db));
}

TEST(MigrateAll, ConnectionOfTheProgramIsMigratedAndLeftOpen) {
    test_support::ScopedTempDir scratch;
    sqlite3* connection = nullptr;
    ASSERT_EQ(SQLITE_OK, sqlite3_open((scratch / "app.db").c_str(), &connection));
    EXPECT_EQ(kRevisions, migrate_all(connection).size());
    EXPECT_TRUE(migrate_all(connection).empty());
    EXPECT_EQ(SQLITE_OK, sqlite3_exec(connection, "SELECT 1 FROM fastappkit_history", nullptr,
                                      nullptr, nullptr));
    sqlite3_close(connection);
    EXPECT_EQ(kHeads, heads(scratch / "app.db"));
}

// A deleted working directory: a relative SQLite URL gets one sentence, an absolute one works.
TEST(MigrateAll, WithTheWorkingDirectoryDeletedOnlyARelativePathIsRefused) {
    test_support::ScopedTempDir scratch;
    const fs::path before = fs::current_path();
    fs::create_directory(scratch / "gone");
    fs::current_path(scratch / "gone");
    fs::remove(scratch / "gone");
    std::string message;
    int code = 0;
    try {
        migrate_all("sqlite:///app.db");
    } catch (const Error& e) {
        message = e.what();
        code = e.exit_code();
    }
    size_t applied = 0;
    try {
        applied = migrate_all(url_of(scratch / "app.db")).size();
    } catch (const Error& e) {
        message += e.what();
    }
    fs::current_path(before);
    EXPECT_EQ(2, code);
    EXPECT_EQ(
        "Cannot open sqlite:///app.db: its path is relative to the current directory, which no "
        "longer exists; use an absolute path (sqlite:////path/to/app.db)",
        message);
    EXPECT_EQ(kRevisions, applied);
}

// Refused before anything is created: nothing of ours may join the program's transaction.
TEST(MigrateAll, ConnectionWithAnOpenTransactionIsRefusedAndGetsNothing) {
    test_support::ScopedTempDir scratch;
    sqlite3* connection = nullptr;
    ASSERT_EQ(SQLITE_OK, sqlite3_open((scratch / "app.db").c_str(), &connection));
    ASSERT_EQ(SQLITE_OK, sqlite3_exec(connection, "BEGIN", nullptr, nullptr, nullptr));
    std::string message;
    int code = 0;
    try {
        migrate_all(connection);
    } catch (const Error& e) {
        message = e.what();
        code = e.exit_code();
    }
    EXPECT_EQ(2, code);
    EXPECT_NE(std::string::npos, message.find("with an open transaction"));
    ASSERT_EQ(SQLITE_OK, sqlite3_exec(connection, "COMMIT", nullptr, nullptr, nullptr));
    sqlite3_close(connection);
    EXPECT_EQ(Strings{}, query(scratch / "app.db", "SELECT name FROM sqlite_master"));
}

}  // namespace
}  // namespace fastappkit
