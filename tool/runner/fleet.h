// A fleet: one project's histories applied to many databases (tenants, shards, regions), with
// bounded parallelism, a canary first, failures kept to their target, and one result per
// target (docs/fleet.md). Each target is an ordinary `migrate all` (run_migrations) with its
// own connection and its own locks, so two fleet runs at once, or a fleet run beside a single
// runner, apply nothing twice, and a rerun resumes where the last one stopped.
//
// The project is read once: the caller parses and checks every migration file before the
// fleet starts (one bad file is one error before any target is touched) and gives a factory
// that makes each target's Histories over that one parsed, read-only graph.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "db/database.h"
#include "runner/history.h"
#include "runner/progress.h"
#include "runner/status.h"

namespace fastappkit {

enum class FleetOnError { stop, continue_running };

enum class TargetStatus { applied, unchanged, pending, drifted, failed, skipped };
const char* to_string(TargetStatus status);

struct TargetResult {
    size_t index = 0;    // position in the target list
    std::string target;  // the URL with passwords masked
    TargetStatus status = TargetStatus::skipped;
    std::vector<AppliedStep> applied;      // in the order they ran (failed: those before it)
    std::vector<PendingRevision> pending;  // --dry-run only
    std::vector<std::string> drift;        // an audit's findings, one line each
    std::string error;                     // failed: the sentence; skipped: why
    int exit_code = 0;                     // failed: 1, 2 (bad target) or 130 (interrupted)
    long long duration_ms = 0;
};

struct FleetResult {
    std::vector<TargetResult> targets;  // in target order
    size_t count(TargetStatus status) const;
    long long duration_ms = 0;
    // 0 when no target failed or drifted; else 130 when interrupted, 2 when every failure was
    // bad input (and none drifted), 1 otherwise.
    int exit_code() const;
};

// A target's histories, in `migrate all` order, and those of them (external apps) whose
// revisions must not be found in the shared alembic_version table.
struct FleetHistories {
    std::vector<std::unique_ptr<History>> histories;
    std::vector<History*> conflict_checked;
};

struct FleetRun {
    std::vector<std::string> targets;  // URLs as given
    std::filesystem::path root;        // relative SQLite paths are relative to it
    size_t parallel = 4;               // targets (and PostgreSQL sessions) at once
    size_t canary = 0;                 // the first K targets run alone first
    FleetOnError on_error = FleetOnError::stop;
    std::optional<size_t> max_failures;  // continue: stop starting targets after F failures
    bool dry_run = false;                // report what is pending; change nothing
    // Instead of migrating, audit each target on a read-only connection (`migrate fleet
    // --drift`): the findings, none when the target is as its migrations made it.
    std::function<std::vector<std::string>(Database&, const DatabaseUrl&,
                                           const std::vector<History*>&)>
        audit;
    OpenOptions open;  // every target's connection options
    std::function<FleetHistories()> histories;
    std::function<std::unique_ptr<Database>(const DatabaseUrl&, const OpenOptions&)> open_database;
    // Called from the worker threads, one call at a time, as each target ends.
    std::function<void(const TargetResult&)> on_target_done;
    // Called from the worker threads with each connection a target opens (and with nullptr
    // before it is closed), so that Ctrl-C can stop its running statement.
    std::function<void(size_t index, Database*)> on_connection;
    // Set (from any thread) to start no further target; running ones finish or are interrupted
    // through their connections.
    const std::atomic<bool>* cancel = nullptr;
};

// Runs every target; never throws for a target's failure (it is in the report). Throws Error
// for bad options.
FleetResult run_fleet(const FleetRun& run);

}  // namespace fastappkit
