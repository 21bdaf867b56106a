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

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fastappkit/error.h"

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

}  // namespace fastappkit
