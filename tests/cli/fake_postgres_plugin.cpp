// A stand-in for the PostgreSQL plugin, built like it (hidden visibility, loaded with dlopen),
// that throws what the URL's database name asks for. test_plugin.py loads it through
// FASTAPPKIT_PLUGIN to check that every kind of exception reaches the user as a sentence and
// that a plugin of another version is refused.
#include <cstdlib>
#include <stdexcept>

#include "common/error.h"
#include "db/database.h"
#include "db/plugin_abi.h"

#define EXPORT extern "C" __attribute__((visibility("default")))

namespace {

using namespace fastappkit;

class NoLock : public HistoryLock {};

class NoTransaction : public Transaction {
public:
    void commit() override {}
};

// An empty database where the migration's CREATE TABLE t fails.
class FailingDatabase : public Database {
public:
    Dialect dialect() const override { return Dialect::postgresql; }
    std::string display_url() const override { return "postgresql://fake/statement"; }
    bool has_table(const std::string&) override { return false; }
    std::vector<std::string> read_versions(const std::string&) override { return {}; }
    std::vector<LogEntry> read_log(const std::string&) override { return {}; }
    void ensure_history_table() override {}
    std::unique_ptr<HistoryLock> lock_history(const std::string&) override {
        return std::make_unique<NoLock>();
    }
    std::unique_ptr<Transaction> begin() override { return std::make_unique<NoTransaction>(); }
    std::unique_ptr<Transaction> begin_snapshot() override {
        return std::make_unique<NoTransaction>();
    }
    void limit_transaction(const Timeouts&) override {}
    bool has_column(const std::string&, const std::string&) override { return false; }
    void execute_outside_transaction(std::string_view, int, const Timeouts&,
                                     const StatementCompleted&) override {}
    void execute(std::string_view sql, int first_line) override {
        if (sql.find("CREATE TABLE t ") == std::string_view::npos)
            return;  // version-table statements
        throw StatementError(first_line, "CREATE TABLE t (id INTEGER)", "fake statement failure");
    }
    std::vector<std::vector<std::optional<std::string>>> query(std::string_view) override {
        throw failure("fake query failure");
    }
};

}  // namespace

EXPORT const char* fastappkit_plugin_version() {
    const char* version = std::getenv("FAKE_PLUGIN_VERSION");
    return version ? version : FASTAPPKIT_VERSION;
}

EXPORT Database* fastappkit_postgresql_open(const DatabaseUrl& url, const OpenOptions&) {
    if (url.database == "usage") throw usage_error("fake usage error");
    if (url.database == "failure") throw failure("fake failure");
    if (url.database == "runtime") throw std::runtime_error("fake runtime error");
    if (url.database == "int") throw 42;
    return new FailingDatabase;
}

EXPORT void fastappkit_postgresql_reset(const DatabaseUrl&, bool) {
    throw failure("fake reset failure");
}
