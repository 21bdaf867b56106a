// The database interface every backend implements (SQLite, PostgreSQL). The runner speaks
// only to this interface and never branches on the dialect; dialect differences stay in db/.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/timeouts.h"
#include "config/database_url.h"

namespace fastappkit {

// A statement of a migration failed. `line` is 1-based within the SQL passed to execute()
// offset by its `first_line`; `message` is the database's own message.
class StatementError : public std::runtime_error {
public:
    StatementError(int failed_line, std::string failed_statement, std::string database_message)
        : std::runtime_error(database_message),
          line(failed_line),
          statement(std::move(failed_statement)),
          message(std::move(database_message)) {}
    int line;
    std::string statement;
    std::string message;
    bool lock_not_available = false;  // the lock timeout ran out (PostgreSQL SQLSTATE 55P03)
};

// One statement of a transaction:false section has completed (execute_outside_transaction()).
// Lines are as StatementError's: in the file, at the statement's first code.
struct CompletedStatement {
    int index = 0;      // 1-based, among the section's statements
    int count = 0;      // the section's statements
    int line = 0;       // this statement's line
    int next_line = 0;  // the next statement's line; 0 after the last
};
// Called after each statement; it must not throw (the statements run on whatever it does).
using StatementCompleted = std::function<void(const CompletedStatement&)>;

// An entry of the applied-migration log, fastappkit_history: one row per migration run
// (docs/architecture.md, "Words"). Not to be confused with a history, a version table and
// the revisions that fill it.
struct LogEntry {
    std::string version_table;
    std::string revision;
    std::string direction;  // "upgrade" / "downgrade"
    std::string checksum;
    std::string applied_at;
    long long duration_ms = 0;
};

// RAII transaction: the destructor rolls back when commit() was not called, and never throws.
class Transaction {
public:
    virtual ~Transaction() = default;
    virtual void commit() = 0;
};

// Held while a runner works on one history; released by the destructor. PostgreSQL: a lease
// row in fastappkit_lock or a session-level advisory lock (LockMode). SQLite: a lock on a byte
// of a lock file beside the database, which the kernel releases when the runner dies (it keeps
// a transaction:false section, which runs between transactions, from being run by two runners).
class HistoryLock {
public:
    virtual ~HistoryLock() = default;
};

struct OpenOptions {
    bool read_only =
        false;  // never create or change anything (a missing SQLite file stays missing)
    std::chrono::milliseconds lock_timeout{std::chrono::minutes(5)};
    // Called once when the runner starts waiting for another runner's lock.
    std::function<void(const std::string&)> on_wait;
    // PostgreSQL: the lock (a URL's fastappkit_lock= parameter wins), the lease's lifetime, and
    // a direct connection (no pooler) for transaction:false sections that have timeouts.
    LockMode lock_mode = LockMode::automatic;
    std::chrono::milliseconds lock_ttl{std::chrono::seconds(30)};
    std::optional<DatabaseUrl> direct_url;
    // One line the user should read (a transaction:false section running without timeouts).
    std::function<void(const std::string&)> on_warning;
};

class Database {
public:
    virtual ~Database() = default;

    virtual Dialect dialect() const = 0;
    // The URL with passwords masked, for messages.
    virtual std::string display_url() const = 0;

    virtual bool has_table(const std::string& table) = 0;
    // Rows of a version table in table order; empty when the table does not exist.
    virtual std::vector<std::string> read_versions(const std::string& version_table) = 0;
    // The log's entries (fastappkit_history) of one version table, oldest first; empty without
    // the table.
    // SQLite: as written (rowid); PostgreSQL, where rows have no such order: by applied_at,
    // rows of one instant as written (docs/databases.md).
    virtual std::vector<LogEntry> read_log(const std::string& version_table) = 0;

    // Creates fastappkit_history when missing (safe when runners race).
    virtual void ensure_history_table() = 0;
    // Creates one of fastappkit's own tables with `create_sql` (CREATE TABLE IF NOT EXISTS)
    // when missing, in the current transaction if one is open; safe when runners race.
    virtual void ensure_table(const std::string& table, const std::string& create_sql) {
        if (!has_table(table)) execute(create_sql);
    }
    // Whether one of fastappkit's own tables has `column` (false without the table).
    virtual bool has_column(const std::string& table, const std::string& column) = 0;
    // Adds `column` (`definition`: its type, NOT NULL, DEFAULT) to one of fastappkit's own
    // tables that an older fastappkit created without it, in the current transaction if one is
    // open; safe when runners race.
    virtual void ensure_column(const std::string& table, const std::string& column,
                               const std::string& definition) {
        if (!has_column(table, column))
            execute("ALTER TABLE " + table + " ADD COLUMN " + column + " " + definition);
    }

