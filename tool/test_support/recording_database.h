// A Database that forwards every call to another one and records, in order, each statement
// the caller makes it write: the SQL it executes, transactions and savepoints, and what the
// combined calls (execute_in_savepoint, execute_transaction, execute_outside_transaction)
// stand for. Reads, locks and fences are forwarded only. For comparing what a run executes
// with what `migrate preview` prints.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "db/database.h"
#include "db/schema_sql.h"

namespace fastappkit::test_support {

class RecordingDatabase : public Database {
public:
    explicit RecordingDatabase(std::unique_ptr<Database> inner) : inner_(std::move(inner)) {}

    // The statements written so far, each as sent (a section as one text).
    const std::vector<std::string>& written() const { return written_; }

    Dialect dialect() const override { return inner_->dialect(); }
    std::string display_url() const override { return inner_->display_url(); }
    bool has_table(const std::string& table) override { return inner_->has_table(table); }
    std::vector<std::string> read_versions(const std::string& table) override {
        return inner_->read_versions(table);
    }
    std::vector<LogEntry> read_log(const std::string& table) override {
        return inner_->read_log(table);
    }
    void ensure_history_table() override {
        if (!inner_->has_table(kHistoryTable)) written_.push_back(create_history_table_sql());
        inner_->ensure_history_table();
    }
    void ensure_table(const std::string& table, const std::string& create_sql) override {
        if (!inner_->has_table(table)) written_.push_back(create_sql);
        inner_->ensure_table(table, create_sql);
    }
    bool has_column(const std::string& table, const std::string& column) override {
        return inner_->has_column(table, column);
    }
    void ensure_column(const std::string& table, const std::string& column,
                       const std::string& definition) override {
        if (!inner_->has_column(table, column))
            written_.push_back("ALTER TABLE " + table + " ADD COLUMN " + column + " " + definition);
        inner_->ensure_column(table, column, definition);
    }
    void interrupt() noexcept override { inner_->interrupt(); }
    std::unique_ptr<HistoryLock> lock_history(const std::string& table) override {
        return inner_->lock_history(table);
    }

    class RecordedTransaction : public Transaction {
    public:
        RecordedTransaction(RecordingDatabase& owner, std::unique_ptr<Transaction> inner)
            : owner_(owner), inner_(std::move(inner)) {}
        ~RecordedTransaction() override {
            if (!committed_) owner_.written_.push_back("ROLLBACK");
        }
        void commit() override {
            owner_.written_.push_back("COMMIT");
            inner_->commit();
            committed_ = true;
        }

    private:
        RecordingDatabase& owner_;
        std::unique_ptr<Transaction> inner_;
        bool committed_ = false;
    };

    std::unique_ptr<Transaction> begin() override {
        written_.push_back("BEGIN");
        return std::make_unique<RecordedTransaction>(*this, inner_->begin());
    }
    std::unique_ptr<Transaction> begin_snapshot() override { return inner_->begin_snapshot(); }
    void fence(const std::string& table) override { inner_->fence(table); }
    std::string fence_check_sql(const std::string& table) override {
        fence_check_ = inner_->fence_check_sql(table);
        return fence_check_;
    }
    void execute(std::string_view sql, int first_line) override {
        if (fence_check_.empty() || sql != fence_check_) written_.emplace_back(sql);
        inner_->execute(sql, first_line);
    }
    void savepoint(const std::string& name) override {
        written_.push_back("SAVEPOINT " + name);
        inner_->savepoint(name);
    }
    void rollback_to_savepoint(const std::string& name) override {
        written_.push_back("ROLLBACK TO SAVEPOINT " + name);
        inner_->rollback_to_savepoint(name);
    }
    void release_savepoint(const std::string& name) override {
        written_.push_back("RELEASE SAVEPOINT " + name);
        inner_->release_savepoint(name);
    }
    void execute_batched(std::string_view section, int first_line,
                         const std::vector<std::string>& bookkeeping) override {
        written_.emplace_back(section);
        written_.insert(written_.end(), bookkeeping.begin(), bookkeeping.end());
        inner_->execute_batched(section, first_line, bookkeeping);
    }
    void execute_in_savepoint(std::string_view section, int first_line,
                              const std::vector<std::string>& bookkeeping,
                              const std::string& name) override {
        written_.push_back("SAVEPOINT " + name);
        written_.emplace_back(section);
        written_.insert(written_.end(), bookkeeping.begin(), bookkeeping.end());
        written_.push_back("RELEASE SAVEPOINT " + name);
        inner_->execute_in_savepoint(section, first_line, bookkeeping, name);
    }
    bool history_lock_is_exclusive() const override { return inner_->history_lock_is_exclusive(); }
    std::string batch_elapsed_ms_sql() const override { return inner_->batch_elapsed_ms_sql(); }
    bool execute_transaction(std::string_view section, int first_line,
                             const std::vector<std::string>& bookkeeping, const Timeouts& timeouts,
                             const std::string& version_table,
                             const std::vector<std::string>& expected_heads) override {
        written_.push_back("BEGIN");
        for (const auto& sql : timeout_sql(dialect(), timeouts, true)) written_.push_back(sql);
        written_.emplace_back(section);
        written_.insert(written_.end(), bookkeeping.begin(), bookkeeping.end());
        written_.push_back("COMMIT");
        return inner_->execute_transaction(section, first_line, bookkeeping, timeouts,
                                           version_table, expected_heads);
    }
    std::vector<std::vector<std::optional<std::string>>> query(std::string_view sql) override {
        return inner_->query(sql);
    }
    void limit_transaction(const Timeouts& timeouts) override {
        for (const auto& sql : timeout_sql(dialect(), timeouts, true)) written_.push_back(sql);
        inner_->limit_transaction(timeouts);
    }
    std::string outside_transaction_refusal() const override {
        return inner_->outside_transaction_refusal();
    }
    void execute_outside_transaction(std::string_view sql, int first_line,
                                     const Timeouts& timeouts,
                                     const StatementCompleted& completed) override {
        const auto settings = timeout_sql(dialect(), timeouts, false);
        written_.insert(written_.end(), settings.begin(), settings.end());
        written_.emplace_back(sql);
        if (!settings.empty()) {
            written_.push_back("RESET lock_timeout");
            written_.push_back("RESET statement_timeout");
        }
        // The progress updates the callback makes are recorded as they happen, after the
        // section's text: preview prints them there too.
        inner_->execute_outside_transaction(sql, first_line, timeouts, completed);
    }

private:
    std::unique_ptr<Database> inner_;
    std::vector<std::string> written_;
    std::string fence_check_;
};

}  // namespace fastappkit::test_support
