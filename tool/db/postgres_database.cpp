// The PostgreSQL backend (docs/databases.md), written to the libpqxx 6.4 API.
//
// A connection holds one pqxx::nontransaction for its whole life, and transactions are plain
// BEGIN / COMMIT / ROLLBACK statements sent through it. libpqxx allows one transaction object
// per connection at a time, and execute() must run inside the open transaction when begin()
// made one but in autocommit otherwise (transaction:false sections, CREATE INDEX CONCURRENTLY).
// With pqxx::work objects every query would first have to find "the current transaction
// object"; with one nontransaction every query takes the same path and the server itself
// keeps the transaction state.
#include "db/postgres_database.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "common/error.h"
#include "common/error_reason.h"
#include "config/database_url.h"
#include "db/schema_sql.h"
#include "script/sql_splitter.h"

namespace fastappkit {
namespace {

using Clock = std::chrono::steady_clock;

// First key of every fastappkit advisory lock (ASCII "fapk"). The two-int4 key form has its
// own key space, apart from the single-bigint locks applications usually take.
constexpr int lock_namespace = 0x6661706b;
constexpr std::chrono::milliseconds lock_poll_interval{200};

// fastappkit_history has no id column (both backends hold the same rows), so read_log()
// orders the rows without one: applied_at is fixed-width ISO 8601 UTC, so it sorts by time as
// text. Rows written within one clock tick are ordered by the transaction that inserted them
// (xmin): each history row is written in its migration's own transaction, and runners on one
// history take turns under the advisory lock, so a later migration always has a later
// transaction id. (Transaction ids wrap around only after billions of transactions, which never
// happens within one tick.)
constexpr const char* read_history_sql =
    "SELECT {} FROM {} WHERE version_table = {} ORDER BY applied_at, xmin::text::bigint";

// libpq's and the server's messages ("ERROR:  relation \"x\" does not exist\nLINE 1: …")
// reduced to their first line, without severity prefix or final period, to end a sentence.
std::string server_message(const std::string& message) {
    std::string line = message.substr(0, message.find('\n'));
    for (std::string_view prefix : {"ERROR:  ", "FATAL:  "}) {
        auto at = line.find(prefix);
        if (at != std::string::npos) line.erase(at, prefix.size());
    }
    while (!line.empty() &&
           (std::isspace(static_cast<unsigned char>(line.back())) || line.back() == '.'))
        line.pop_back();
    return line;
}

std::unique_ptr<pqxx::connection> connect(const DatabaseUrl& url) {
    try {
        // Sessions name themselves (pg_stat_activity) unless the URL's application_name does.
        return std::make_unique<pqxx::connection>(url.libpq_conninfo() +
                                                  " fallback_application_name=fastappkit");
    } catch (const pqxx::failure& error) {
        throw failure(fmt::format("Cannot connect to {}: {}.", url.masked(),
                                  mask_passwords(server_message(error.what()))));
    }
}

class PostgresDatabase final : public Database {
public:
    PostgresDatabase(const DatabaseUrl& url, const OpenOptions& options);

    Dialect dialect() const override { return Dialect::postgresql; }
    std::string display_url() const override { return url_.masked(); }

    bool has_table(const std::string& table) override;
    std::vector<std::string> read_versions(const std::string& version_table) override;
    std::vector<LogEntry> read_log(const std::string& version_table) override;
    void ensure_history_table() override;
    void ensure_table(const std::string& table, const std::string& create_sql) override;
    bool has_column(const std::string& table, const std::string& column) override;
    void ensure_column(const std::string& table, const std::string& column,
                       const std::string& definition) override;
    void interrupt() noexcept override;
    std::unique_ptr<HistoryLock> lock_history(const std::string& version_table) override;
    std::unique_ptr<Transaction> begin() override;
    std::unique_ptr<HistoryLock> wait_for_history(const std::string& version_table) override;
    std::unique_ptr<Transaction> begin_snapshot() override;
    void fence(const std::string& version_table) override;
    std::string fence_check_sql(const std::string& version_table) override;
    void execute(std::string_view sql, int first_line) override;
    void savepoint(const std::string& name) override;
    void rollback_to_savepoint(const std::string& name) override;
    void release_savepoint(const std::string& name) override;
    void execute_in_savepoint(std::string_view section, int first_line,
                              const std::vector<std::string>& bookkeeping,
                              const std::string& name) override;
    void execute_batched(std::string_view section, int first_line,
                         const std::vector<std::string>& bookkeeping) override;
    bool make_writable() override;
    bool history_lock_is_exclusive() const override { return true; }
    std::string batch_elapsed_ms_sql() const override {
        return "(extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::integer";
    }
    bool execute_transaction(std::string_view section, int first_line,
                             const std::vector<std::string>& bookkeeping, const Timeouts& timeouts,
                             const std::string& version_table,
                             const std::vector<std::string>& expected_heads) override;

    // Runs one statement; pqxx::sql_error passes through, a lost connection is a failure.
    pqxx::result run(const std::string& sql);
    std::vector<std::vector<std::optional<std::string>>> query(std::string_view sql) override;
    void limit_transaction(const Timeouts& timeouts) override;
    void execute_outside_transaction(std::string_view sql, int first_line, const Timeouts& timeouts,
                                     const StatementCompleted& completed) override;
    ~PostgresDatabase() override;

    // run() for the backend's own queries, whose errors are failures naming the database.
    pqxx::result own_query(const std::string& sql);
    // For destructors: runs `sql` unless the connection is gone, and never throws.
    void run_quietly(const std::string& sql) noexcept;
    void commit();
    void rollback_quietly() noexcept;