    // Makes a connection opened read-only (OpenOptions::read_only) writable in place, when the
    // backend can: PostgreSQL, whose read-only work runs in READ ONLY transactions on an
    // ordinary session, so that a run with work needs no second connection (each costs a
    // server process and an authentication). False when the database must be opened again:
    // SQLite opens the file read-only, so that a check never creates a missing file.
    virtual bool make_writable() { return false; }

    // Ctrl-C: stops the running statement and makes every later statement, transaction and
    // lock wait of this connection fail, so that the work unwinds (rolling back). Called from
    // another thread, possibly more than once; never throws.
    virtual void interrupt() noexcept {}

    virtual std::unique_ptr<HistoryLock> lock_history(const std::string& version_table) = 0;
    // For readers that must not see a migration half done (`migrate drift`): waits until no
    // runner holds the history's lock, writing nothing. Where the lock can be held without a
    // write (SQLite's lock file, PostgreSQL's advisory lock) the returned lock keeps runners off
    // until released; a PostgreSQL lease, a row in fastappkit_lock, is only waited for.
    virtual std::unique_ptr<HistoryLock> wait_for_history(const std::string& version_table) {
        return lock_history(version_table);
    }
    // SQLite: BEGIN IMMEDIATE (waiting with the busy timeout). PostgreSQL: BEGIN.
    virtual std::unique_ptr<Transaction> begin() = 0;
    // A read-only transaction whose reads all see one snapshot of the database, so that each
    // migration, committed with its version rows, is seen whole or not at all. SQLite: BEGIN
    // (deferred). PostgreSQL: BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY.
    virtual std::unique_ptr<Transaction> begin_snapshot() = 0;

    // Fencing, so that a lock lost to a pooler, a frozen process or a partition can never
    // apply a migration twice. fence() runs first in a migration's transaction, before its
    // heads are read: it keeps every other runner's version-row writes to `version_table` off
    // until the transaction ends, and throws fastappkit::Error (failure) when this runner no
    // longer holds its lock. fence_check_sql() runs just before COMMIT: it fails the
    // transaction, with that same error, unless the lock is still held then (and keeps it from
    // being taken over until COMMIT). SQLite's write transactions already exclude each other:
    // nothing to do there.
    virtual void fence(const std::string& /*version_table*/) {}
    virtual std::string fence_check_sql(const std::string& /*version_table*/) { return {}; }

    // Runs every statement of `sql` in order, in the current transaction if one is open, else
    // each on its own (autocommit). Throws StatementError naming the failing statement with
    // its line (`first_line` is the line of sql's first character in its file).
    virtual void execute(std::string_view sql, int first_line = 1) = 0;

    // Savepoints in the open transaction. A fresh history's migrations run in one transaction
    // (HistoryMigrator), each under a savepoint, so that a failing one is undone alone and the ones
    // before it still commit. rollback_to_savepoint() leaves the transaction open and usable
    // (PostgreSQL: no longer aborted); it throws when the transaction itself is gone (a few
    // SQLite errors end it).
    virtual void savepoint(const std::string& name) { execute("SAVEPOINT " + name); }
    virtual void rollback_to_savepoint(const std::string& name) {
        execute("ROLLBACK TO SAVEPOINT " + name);
    }
    virtual void release_savepoint(const std::string& name) {
        execute("RELEASE SAVEPOINT " + name);
    }

    // One migration of a batch in the open transaction, under savepoint `name`: `section` (as
    // execute() runs it, `first_line` likewise), then each of `bookkeeping`, then the
    // savepoint released. When a statement fails, everything since the savepoint is undone and
    // the transaction stays usable; a statement of the section is named by StatementError
    // (lock_not_available set when the lock timeout ran out), a bookkeeping statement by
    // fastappkit::Error, as in execute_transaction(). PostgreSQL sends it all in one round
    // trip; the runner uses it when batch_elapsed_ms_sql() can time the history row.
    virtual void execute_in_savepoint(std::string_view section, int first_line,
                                      const std::vector<std::string>& bookkeeping,
                                      const std::string& name) {
        savepoint(name);
        const auto undo = [&] {
            rollback_to_savepoint(name);
            release_savepoint(name);
        };
        try {
            execute(section, first_line);
        } catch (const StatementError&) {
            undo();
            throw;
        }
        try {
            execute_bookkeeping(bookkeeping);
        } catch (const Error&) {
            undo();
            throw;
        }
        release_savepoint(name);
    }

