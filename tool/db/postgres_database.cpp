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
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "common/error.h"
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

// fastappkit_history has no id column (both backends hold the same rows), so read_history()
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
        return std::make_unique<pqxx::connection>(url.libpq_conninfo());
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
    std::vector<HistoryRow> read_history(const std::string& version_table) override;
    void ensure_history_table() override;
    void ensure_table(const std::string& table, const std::string& create_sql) override;
    void interrupt() noexcept override;
    std::unique_ptr<HistoryLock> lock_history(const std::string& version_table) override;
    std::unique_ptr<Transaction> begin() override;
    void execute(std::string_view sql, int first_line) override;
    bool history_lock_is_exclusive() const override { return true; }
    std::string batch_elapsed_ms_sql() const override {
        return "(extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::integer";
    }
    void execute_transaction(std::string_view section, int first_line,
                             const std::vector<std::string>& bookkeeping,
                             const Timeouts& timeouts) override;

    // Runs one statement; pqxx::sql_error passes through, a lost connection is a failure.
    pqxx::result run(const std::string& sql);
    std::vector<std::vector<std::optional<std::string>>> query(std::string_view sql) override;
    void limit_transaction(const Timeouts& timeouts) override;
    std::unique_ptr<TimeoutScope> limit_session(const Timeouts& timeouts) override;

    // run() for the backend's own queries, whose errors are failures naming the database.
    pqxx::result own_query(const std::string& sql);
    // For destructors: runs `sql` unless the connection is gone, and never throws.
    void run_quietly(const std::string& sql) noexcept;
    void commit();
    void rollback_quietly() noexcept;

private:
    int history_lock_key(const std::string& version_table);
    bool try_lock(int key);

    DatabaseUrl url_;
    OpenOptions options_;
    std::unique_ptr<pqxx::connection> connection_;
    pqxx::nontransaction session_;  // destroyed before connection_
    bool in_transaction_ = false;
    bool transaction_failed_ = false;  // a statement failed since BEGIN
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

// SET statements for `timeouts`; `scope` is "LOCAL " or "".
std::vector<std::string> timeout_statements(const Timeouts& timeouts, const char* scope) {
    std::vector<std::string> statements;
    if (timeouts.lock_timeout) {
        statements.push_back(
            fmt::format("SET {}lock_timeout = '{}'", scope, duration_text(*timeouts.lock_timeout)));
    }
    if (timeouts.statement_timeout) {
        statements.push_back(fmt::format("SET {}statement_timeout = '{}'", scope,
                                         duration_text(*timeouts.statement_timeout)));
    }
    return statements;
}

// Session-level timeouts around a transaction:false section; the session's values before
// them come back afterwards.
class PostgresTimeoutScope final : public TimeoutScope {
public:
    PostgresTimeoutScope(PostgresDatabase& database, const Timeouts& timeouts)
        : database_(database) {
        for (const char* setting : {"lock_timeout", "statement_timeout"}) {
            const auto rows = database_.query(fmt::format("SELECT current_setting('{}')", setting));
            restore_.push_back(
                fmt::format("SET {} = '{}'", setting, rows.at(0).at(0).value_or("0")));
        }
        for (const auto& sql : timeout_statements(timeouts, "")) database_.query(sql);
    }
    ~PostgresTimeoutScope() override {
        for (const auto& sql : restore_) database_.run_quietly(sql);
    }
    PostgresTimeoutScope(const PostgresTimeoutScope&) = delete;
    PostgresTimeoutScope& operator=(const PostgresTimeoutScope&) = delete;

private:
    PostgresDatabase& database_;
    std::vector<std::string> restore_;
};

void PostgresDatabase::limit_transaction(const Timeouts& timeouts) {
    for (const auto& sql : timeout_statements(timeouts, "LOCAL ")) own_query(sql);
}

std::unique_ptr<TimeoutScope> PostgresDatabase::limit_session(const Timeouts& timeouts) {
    if (!timeouts.any()) return nullptr;
    return std::make_unique<PostgresTimeoutScope>(*this, timeouts);
}