    const DatabaseUrl& url() const { return url_; }
    // `sql` in a transaction of its own with the URL's schema (?schema=) first in the
    // search_path; `sql` itself when the URL names no schema.
    std::string in_schema(const std::string& sql) const {
        return search_path_.empty() ? sql : "BEGIN; " + search_path_ + "; " + sql + "; COMMIT";
    }
    // A transaction:false section runs outside any transaction, where the schema could only be
    // a session setting: refused on a connection that may be pooled.
    std::string outside_transaction_refusal() const override;
    const OpenOptions& options() const { return options_; }
    pqxx::connection& connection() { return *connection_; }
    // The lease this runner holds on `version_table` (fastappkit_lock), if any.
    struct Lease {
        std::string owner;
        long long token = 0;
    };
    void hold_lease(const std::string& version_table, Lease lease) {
        leases_[version_table] = std::move(lease);
    }
    void drop_lease(const std::string& version_table) { leases_.erase(version_table); }

private:
    int history_lock_key(const std::string& version_table);
    bool try_lock(int key);
    std::unique_ptr<HistoryLock> lock_with_advisory(const std::string& version_table);
    std::unique_ptr<HistoryLock> lock_with_lease(const std::string& version_table);
    // SQL that counts this runner's valid lease on `version_table` (1 or 0).
    std::string lease_held_sql(const std::string& version_table, const Lease& lease);
    [[noreturn]] void lease_lost(const std::string& version_table);
    LockMode lock_mode() const;
    // execute_outside_transaction() for a URL naming a schema, on a direct connection: the
    // search_path (and the timeouts) as session settings, reset afterwards.
    void execute_in_session_schema(std::string_view sql, int first_line, const Timeouts& timeouts,
                                   const StatementCompleted& completed);
    // execute(), calling `completed` (when set) after each statement.
    void execute_statements(std::string_view sql, int first_line,
                            const StatementCompleted& completed);
    PostgresDatabase& direct_connection();
    // Read-only connections read in a READ ONLY transaction, begun on the first query.
    void begin_read_only_if_needed();

    DatabaseUrl url_;
    OpenOptions options_;
    std::unique_ptr<pqxx::connection> connection_;
    pqxx::nontransaction session_;  // destroyed before connection_
    bool in_transaction_ = false;
    bool in_read_only_transaction_ = false;
    bool transaction_failed_ = false;  // a statement failed since BEGIN
    bool warned_no_timeouts_ = false;
    // SET LOCAL search_path for the URL's ?schema=, sent at the start of every transaction
    // (statements outside one get a transaction of their own); empty without a schema.
    std::string search_path_;
    std::string schema_;                // the schema, quoted
    bool session_search_path_ = false;  // SET for a transaction:false section (direct only)
    std::string fenced_table_;          // the version table of the last fence()
    std::map<std::string, Lease> leases_;
    std::unique_ptr<PostgresDatabase> direct_;  // OpenOptions::direct_url, opened on first use
    // direct_ as interrupt() reads it, from the watcher thread: published once opened (only the
    // runner's thread writes direct_), and it lives as long as this database.
    std::atomic<PostgresDatabase*> direct_published_{nullptr};
    std::atomic<bool> interrupted_{false};
    std::atomic<bool> in_statement_{false};  // run() is waiting for the server
};

class PostgresTransaction final : public Transaction {
public:
    explicit PostgresTransaction(PostgresDatabase& database) : database_(database) {}
    ~PostgresTransaction() override {
        if (!finished_) database_.rollback_quietly();
    }
    PostgresTransaction(const PostgresTransaction&) = delete;
    PostgresTransaction& operator=(const PostgresTransaction&) = delete;

