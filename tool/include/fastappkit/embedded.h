// Migrations compiled into the program: fastappkit_embed_migrations(<target>) in CMake adds
// the project's histories to <target>, and one call at start-up applies what is pending:
//
//     fastappkit::migrate_all("sqlite:///app.db");
//
// Same plans, refusals, version tables, locks and fastappkit_history rows (same checksums) as
// `fastappkit migrate all`, so the runner, the CMake targets and the program can take turns on
// one database. No file is read and nothing is printed at run time; safe when several threads
// or processes call it at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fastappkit/error.h"

// The library is built with the standard library's default ABI. libstdc++'s debug mode changes
// the layout of the std::string and std::vector the API returns (a returned vector reads as
// empty), so a consumer built with it is refused here rather than misread at run time.
#if defined(_GLIBCXX_DEBUG)
#error "fastappkit's libraries use libstdc++'s default ABI: build this file without -D_GLIBCXX_DEBUG"
#endif

struct sqlite3;

namespace fastappkit {

struct AppliedMigration {
    std::string history;  // "core" or an external app's name
    std::string revision;
    std::string message;
    bool upgrade = true;
    std::int64_t duration_ms = 0;
};

struct MigrateOptions {
    std::function<void(const AppliedMigration&)> on_applied;  // nothing is printed otherwise
    std::chrono::milliseconds lock_timeout{std::chrono::seconds(60)};
};

// Applies every pending migration of every embedded history (core, then external apps), each in
// its own transaction (a history with no version rows yet: in one transaction, a savepoint
// each; on_applied then hears of them once it committed), and returns what it applied.
// `database_url` is a URL as the runner takes it (sqlite:///relative.db, sqlite:////absolute.db,
// postgresql://...; PostgreSQL needs fastappkit::postgresql). Throws Error: exit_code() 2 for bad
// input (nothing changed), 1 when the database or a migration failed or the database is at a
// revision the program does not contain ("Can't locate revision identified by '<rev>'", nothing
// changed).
std::vector<AppliedMigration> migrate_all(const std::string& database_url,
                                          const MigrateOptions& options = {});

// The same on a connection the program opened (never closed here). While it runs, the
// connection has fastappkit's busy handler and foreign_keys = ON; afterwards it has no busy
// handler (set your own again if you use one) and foreign_keys as before.
std::vector<AppliedMigration> migrate_all(sqlite3* connection, const MigrateOptions& options = {});

// Fleets (docs/fleet.md): the same migrate_all on many databases (tenants, shards, regions),
// as `fastappkit migrate fleet` runs it: at most `parallel` at once, each with its own
// connection and locks, the first `canary` alone first, failures kept to their database.
enum class FleetStatus { applied, unchanged, pending, failed, skipped };

struct FleetTargetReport {
    std::string target;  // the URL with passwords masked
    FleetStatus status = FleetStatus::skipped;
    std::vector<AppliedMigration> applied;  // failed: those applied before the failure
    std::vector<std::string> pending;       // dry_run: "history revision", in order
    std::string error;                      // failed: the sentence; skipped: why
    int exit_code = 0;                      // failed: 1, or 2 for a bad URL
    std::int64_t duration_ms = 0;
};

struct FleetReport {
    std::vector<FleetTargetReport> targets;  // in the order of the URLs
    std::int64_t duration_ms = 0;
    int exit_code() const noexcept;  // 0 when none failed, else 1 (2 when only bad URLs failed)
};

struct FleetOptions {
    std::size_t parallel = 4;        // databases (and PostgreSQL sessions) at once
    std::size_t canary = 0;          // the first K run alone first; one failure stops the rest
    bool continue_on_error = false;  // false: start no database after a failure
    std::size_t max_failures = 0;    // with continue_on_error: stop after F failures (0: never)
    bool dry_run = false;            // report what is pending; change nothing
    std::chrono::milliseconds lock_timeout{std::chrono::seconds(60)};
    // Called from the worker threads, one call at a time, as each database is done.
    std::function<void(const FleetTargetReport&)> on_target_done;
    // When set to true, no further database is started.
    const std::atomic<bool>* cancel = nullptr;
};

// Never throws for one database's failure (it is in the report); throws Error (exit code 2)
// for bad options.
FleetReport migrate_fleet(const std::vector<std::string>& database_urls,
                          const FleetOptions& options = {});

}  // namespace fastappkit