PostgresDatabase::PostgresDatabase(const DatabaseUrl& url, const OpenOptions& options)
    : url_(url), options_(options), connection_(connect(url)), session_(*connection_) {
    own_query("SET client_min_messages = warning");  // no NOTICEs for IF NOT EXISTS and the like
    // The server then refuses any write, whatever the runner or a migration asks for.
    if (options_.read_only) own_query("SET default_transaction_read_only = on");
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
    try {
        return session_.exec(sql);
    } catch (const pqxx::sql_error&) {
        if (in_transaction_) transaction_failed_ = true;  // the server aborted it
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

std::vector<std::string> PostgresDatabase::read_versions(const std::string& version_table) {
    std::vector<std::string> versions;
    if (!has_table(version_table)) return versions;
    auto sql = fmt::format("SELECT version_num FROM {}", connection_->quote_name(version_table));
    for (const auto& row : own_query(sql)) versions.push_back(row[0].as<std::string>());
    return versions;
}

std::vector<HistoryRow> PostgresDatabase::read_history(const std::string& version_table) {
    std::vector<HistoryRow> rows;
    if (!has_table(kHistoryTable)) return rows;
    auto sql = fmt::format(read_history_sql, kHistoryColumns, kHistoryTable,
                           connection_->quote(version_table));
    for (const auto& row : own_query(sql)) {
        rows.push_back(HistoryRow{row[0].as<std::string>(), row[1].as<std::string>(),
                                  row[2].as<std::string>(), row[3].as<std::string>(),
                                  row[4].as<std::string>(), row[5].as<long long>()});
    }
    return rows;
}

void PostgresDatabase::ensure_history_table() {
    ensure_table(kHistoryTable, create_history_table_sql());
}

void PostgresDatabase::ensure_table(const std::string& table, const std::string& create_sql) {
    if (options_.read_only || has_table(table)) return;
    // Concurrent CREATE TABLE IF NOT EXISTS can fail with a unique violation on pg_type, so
    // runners creating the table take turns. Waiting here cannot deadlock: the holder only
    // creates this table and commits.
    std::unique_ptr<Transaction> own = in_transaction_ ? nullptr : begin();
    own_query(fmt::format("SELECT pg_advisory_xact_lock({}, hashtext({}))", lock_namespace,
                          connection_->quote(table)));
    own_query(create_sql);
    if (own) own->commit();
}

// From the watcher thread. libpq's cancel request is meant to be sent while another thread
// waits for the server; the watcher repeats it, so a statement that started just after an
// earlier request is stopped too.
void PostgresDatabase::interrupt() noexcept {
    interrupted_.store(true);
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

// Polls a try-lock instead of blocking in pg_advisory_lock: a blocked waiter would sit in a
// statement whose snapshot a CREATE INDEX CONCURRENTLY of the lock's holder waits for.
std::unique_ptr<HistoryLock> PostgresDatabase::lock_history(const std::string& version_table) {
    int key = history_lock_key(version_table);
    auto deadline = Clock::now() + options_.lock_timeout;
    bool waiting = false;
    while (!try_lock(key)) {
        if (interrupted_.load())
            throw failure(fmt::format("Interrupted while working on {}.", display_url()));
        if (!waiting && options_.on_wait)
            options_.on_wait(fmt::format(
                "Waiting for another fastappkit runner holding the migration lock on {}...",
                version_table));
        waiting = true;
        auto now = Clock::now();
        if (now >= deadline) {
            std::chrono::duration<double> seconds = options_.lock_timeout;
            throw failure(fmt::format(
                "Timed out after {:g} s waiting for the migration lock on {}; another runner "
                "may be stuck.",
                seconds.count(), version_table));
        }
        std::this_thread::sleep_for(std::min<Clock::duration>(lock_poll_interval, deadline - now));
    }
    return std::make_unique<PostgresHistoryLock>(*this, key);
}

std::unique_ptr<Transaction> PostgresDatabase::begin() {
    if (in_transaction_)
        throw failure(fmt::format("A transaction is already open on {}.", display_url()));
    own_query("BEGIN");
    in_transaction_ = true;
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
    in_transaction_ = false;
    own_query("COMMIT");
}

void PostgresDatabase::rollback_quietly() noexcept {
    in_transaction_ = false;
    run_quietly("ROLLBACK");
}

// Statement by statement, so that the failing one is known and statements that refuse to
// run in a transaction block (CREATE INDEX CONCURRENTLY) run in autocommit.
void PostgresDatabase::execute(std::string_view sql, int first_line) {
    for (const Statement& statement : split_sql(sql)) {
        try {
            run(statement.text);
        } catch (const pqxx::sql_error& error) {
            StatementError failed(first_line + statement.line - 1, statement.text,
                                  server_message(error.what()));
            failed.lock_not_available = error.sqlstate() == "55P03";
            throw failed;
        }
    }
}

// BEGIN, the timeouts, the section, the bookkeeping and COMMIT as one simple query: one round
// trip instead of one per statement. Should it fail, the transaction is rolled back and run
// again statement by statement (and rolled back) to name the failing statement.
void PostgresDatabase::execute_transaction(std::string_view section, int first_line,
                                           const std::vector<std::string>& bookkeeping,
                                           const Timeouts& timeouts) {
    if (in_transaction_)
        throw failure(fmt::format("A transaction is already open on {}.", display_url()));
    std::string batch = "BEGIN;\n";
    for (const auto& sql : timeout_statements(timeouts, "LOCAL ")) batch += sql + ";\n";
    batch += section;
    batch += "\n;\n";  // the section may end in a comment or without a semicolon
    for (const auto& statement : bookkeeping) batch += statement + ";\n";
    batch += "COMMIT";
    try {
        run(batch);
        return;
    } catch (const pqxx::sql_error& error) {
        rollback_quietly();  // BEGIN ran: the failure left an aborted transaction block
        {
            auto transaction = begin();  // rolled back when it goes out of scope
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