    // One migration of a batch in the open transaction without a savepoint (where
    // batch_savepoints() of the dialect is false): `section` (as execute() runs it,
    // `first_line` likewise), then each of `bookkeeping`. A failing statement leaves the
    // transaction to be rolled back: StatementError (lock_not_available set when the lock
    // timeout ran out) or, for a bookkeeping statement, fastappkit::Error. The runner then runs
    // the migrations before this one again and this one alone, which names the statement.
    // PostgreSQL sends it in one round trip.
    virtual void execute_batched(std::string_view section, int first_line,
                                 const std::vector<std::string>& bookkeeping) {
        execute(section, first_line);
        execute_bookkeeping(bookkeeping);
    }

    // True when lock_history() keeps every other runner off the history until it is released
    // (PostgreSQL's advisory lock), so that heads read under it cannot move; false when runners
    // serialise per transaction only (SQLite).
    virtual bool history_lock_is_exclusive() const { return false; }
    // An SQL expression for the milliseconds since the database received the current
    // statement batch, for a history row sent together with its section; empty when the
    // backend has none.
    virtual std::string batch_elapsed_ms_sql() const { return {}; }
    // One migration's transactional part in one transaction limited by `timeouts`, fenced
    // (fence()) on `version_table`, committed: `section` (as execute() runs it, `first_line`
    // likewise), then each of `bookkeeping`. Returns false, having changed nothing, when the
    // version rows read under the fence are not `expected_heads` (another runner moved them:
    // plan again). Throws StatementError naming a failing statement of the section
    // (lock_not_available set when the lock timeout ran out), fastappkit::Error when a
    // bookkeeping statement fails. Called outside any transaction. PostgreSQL sends it all,
    // fence and COMMIT included, in one round trip. (Arguments by reference: the PostgreSQL
    // plugin's exceptions unwind through the runner's call, which must then hold no temporary
    // to destroy; see db/plugin_abi.h.)
    virtual bool execute_transaction(std::string_view section, int first_line,
                                     const std::vector<std::string>& bookkeeping,
                                     const Timeouts& timeouts, const std::string& version_table,
                                     const std::vector<std::string>& expected_heads) {
        auto transaction = begin();
        limit_transaction(timeouts);
        fence(version_table);
        std::vector<std::string> heads = read_versions(version_table);
        std::vector<std::string> expected = expected_heads;
        std::sort(heads.begin(), heads.end());
        std::sort(expected.begin(), expected.end());
        if (heads != expected) return false;  // rolled back
        execute(section, first_line);
        execute_bookkeeping(bookkeeping);
        transaction->commit();
        return true;
    }

    // Runs one statement and returns its rows, every value as text and NULL as nullopt, in
    // the current transaction if one is open. For schema introspection (autogen/), so that it
    // is ordinary SQL. Throws fastappkit::Error (failure) naming the database.
    virtual std::vector<std::vector<std::optional<std::string>>> query(std::string_view sql) = 0;

    // Lock and statement timeouts (docs/safety.md) for the rest of the open transaction
    // (PostgreSQL: SET LOCAL). Backends without such settings (SQLite) ignore them.
    virtual void limit_transaction(const Timeouts& timeouts) = 0;
    // Why this connection cannot run a transaction:false section at all (a PostgreSQL schema
    // target reached through what may be a pooler), as the end of a sentence; empty when it
    // can. The runner asks before it touches anything.
    virtual std::string outside_transaction_refusal() const { return {}; }
    // Runs a transaction:false section (execute(), outside any transaction) limited by
    // `timeouts` where that leaves no setting behind on a pooled connection: PostgreSQL applies
    // them on a direct connection only (OpenOptions::direct_url, or the advisory lock, which
    // needs one) and otherwise runs without them, saying so once through on_warning. Calls
    // `completed` (when set) after each statement, between statements, so that it may use
    // this database (its transaction:false mark records how far the section got).
    virtual void execute_outside_transaction(std::string_view sql, int first_line,
                                             const Timeouts& timeouts,
                                             const StatementCompleted& completed) = 0;

protected:
    // The runner's own statements after a migration's section (version rows, history row). A
    // failure is no error of the migration's file, so it names the database, not a line.
    void execute_bookkeeping(const std::vector<std::string>& bookkeeping) {
        for (const auto& statement : bookkeeping) {
            try {
                execute(statement);
            } catch (const StatementError& error) {
                throw failure(display_url() + ": " + error.message + ".");
            }
        }
    }
};

// False when the dialect has no lock or statement timeouts to apply (SQLite).
bool applies_timeouts(Dialect dialect);

std::unique_ptr<Database> open_database(const DatabaseUrl& url, const OpenOptions& options);

}  // namespace fastappkit