    void commit() override {
        finished_ = true;  // a failed COMMIT ends the transaction too
        database_.commit();
    }
    // A COMMIT sent by other means succeeded.
    void committed() { finished_ = true; }
    void rollback() noexcept {
        finished_ = true;
        database_.rollback_quietly();
    }

private:
    PostgresDatabase& database_;
    bool finished_ = false;
};

// Must not outlive its database (the runner drops locks before databases).
class PostgresHistoryLock final : public HistoryLock {
public:
    PostgresHistoryLock(PostgresDatabase& database, int key) : database_(database), key_(key) {}
    // Should the unlock fail (say, inside an aborted transaction), the lock still ends with
    // the session when the database is closed.
    ~PostgresHistoryLock() override {
        database_.run_quietly(
            fmt::format("SELECT pg_advisory_unlock({}, {})", lock_namespace, key_));
    }
    PostgresHistoryLock(const PostgresHistoryLock&) = delete;
    PostgresHistoryLock& operator=(const PostgresHistoryLock&) = delete;

private:
    PostgresDatabase& database_;
    int key_;
};

// fastappkit_lock: one lease row per version table (and schema). A row is never deleted: a
// released lease has expired, and its token only grows, so that a runner that lost its lease
// can never mistake a later lease for its own.
constexpr const char* create_lock_table_sql =
    "CREATE TABLE IF NOT EXISTS fastappkit_lock (\n"
    "    version_table VARCHAR(64) NOT NULL,\n"
    "    owner VARCHAR(160) NOT NULL,\n"
    "    token BIGINT NOT NULL,\n"
    "    expires_at TIMESTAMPTZ NOT NULL,\n"
    "    backend_pid INTEGER,\n"
    "    CONSTRAINT fastappkit_lock_pkc PRIMARY KEY (version_table)\n)";
// How every fence_check_sql() starts: a division by zero in such a statement is a lost lease.
constexpr std::string_view kLeaseCheckStart =
    "SELECT 1 / (SELECT count(*) FROM (SELECT 1 FROM fastappkit_lock ";

std::string interval_sql(std::chrono::milliseconds value) {
    return fmt::format("interval '{} milliseconds'", value.count());
}

// A name no other runner, in this process or another, can have.
std::string new_lease_owner() {
    char host[64] = {};
    if (gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "unknown");
    std::random_device random;
    const unsigned long long nonce = (static_cast<unsigned long long>(random()) << 32) ^
                                     static_cast<unsigned long long>(random());
    return fmt::format("{}:{}:{:016x}", host, static_cast<long>(getpid()), nonce);
}

// Holds a lease and renews it every third of its lifetime from a thread of its own, on a
// connection of its own (the runner's may be busy with a long statement), opened only once a
// run outlasts the first third: short runs cost no second session.
class PostgresLease final : public HistoryLock {
public:
    PostgresLease(PostgresDatabase& database, std::string version_table,
                  PostgresDatabase::Lease lease)
        : database_(database),
          version_table_(std::move(version_table)),
          lease_(std::move(lease)),
          renew_sql_(database.in_schema(fmt::format(
              "UPDATE fastappkit_lock SET expires_at = clock_timestamp() + {}, backend_pid = "
              "pg_backend_pid() WHERE version_table = {} AND owner = {} AND token = {} AND "
              "expires_at > clock_timestamp()",
              interval_sql(database.options().lock_ttl),
              database.connection().quote(version_table_),
              database.connection().quote(lease_.owner), lease_.token))),
          release_sql_(database.in_schema(fmt::format(
              "UPDATE fastappkit_lock SET expires_at = '-infinity' WHERE version_table = {} AND "
              "owner = {} AND token = {}",
              database.connection().quote(version_table_),
              database.connection().quote(lease_.owner), lease_.token))),
          renewer_([this] { renew_until_released(); }) {
        database_.hold_lease(version_table_, lease_);
    }
    ~PostgresLease() override {
        {
            std::lock_guard<std::mutex> guard(mutex_);
            released_ = true;
        }
        wake_.notify_all();
        renewer_.join();
        database_.drop_lease(version_table_);
        database_.run_quietly(release_sql_);  // built beforehand: nothing here may throw
    }
    PostgresLease(const PostgresLease&) = delete;
    PostgresLease& operator=(const PostgresLease&) = delete;

private:
    void renew_until_released() noexcept {
        const auto period = std::max<std::chrono::milliseconds>(database_.options().lock_ttl / 3,
                                                                std::chrono::milliseconds(10));
        std::unique_ptr<pqxx::connection> connection;
        std::unique_lock<std::mutex> lock(mutex_);
        while (!wake_.wait_for(lock, period, [this] { return released_; })) {
            lock.unlock();
            try {
                if (!connection) connection = connect(database_.url());
                pqxx::nontransaction renewal(*connection);
                renewal.exec(renew_sql_);
            } catch (...) {
                connection.reset();  // try again at the next period; the fence decides
            }
            lock.lock();
        }
    }

