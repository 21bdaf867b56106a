// A Database for the runner's PostgreSQL-only paths, without a server (as ninja tests its
// builder with a FakeCommandRunner): it answers as the PostgreSQL backend does (an exclusive
// history lock, history rows timed by the database, one call for a migration's whole
// transaction or for a step of a batch), keeps version rows and history rows in memory,
// records every call in order, and fails what a test scripts it to fail.
//
// It interprets only the statements the runner writes to its own tables (db/schema_sql.h,
// runner/sql_renderer.h, runner/unfinished_section.h); a migration's own SQL is recorded and
// otherwise does nothing. Another runner is played by changing the committed rows between two
// calls (before()).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"

namespace fastappkit::test_support {

class ScriptedDatabase : public Database {
public:
    // What a history row timed by the database says its migration took.
    static constexpr long long kDatabaseElapsedMs = 7;
    static constexpr int kAlways = -1;

    // One call of the interface, as the runner made it.
    struct Call {
        std::string name;    // the method: "execute", "execute_transaction", "begin", …
        std::string detail;  // the SQL passed (the section, for the execute_* calls), a table or
                             // a savepoint's name, the timeouts of limit_transaction
        // execute_transaction, execute_in_savepoint, execute_batched
        std::vector<std::string> bookkeeping;
        std::vector<std::string> expected_heads;  // execute_transaction
        Timeouts timeouts;                        // execute_transaction, limit_transaction
    };

    // The script. Committed version rows of `version_table` (the table created), as a
    // database that has run migrations before.
    void set_versions(const std::string& version_table, std::vector<std::string> rows);
    // Every statement containing `fragment` fails with the database's `message` the first
    // `times` times one runs (kAlways: every time), its line counted as PostgreSQL's backend
    // counts it: from the `first_line` the call was given.
    void fail(std::string fragment, std::string message, int times = kAlways);
    // The same as PostgreSQL fails it when the lock timeout runs out (SQLSTATE 55P03).
    void fail_with_lock_timeout(std::string fragment, int times = kAlways);
    // Runs `action` when the `n`th call (1-based) named `call` begins, before it reads or
    // writes anything.
    void before(std::string call, int n, std::function<void()> action);
    // Another runner's migration, committed: the version row `from` becomes `revision` (an
    // empty `from`: a row is added) and its history row is written. An open transaction sees
    // it too (PostgreSQL's read committed, once the fence stopped waiting for that runner).
    void apply_as_another_runner(const std::string& from, const std::string& revision,
                                 const std::string& version_table = "alembic_version");

    // What happened. Every call, reads included, in order.
    const std::vector<Call>& calls() const { return calls_; }
    // Every call but the reads, one line each: its name, then its detail's first line (a
    // history row's INSERT without the checksum, time and duration, which change every run).
    std::vector<std::string> trace() const;
    // The calls named `name`, in order.
    std::vector<Call> calls_named(const std::string& name) const;
    int count(const std::string& name) const;
    // The committed rows.
    std::vector<std::string> versions(const std::string& version_table = "alembic_version") const;
    // This version table's history rows as "upgrade a" lines, oldest first.
    std::vector<std::string> history(const std::string& version_table = "alembic_version") const;
    bool in_transaction() const { return working_.has_value(); }

    // The interface.
    Dialect dialect() const override { return Dialect::postgresql; }
    std::string display_url() const override { return "postgresql://scripted/app"; }
    bool has_table(const std::string& table) override;
    // The model's fastappkit_unfinished is an older fastappkit's: no progress columns, and
    // none added.
    bool has_column(const std::string&, const std::string&) override { return false; }
    void ensure_column(const std::string&, const std::string&, const std::string&) override {}
    std::vector<std::string> read_versions(const std::string& version_table) override;
    std::vector<LogEntry> read_log(const std::string& version_table) override;
    void ensure_history_table() override;
    std::unique_ptr<HistoryLock> lock_history(const std::string& version_table) override;
    std::unique_ptr<Transaction> begin() override;
    std::unique_ptr<Transaction> begin_snapshot() override;
    void fence(const std::string& version_table) override;
    // A statement of its own, so that the trace shows where it runs.
    std::string fence_check_sql(const std::string& version_table) override;
    void execute(std::string_view sql, int first_line = 1) override;
    void savepoint(const std::string& name) override;
    void rollback_to_savepoint(const std::string& name) override;
    void release_savepoint(const std::string& name) override;
    void execute_in_savepoint(std::string_view section, int first_line,
                              const std::vector<std::string>& bookkeeping,
                              const std::string& name) override;
    void execute_batched(std::string_view section, int first_line,
                         const std::vector<std::string>& bookkeeping) override;
    bool history_lock_is_exclusive() const override { return true; }
    std::string batch_elapsed_ms_sql() const override { return "scripted_elapsed_ms()"; }
    bool execute_transaction(std::string_view section, int first_line,
                             const std::vector<std::string>& bookkeeping, const Timeouts& timeouts,
                             const std::string& version_table,
                             const std::vector<std::string>& expected_heads) override;
    std::vector<std::vector<std::optional<std::string>>> query(std::string_view sql) override;
    void limit_transaction(const Timeouts& timeouts) override;
    // Progress is not reported (`completed` is not called): the model's mark keeps no
    // progress columns, as an older fastappkit's table.
    void execute_outside_transaction(std::string_view sql, int first_line,
                                     const Timeouts& timeouts,
                                     const StatementCompleted& completed) override;

private:
    // What the database holds: committed, or as an open transaction sees it.
    struct Model {
        std::map<std::string, std::vector<std::string>> version_tables;  // rows in table order
        std::set<std::string> tables;  // fastappkit's own tables that exist
        std::vector<LogEntry> history;
        std::vector<std::vector<std::string>> unfinished;  // fastappkit_unfinished's rows
    };
    struct Failure {
        std::string fragment;
        std::string message;
        bool lock_not_available = false;
        int times_left = kAlways;
    };
    class ScriptedTransaction;
    class ScriptedLock;

    Call& record(std::string name, std::string detail = {});
    Model& model() { return working_ ? *working_ : committed_; }
    void require_transaction(const std::string& call) const;
    void commit();
    void rollback() noexcept;
    // Runs the statements of `sql` one by one; StatementError names a failing one with its
    // line (first_line + its line within `sql` - 1), as PostgresDatabase::execute does.
    void run_statements(std::string_view sql, int first_line);
    void run_statement(const std::string& statement, int line);
    // A bookkeeping statement of execute_transaction or execute_in_savepoint: its failure is
    // the backend's failure, not a migration's.
    void run_bookkeeping(const std::string& statement);
    // Applies a statement the runner writes to its own tables; false for any other statement.
    bool interpret(const std::string& statement);
    // A version table's rows in the open transaction (or committed); throws when it is missing.
    std::vector<std::string>& rows_of(const std::string& table);

    Model committed_;
    std::optional<Model> working_;
    bool aborted_ = false;  // a statement failed in the open transaction
    std::vector<std::pair<std::string, Model>> savepoints_;
    std::vector<Failure> failures_;
    struct Hook {
        std::string call;
        int n = 0;
        std::function<void()> action;
    };
    std::vector<Hook> hooks_;
    std::map<std::string, int> call_counts_;
    std::vector<Call> calls_;
};

}  // namespace fastappkit::test_support
