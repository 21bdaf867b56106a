// The whole runner as a library, over the migrations compiled into the program
// (fastappkit_embed_migrations in CMake): what is pending, what upgrade would run, upgrade and
// downgrade of one history or all, and what changed since it was applied.
//
//     auto migrator = fastappkit::Migrator::open("sqlite:///app.db");
//     if (!migrator.status().up_to_date()) migrator.upgrade();
//
// The same run policy as the CLI and migrate_all() (which is Migrator::open(url).upgrade()):
// checks first on a read-only connection, the database opened for writing only when there is
// work, the same plans, refusals, locks, version tables and fastappkit_history rows.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fastappkit/embedded.h"
#include "fastappkit/error.h"

struct sqlite3;

namespace fastappkit {

namespace catalog {
struct Catalog;
}

// Which history, and where to: {} is every history to its heads (upgrade only);
// {"core", "-1"}, {"payments", "base"}, {"core", "<revision>"}.
struct Target {
    std::string history;   // "core" or an external app's name; empty: every history
    std::string revision;  // empty: its heads
};

struct PendingMigration {
    std::string revision;
    std::string message;
};

struct HistoryStatus {
    std::string history;
    std::string version_table;
    std::vector<std::string> version_rows;    // what the database records
    std::vector<std::string> heads;           // the program's heads of this history
    std::vector<PendingMigration> pending;    // in the order upgrade runs them
    std::string unfinished_revision;          // a transaction:false section never finished
};

struct Status {
    std::vector<HistoryStatus> histories;  // in migration order
    bool up_to_date() const noexcept;      // nothing pending, nothing unfinished
};

// An applied migration whose SQL in the program differs from what the database ran.
struct Finding {
    std::string history;
    std::string revision;
    std::string file;
    std::string recorded_checksum;
    std::string current_checksum;
};

struct MigratorOptions {
    // Before each migration runs, and once it committed. Called on the migrating thread while
    // it holds the history's migration lock: do not call back into fastappkit from them.
    std::function<void(const AppliedMigration&)> on_start;
    std::function<void(const AppliedMigration&)> on_applied;
    std::chrono::milliseconds lock_timeout{std::chrono::seconds(60)};
    // Set to true (from any thread) to stop: the running statement is interrupted and its
    // migration rolled back, as Ctrl-C does to the CLI; MigrationError kind cancelled.
    const std::atomic<bool>* cancel = nullptr;
    // The catalog to run; nullptr: the program's only unnamed one.
    const catalog::Catalog* catalog = nullptr;
};

class MigrationError : public Error {
public:
    enum class Kind {
        bad_input,           // a bad URL, target or history; nothing changed (exit code 2)
        unknown_revision,    // a target, or a version row, no migration of the program defines
        migration_failed,    // a migration or the database failed
        lock_timeout,        // another runner held the lock (or a table) too long
        cancelled,           // MigratorOptions::cancel was set
        unfinished_section,  // a transaction:false section never recorded its outcome
    };
    MigrationError(const Error& error, Kind kind, std::string history, std::string revision,
                   std::vector<AppliedMigration> applied);
    Kind kind() const noexcept { return kind_; }
    const std::string& history() const noexcept { return history_; }    // may be empty
    const std::string& revision() const noexcept { return revision_; }  // may be empty
    // What committed before the failure: it stays applied.
    const std::vector<AppliedMigration>& applied() const noexcept { return applied_; }

private:
    Kind kind_;
    std::string history_;
    std::string revision_;
    std::vector<AppliedMigration> applied_;
};

// One catalog and one database. Every call throws MigrationError. Not for concurrent use of one
// object; separate Migrators (threads, processes) may work on one database at once.
class Migrator {
public:
    static Migrator open(const std::string& database_url, const MigratorOptions& options = {});
    // A connection the program opened (never closed here); as migrate_all(sqlite3*).
    static Migrator open(sqlite3* connection, const MigratorOptions& options = {});
    Migrator(Migrator&&) noexcept;
    Migrator& operator=(Migrator&&) noexcept;
    ~Migrator();

    Status status() const;
    std::vector<AppliedMigration> upgrade(const Target& target = {});
    std::vector<AppliedMigration> downgrade(const Target& target);
    std::string preview(const Target& target = {}) const;  // the SQL upgrade would run now
    std::vector<Finding> verify() const;

    class State;

private:
    explicit Migrator(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

}  // namespace fastappkit