    PostgresDatabase& database_;
    std::string version_table_;
    PostgresDatabase::Lease lease_;
    std::string renew_sql_;
    std::string release_sql_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool released_ = false;
    std::thread renewer_;  // last: started once everything above is ready
};

void PostgresDatabase::limit_transaction(const Timeouts& timeouts) {
    for (const auto& sql : timeout_sql(Dialect::postgresql, timeouts, true)) own_query(sql);
}

// A pooled server connection goes on to serve other clients: a session-level SET would stay
// there. Timeouts around a section that cannot run in a transaction are therefore set only on
// a connection known to be direct, and reset after it.
std::string PostgresDatabase::outside_transaction_refusal() const {
    if (schema_.empty() || options_.direct_url || lock_mode() == LockMode::advisory) return {};
    return fmt::format(
        "it would need the search_path of schema {} as a session setting on {}, which a "
        "connection pooler passes on to other clients; set DATABASE_DIRECT_URL (or direct_url) "
        "to a direct connection, or use lock = \"advisory\" on a direct connection",
        schema_, display_url());
}

void PostgresDatabase::execute_outside_transaction(std::string_view sql, int first_line,
                                                   const Timeouts& timeouts,
                                                   const StatementCompleted& completed) {
    if (!schema_.empty()) return execute_in_session_schema(sql, first_line, timeouts, completed);
    if (!timeouts.any()) return execute_statements(sql, first_line, completed);
    PostgresDatabase* target = nullptr;
    if (options_.direct_url) {
        target = &direct_connection();
    } else if (lock_mode() == LockMode::advisory) {
        target = this;  // the session lock already needs a direct connection
    }
    if (!target) {
        if (!warned_no_timeouts_ && options_.on_warning) {
            options_.on_warning(fmt::format(
                "Warning: a transaction:false section runs without its lock_timeout/"
                "statement_timeout on {}: outside a transaction they would be session settings, "
                "which a connection pooler passes on to other clients; set DATABASE_DIRECT_URL "
                "(or direct_url) to a direct connection to apply them there",
                display_url()));
        }
        warned_no_timeouts_ = true;
        return execute_statements(sql, first_line, completed);
    }
    for (const auto& statement : timeout_sql(Dialect::postgresql, timeouts, false))
        target->own_query(statement);
    struct Reset {
        PostgresDatabase& database;
        ~Reset() {
            database.run_quietly("RESET lock_timeout");
            database.run_quietly("RESET statement_timeout");
        }
    } reset{*target};
    target->execute_statements(sql, first_line, completed);
}

PostgresDatabase& PostgresDatabase::direct_connection() {
    if (!direct_) {
        OpenOptions direct;
        direct.lock_mode = LockMode::advisory;  // a direct connection by definition
        direct_ = std::make_unique<PostgresDatabase>(*options_.direct_url, direct);
        direct_published_.store(direct_.get());
        // An interruption that came while it was opening stops its first statement too.
        if (interrupted_.load()) direct_->interrupt();
    }
    return *direct_;
}

void PostgresDatabase::execute_in_session_schema(std::string_view sql, int first_line,
                                                 const Timeouts& timeouts,
                                                 const StatementCompleted& completed) {
    if (const std::string refusal = outside_transaction_refusal(); !refusal.empty())
        throw usage_error("A transaction:false section cannot run here: " + refusal);
    PostgresDatabase& target = options_.direct_url ? direct_connection() : *this;
    target.own_query("SET search_path TO " + schema_);
    for (const auto& statement : timeout_sql(Dialect::postgresql, timeouts, false))
        target.own_query(statement);
    struct Reset {
        PostgresDatabase& database;
        ~Reset() {
            database.session_search_path_ = false;
            database.run_quietly("RESET search_path");
            database.run_quietly("RESET lock_timeout");
            database.run_quietly("RESET statement_timeout");
        }
    } reset{target};
    target.session_search_path_ = true;
    target.execute_statements(sql, first_line, completed);
}

LockMode PostgresDatabase::lock_mode() const {
    for (const auto& [key, value] : url_.params) {
        if (key != "fastappkit_lock") continue;
        if (value == "advisory") return LockMode::advisory;
        if (value == "table") return LockMode::table;
        return LockMode::automatic;  // "auto"; the URL parser refused anything else
    }
    return options_.lock_mode;
}

PostgresDatabase::PostgresDatabase(const DatabaseUrl& url, const OpenOptions& options)
    : url_(url), options_(options), connection_(connect(url)), session_(*connection_) {
    for (const auto& [key, value] : url_.params) {
        if (key != "schema") continue;
        schema_ = connection_->quote_name(value);
        search_path_ = "SET LOCAL search_path TO " + schema_;
    }
    // Nothing is SET on the session: behind a pooler it would outlive this runner (read-only
    // work runs in a READ ONLY transaction instead, see run()). libpqxx passes notices to no
    // one unless asked, so IF NOT EXISTS and the like print nothing.
}

PostgresDatabase::~PostgresDatabase() {
    if (in_read_only_transaction_) run_quietly("COMMIT");
}

// The open READ ONLY transaction ends; from here on statements run as a writable connection's.
bool PostgresDatabase::make_writable() {
    if (in_transaction_)
        throw failure(fmt::format("A transaction is already open on {}.", display_url()));
    if (in_read_only_transaction_) {
        in_read_only_transaction_ = false;
        own_query("COMMIT");
    }
    options_.read_only = false;
    return true;
}

void PostgresDatabase::begin_read_only_if_needed() {
    if (!options_.read_only || in_transaction_ || in_read_only_transaction_) return;
    // The server then refuses any write, whatever the runner or a migration asks for.
    session_.exec(search_path_.empty() ? "BEGIN READ ONLY" : "BEGIN READ ONLY; " + search_path_);
    in_read_only_transaction_ = true;
}

pqxx::result PostgresDatabase::run(const std::string& sql) {
    // libpqxx 6 silently reconnects a broken connection on the next query, which would drop
    // the session's advisory lock unnoticed: a lost connection ends this database's work.
    // (libpqxx's own message then says little more, e.g. "Could not obtain client encoding".)
    auto lost = [&] { return failure(fmt::format("Lost the connection to {}.", display_url())); };
    if (!connection_->is_open()) throw lost();
    if (interrupted_.load())
        throw failure(fmt::format("Interrupted while working on {}.", display_url()));
    struct InStatement {
        std::atomic<bool>& flag;
        explicit InStatement(std::atomic<bool>& f) : flag(f) { flag.store(true); }
        ~InStatement() { flag.store(false); }
    } in_statement(in_statement_);
    // A statement outside any transaction gets one of its own, for the schema's search_path.
    const bool own_transaction =
        !search_path_.empty() && !options_.read_only && !in_transaction_ && !session_search_path_;
    try {
        begin_read_only_if_needed();
        if (!own_transaction) return session_.exec(sql);
        pqxx::result result = session_.exec("BEGIN; " + search_path_ + "; " + sql);
        session_.exec("COMMIT");
        return result;
    } catch (const pqxx::sql_error& error) {
        if (own_transaction) run_quietly("ROLLBACK");
        if (in_transaction_) transaction_failed_ = true;  // the server aborted it
        if (in_read_only_transaction_) {
            in_read_only_transaction_ = false;
            run_quietly("ROLLBACK");
        }
        if (error.sqlstate() == "22012" &&
            sql.compare(0, kLeaseCheckStart.size(), kLeaseCheckStart) == 0)
            lease_lost(fenced_table_);
        throw;
    } catch (const pqxx::broken_connection&) {
        throw lost();
    }
}

pqxx::result PostgresDatabase::own_query(const std::string& sql) {
    try {
        return run(sql);
    } catch (const pqxx::sql_error& error) {
        throw failure(fmt::format("{}: {}.", display_url(), server_message(error.what())));
    }
}

std::vector<std::vector<std::optional<std::string>>> PostgresDatabase::query(std::string_view sql) {
    std::vector<std::vector<std::optional<std::string>>> rows;
    for (const auto& result_row : own_query(std::string(sql))) {
        auto& row = rows.emplace_back();
        for (const auto& field : result_row) {
            if (field.is_null()) {
                row.emplace_back(std::nullopt);
            } else {
                row.emplace_back(field.c_str());
            }
        }
    }
    return rows;
}

void PostgresDatabase::run_quietly(const std::string& sql) noexcept {
    try {
        if (connection_->is_open()) session_.exec(sql);
    } catch (...) {
    }
}

// Tables and views of the current schema (not indexes or sequences).
bool PostgresDatabase::has_table(const std::string& table) {
    pqxx::result result =
        own_query(fmt::format("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c "
                              "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                              "WHERE n.nspname = current_schema() AND c.relname = {} "
                              "AND c.relkind IN ('r', 'p', 'v', 'm', 'f'))",
                              connection_->quote(table)));
    return result[0][0].as<bool>();
}

bool PostgresDatabase::has_column(const std::string& table, const std::string& column) {
    pqxx::result result = own_query(
        fmt::format("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a "
                    "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
                    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = current_schema() AND c.relname = {} AND a.attname = {} "
                    "AND a.attnum > 0 AND NOT a.attisdropped)",
                    connection_->quote(table), connection_->quote(column)));
    return result[0][0].as<bool>();
}

// IF NOT EXISTS: a runner whose ALTER TABLE waited for another's finds the column there then.
void PostgresDatabase::ensure_column(const std::string& table, const std::string& column,
                                     const std::string& definition) {
    if (options_.read_only || has_column(table, column)) return;
    own_query(
        fmt::format("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}", table, column, definition));
}

std::vector<std::string> PostgresDatabase::read_versions(const std::string& version_table) {
    std::vector<std::string> versions;
    if (!has_table(version_table)) return versions;
    auto sql = fmt::format("SELECT version_num FROM {}", connection_->quote_name(version_table));
    for (const auto& row : own_query(sql)) versions.push_back(row[0].as<std::string>());
    return versions;
}

std::vector<LogEntry> PostgresDatabase::read_log(const std::string& version_table) {
    std::vector<LogEntry> rows;
    if (!has_table(kHistoryTable)) return rows;
    auto sql = fmt::format(read_history_sql, kHistoryColumns, kHistoryTable,
                           connection_->quote(version_table));
    for (const auto& row : own_query(sql)) {
        rows.push_back(LogEntry{row[0].as<std::string>(), row[1].as<std::string>(),
                                  row[2].as<std::string>(), row[3].as<std::string>(),
                                  row[4].as<std::string>(), row[5].as<long long>()});
    }
    return rows;
}

void PostgresDatabase::ensure_history_table() {
    ensure_table(kHistoryTable, create_history_table_sql());
}

// Runners racing to create a table: CREATE TABLE IF NOT EXISTS can still fail with a unique
// violation on pg_type, or "already exists", when another runner's CREATE commits first; the
// table is then there. No advisory lock here: servers without them must work too.
void PostgresDatabase::ensure_table(const std::string& table, const std::string& create_sql) {
    if (options_.read_only || has_table(table)) return;
    if (in_transaction_) {
        own_query(create_sql);  // under the caller's lock
        return;
    }
    for (int attempt = 0;; ++attempt) {
        auto own = begin();
        try {
            run(create_sql);
            own->commit();
            return;
        } catch (const pqxx::sql_error& error) {
            own.reset();  // rolled back
            // unique_violation (pg_type's index), duplicate_table, duplicate_object ("type …
            // already exists"): whichever the server reports for the create that lost.
            const std::string state = error.sqlstate();
            const bool raced = state == "23505" || state == "42P07" || state == "42710";
            if (raced && has_table(table)) return;
            if (!raced || attempt >= 3)
                throw failure(fmt::format("{}: cannot create {}: {}.", display_url(), table,
                                          server_message(error.what())));
        }
    }
}

// From the watcher thread. libpq's cancel request is meant to be sent while another thread
// waits for the server; the watcher repeats it, so a statement that started just after an
// earlier request is stopped too.
void PostgresDatabase::interrupt() noexcept {
    interrupted_.store(true);
    if (PostgresDatabase* direct = direct_published_.load()) direct->interrupt();
    if (!in_statement_.load()) return;
    try {
        connection_->cancel_query();
    } catch (...) {
        // Nothing more to do: the statement then ends on its own, and nothing new starts.
    }
}

// One lock per version table per database and schema: different apps migrate in parallel.
int PostgresDatabase::history_lock_key(const std::string& version_table) {
    auto sql = fmt::format(
        "SELECT hashtext('fastappkit:' || current_database() || ':' || "
        "coalesce(current_schema(), '') || ':' || {})",
        connection_->quote(version_table));
    return own_query(sql)[0][0].as<int>();
}

bool PostgresDatabase::try_lock(int key) {
    auto sql = fmt::format("SELECT pg_try_advisory_lock({}, {})", lock_namespace, key);
    return own_query(sql)[0][0].as<bool>();
}

std::unique_ptr<HistoryLock> PostgresDatabase::lock_history(const std::string& version_table) {
    return lock_mode() == LockMode::advisory ? lock_with_advisory(version_table)
                                             : lock_with_lease(version_table);
}

// Both locks poll instead of blocking: a blocked waiter would sit in a statement whose
// snapshot a CREATE INDEX CONCURRENTLY of the lock's holder waits for.
template <typename TryLock>
void poll_lock(const OpenOptions& options, const std::atomic<bool>& interrupted,
               const std::string& display_url, const std::string& version_table,
               TryLock&& try_lock) {
    auto deadline = Clock::now() + options.lock_timeout;
    bool waiting = false;
    while (!try_lock()) {
        if (interrupted.load())
            throw failure(fmt::format("Interrupted while working on {}.", display_url));
        if (!waiting && options.on_wait)
            options.on_wait(fmt::format(
                "Waiting for another fastappkit runner holding the migration lock on {}...",
                version_table));
        waiting = true;
        auto now = Clock::now();
        if (now >= deadline) {
            std::chrono::duration<double> seconds = options.lock_timeout;
            throw with_reason(ErrorReason::lock_timeout,
                              failure(fmt::format("Timed out after {:g} s waiting for the "
                                                  "migration lock on {}; another runner may be "
                                                  "stuck.",
                                                  seconds.count(), version_table)));
        }
        std::this_thread::sleep_for(std::min<Clock::duration>(lock_poll_interval, deadline - now));
    }
}

std::unique_ptr<HistoryLock> PostgresDatabase::lock_with_advisory(
    const std::string& version_table) {
    int key = 0;
    try {
        key = history_lock_key(version_table);
        poll_lock(options_, interrupted_, display_url(), version_table,
                  [&] { return try_lock(key); });
    } catch (const Error& error) {
        if (std::strstr(error.what(), "permission denied") ||
            std::strstr(error.what(), "does not exist") ||
            std::strstr(error.what(), "not implemented") ||
            std::strstr(error.what(), "unknown function")) {
            throw failure(fmt::format(
                "{}: lock = \"advisory\" needs pg_try_advisory_lock, which {} refused ({}); use "
                "lock = \"table\" or \"auto\" in [tool.fastappkit.migration] (or the URL parameter "
                "fastappkit_lock=table)",
                version_table, display_url(), error.what()));
        }
        throw;
    }
    return std::make_unique<PostgresHistoryLock>(*this, key);
}

// Takes the lease when it is free, expired, or its holder's session is gone (a killed runner
// on a direct connection; behind a pooler the server session outlives it, and the lease
// expires instead).
std::unique_ptr<HistoryLock> PostgresDatabase::lock_with_lease(const std::string& version_table) {
    ensure_table(kLockTable, create_lock_table_sql);
    Lease lease{new_lease_owner(), 0};
    const std::string take = fmt::format(
        "INSERT INTO fastappkit_lock AS l (version_table, owner, token, expires_at, backend_pid) "
        "VALUES ({0}, {1}, 1, clock_timestamp() + {2}, pg_backend_pid()) "
        "ON CONFLICT (version_table) DO UPDATE SET owner = excluded.owner, token = l.token + 1, "
        "expires_at = excluded.expires_at, backend_pid = excluded.backend_pid "
        "WHERE l.expires_at < clock_timestamp(){3} RETURNING token",
        connection_->quote(version_table), connection_->quote(lease.owner),
        interval_sql(options_.lock_ttl),
        " OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a WHERE a.pid = l.backend_pid)");
    const std::string take_after_expiry =
        take.substr(0, take.find(" OR NOT EXISTS")) + " RETURNING token";
    bool look_at_sessions = true;
    poll_lock(options_, interrupted_, display_url(), version_table, [&] {
        pqxx::result taken;
        try {
            taken = run(look_at_sessions ? take : take_after_expiry);
        } catch (const pqxx::sql_error& error) {
            if (!look_at_sessions)
                throw failure(fmt::format("{}: cannot take the migration lock on {}: {}.",
                                          display_url(), version_table,
                                          server_message(error.what())));
            look_at_sessions = false;  // no pg_stat_activity here: leases expire instead
            return false;
        }
        if (taken.empty()) return false;
        lease.token = taken[0][0].as<long long>();
        return true;
    });
    return std::make_unique<PostgresLease>(*this, version_table, lease);
}

std::string PostgresDatabase::lease_held_sql(const std::string& version_table, const Lease& lease) {
    return fmt::format(
        "SELECT count(*) FROM fastappkit_lock WHERE version_table = {} AND owner = {} AND "
        "token = {} AND expires_at > clock_timestamp()",
        connection_->quote(version_table), connection_->quote(lease.owner), lease.token);
}

void PostgresDatabase::lease_lost(const std::string& version_table) {
    throw failure(fmt::format(
        "{}: this runner lost its migration lock on {} (its lease in fastappkit_lock expired, "
        "say while the process was stopped, and another runner took it over); its current "
        "migration was rolled back and nothing more was written: check what the other runner "
        "did, then run the command again",
        version_table, display_url()));
}

void PostgresDatabase::fence(const std::string& version_table) {
    fenced_table_ = version_table;
    if (has_table(version_table)) {
        own_query(fmt::format("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE",
                              connection_->quote_name(version_table)));
    }
    const auto lease = leases_.find(version_table);
    if (lease != leases_.end() &&
        own_query(lease_held_sql(version_table, lease->second))[0][0].as<long long>() == 0) {
        lease_lost(version_table);
    }
}

// The lease row is read FOR SHARE: from here to COMMIT no other runner can take it over, and
// the division fails the transaction when this runner no longer holds it. No write: a lease
// check costs a row lock, not a row version.
std::string PostgresDatabase::fence_check_sql(const std::string& version_table) {
    const auto lease = leases_.find(version_table);
    if (lease == leases_.end()) return {};
    return fmt::format(
        "{}WHERE version_table = {} AND owner = {} AND token = {} AND expires_at > "
        "clock_timestamp() FOR SHARE) AS held) AS lease_held",
        kLeaseCheckStart, connection_->quote(version_table),
        connection_->quote(lease->second.owner), lease->second.token);
}

// The advisory lock is taken as a writer takes it (pg_try_advisory_lock writes nothing); a
// lease is a row to write, so a reader polls until no live lease is left instead.
std::unique_ptr<HistoryLock> PostgresDatabase::wait_for_history(const std::string& version_table) {
    if (lock_mode() == LockMode::advisory) return lock_with_advisory(version_table);
    if (has_table(kLockTable)) {
        const std::string live = fmt::format(
            "SELECT count(*) FROM fastappkit_lock WHERE version_table = {} AND expires_at > "
            "clock_timestamp()",
            connection_->quote(version_table));
        poll_lock(options_, interrupted_, display_url(), version_table,
                  [&] { return own_query(live)[0][0].as<long long>() == 0; });
    }
    struct NoLock : HistoryLock {};
    return std::make_unique<NoLock>();
}

std::unique_ptr<Transaction> PostgresDatabase::begin_snapshot() {
    if (in_transaction_)
        throw failure(fmt::format("A transaction is already open on {}.", display_url()));
    if (in_read_only_transaction_) {
        in_read_only_transaction_ = false;
        run_quietly("COMMIT");
    }
    in_transaction_ = true;  // before the first query, which would begin a READ ONLY one
    transaction_failed_ = false;
    try {
        own_query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" +
                  (search_path_.empty() ? std::string() : "; " + search_path_));
    } catch (...) {
        in_transaction_ = false;
        throw;
    }
    return std::make_unique<PostgresTransaction>(*this);
}

std::unique_ptr<Transaction> PostgresDatabase::begin() {
    if (in_transaction_)
        throw failure(fmt::format("A transaction is already open on {}.", display_url()));
    in_transaction_ = true;  // from here on, statements are not given a transaction of their own
    try {
        own_query(search_path_.empty() ? "BEGIN" : "BEGIN; " + search_path_);
    } catch (...) {
        in_transaction_ = false;
        throw;
    }
    transaction_failed_ = false;
    return std::make_unique<PostgresTransaction>(*this);
}

void PostgresDatabase::commit() {
    // The server would answer COMMIT of a transaction in which a statement failed with a
    // silent ROLLBACK; say so instead.
    if (transaction_failed_) {
        rollback_quietly();
        throw failure(fmt::format(
            "The transaction on {} was rolled back because one of its statements failed.",
            display_url()));
    }
    struct Ended {
        bool& flag;
        ~Ended() { flag = false; }  // a failed COMMIT ends the transaction too
    } ended{in_transaction_};
    own_query("COMMIT");
}

void PostgresDatabase::rollback_quietly() noexcept {
    in_transaction_ = false;
    run_quietly("ROLLBACK");
}

void PostgresDatabase::savepoint(const std::string& name) {
    own_query("SAVEPOINT " + connection_->quote_name(name));
}

// The transaction a failed statement aborted is usable again from here.
void PostgresDatabase::rollback_to_savepoint(const std::string& name) {
    own_query("ROLLBACK TO SAVEPOINT " + connection_->quote_name(name));
    transaction_failed_ = false;
}

void PostgresDatabase::release_savepoint(const std::string& name) {
    own_query("RELEASE SAVEPOINT " + connection_->quote_name(name));
}

// One round trip. Which statement failed is not looked for here: the transaction is lost, and
// the runner names it when it runs the migration again on its own.
void PostgresDatabase::execute_batched(std::string_view section, int first_line,
                                       const std::vector<std::string>& bookkeeping) {
    std::string batch(section);
    batch += "\n;\n";  // the section may end in a comment or without a semicolon
    for (const auto& statement : bookkeeping) batch += statement + ";\n";
    try {
        run(batch);
    } catch (const pqxx::sql_error& error) {
        StatementError failed(first_line, std::string(section), server_message(error.what()));
        failed.lock_not_available = error.sqlstate() == "55P03";
        throw failed;
    }
}

// One round trip: the savepoint, the section, the bookkeeping and the release as one simple
// query. When it fails, the work is undone to the savepoint and then run again statement by
// statement, and undone again, to name the failing statement and its line.
void PostgresDatabase::execute_in_savepoint(std::string_view section, int first_line,
                                            const std::vector<std::string>& bookkeeping,
                                            const std::string& name) {
    const std::string savepoint_name = connection_->quote_name(name);
    std::string batch = "SAVEPOINT " + savepoint_name + ";\n";
    batch += section;
    batch += "\n;\n";  // the section may end in a comment or without a semicolon
    for (const auto& statement : bookkeeping) batch += statement + ";\n";
    batch += "RELEASE SAVEPOINT " + savepoint_name;
    try {
        run(batch);
        return;
    } catch (const pqxx::sql_error& error) {
        rollback_to_savepoint(name);
        auto undo = [&] {
            rollback_to_savepoint(name);
            release_savepoint(name);
        };
        try {
            execute(section, first_line);
            for (const auto& statement : bookkeeping) own_query(statement);
        } catch (const StatementError&) {
            undo();
            throw;
        } catch (const Error&) {  // a bookkeeping statement: undone all the same
            undo();
            throw;
        }
        undo();
        // Statement by statement, nothing failed. A lock that was busy then may be free now:
        // still a lock timeout, so that the migration is tried again.
        if (error.sqlstate() == "55P03") {
            StatementError failed(first_line, std::string(section), server_message(error.what()));
            failed.lock_not_available = true;
            throw failed;
        }
        throw failure(fmt::format("{}: {}.", display_url(), server_message(error.what())));
    }
}

// Statement by statement, so that the failing one is known and statements that refuse to
// run in a transaction block (CREATE INDEX CONCURRENTLY) run in autocommit.
void PostgresDatabase::execute(std::string_view sql, int first_line) {
    execute_statements(sql, first_line, StatementCompleted());
}

void PostgresDatabase::execute_statements(std::string_view sql, int first_line,
                                          const StatementCompleted& completed) {
    const std::vector<Statement> statements = split_sql(sql);
    const int count = static_cast<int>(statements.size());
    auto line_of = [&](int index) {
        return first_line + from_first_code(statements[index]).line - 1;
    };
    for (int index = 0; index < count; ++index) {
        try {
            run(statements[index].text);
        } catch (const pqxx::sql_error& error) {
            const Statement code = from_first_code(statements[index]);
            StatementError failed(first_line + code.line - 1, code.text,
                                  server_message(error.what()));
            failed.lock_not_available = error.sqlstate() == "55P03";
            throw failed;
        }
        if (completed)
            completed(
                {index + 1, count, line_of(index), index + 1 < count ? line_of(index + 1) : 0});
    }
}

// One round trip: BEGIN, the timeouts, the section, the fenced bookkeeping and COMMIT as one
// simple query. Under a lease each version-row write is its own check: it runs as
//   WITH fenced AS (<write> RETURNING 1) SELECT 1 / count(*) FROM fenced
// so that it divides by zero unless it changed a row (a row another runner moved or deleted is
// not found again: a concurrent UPDATE waits for that runner's COMMIT and then re-reads the
// row), and the first one also multiplies by the count of this runner's unexpired lease row.
// A takeover that commits between that statement and COMMIT cannot make anything run twice:
// the new holder's own writes of these rows then change nothing and fail the same way, and an
// added head it would insert again collides with the primary key. Only one runner holds a
// valid lease at a time, so no one else can have moved the rows twice in between. Without a
// lease (the advisory lock, which a pooler can lose, so that any number of runners may be
// writing), LOCK TABLE first makes concurrent transactions on the history take turns, and a
// check before the bookkeeping compares the version rows with the planned ones.
// Should the query fail, the transaction is rolled back; when the lease was lost the runner
// stops, when the heads moved the step is planned again (whatever the section did was rolled
// back), else it runs again statement by statement (and is rolled back) to name the failing
// statement.
bool PostgresDatabase::execute_transaction(std::string_view section, int first_line,
                                           const std::vector<std::string>& bookkeeping,
                                           const Timeouts& timeouts,
                                           const std::string& version_table,
                                           const std::vector<std::string>& expected_heads) {
    if (in_transaction_)
        throw failure(fmt::format("A transaction is already open on {}.", display_url()));
    fenced_table_ = version_table;
    const std::string table = connection_->quote_name(version_table);
    auto expected = expected_heads;
    std::sort(expected.begin(), expected.end());
    std::vector<std::string> quoted;
    for (const auto& head : expected) quoted.push_back(connection_->quote(head));
    const auto lease = leases_.find(version_table);
    std::string batch = "BEGIN;\n";
    if (!search_path_.empty()) batch += search_path_ + ";\n";
    for (const auto& sql : timeout_sql(Dialect::postgresql, timeouts, true)) batch += sql + ";\n";
    if (lease == leases_.end()) {
        std::string check = fmt::format("SELECT 1 / (CASE WHEN count(*) = {}", expected.size());
        if (!expected.empty()) {
            check += fmt::format(" AND count(*) FILTER (WHERE version_num IN ({})) = {}",
                                 fmt::join(quoted, ", "), expected.size());
        }
        check += fmt::format(" THEN 1 ELSE 0 END) FROM {}", table);
        batch += fmt::format("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE;\n", table);
        batch += section;
        batch += "\n;\n";  // the section may end in a comment or without a semicolon
        batch += check + ";\n";
        for (const auto& statement : bookkeeping) batch += statement + ";\n";
    } else {
        batch += section;
        batch += "\n;\n";
        std::string lease_factor = fmt::format(
            " * (SELECT count(*) FROM fastappkit_lock WHERE version_table = {} AND owner = {} AND "
            "token = {} AND expires_at > clock_timestamp())",
            connection_->quote(version_table), connection_->quote(lease->second.owner),
            lease->second.token);
        for (const auto& statement : bookkeeping) {
            if (!writes_version_rows(statement, version_table)) {
                batch += statement + ";\n";
                continue;
            }
            batch += fmt::format(
                "WITH fenced AS ({} RETURNING 1) SELECT 1 / (count(*){}) FROM fenced;\n", statement,
                lease_factor);
            lease_factor.clear();
        }
        if (!lease_factor.empty()) {  // no version row written: the lease is checked alone
            batch += fmt::format("SELECT 1 / (1{});\n", lease_factor);
        }
    }
    batch += "COMMIT";
    in_transaction_ = true;
    transaction_failed_ = false;
    PostgresTransaction transaction(*this);  // rolls back unless committed
    try {
        run(batch);
        transaction.committed();
        in_transaction_ = false;
        return true;
    } catch (const pqxx::sql_error& error) {
        transaction.rollback();  // the failure left an aborted transaction block
        if (lease != leases_.end() &&
            own_query(lease_held_sql(version_table, lease->second))[0][0].as<long long>() == 0) {
            lease_lost(version_table);
        }
        auto heads = read_versions(version_table);
        std::sort(heads.begin(), heads.end());
        if (heads != expected) return false;  // another runner moved them: all rolled back
        {
            auto replay = begin();  // rolled back when it goes out of scope
            limit_transaction(timeouts);
            execute(section, first_line);
            for (const auto& statement : bookkeeping) own_query(statement);
        }
        // Statement by statement, nothing failed. A lock that was busy then may be free now:
        // still a lock timeout, so that the migration is tried again.
        if (error.sqlstate() == "55P03") {
            StatementError failed(first_line, std::string(section), server_message(error.what()));
            failed.lock_not_available = true;
            throw failed;
        }
        throw failure(fmt::format("{}: {}.", display_url(), server_message(error.what())));
    }
}

}  // namespace

std::unique_ptr<Database> open_postgres_database(const DatabaseUrl& url,
                                                 const OpenOptions& options) {
    return std::make_unique<PostgresDatabase>(url, options);
}

}  // namespace fastappkit
