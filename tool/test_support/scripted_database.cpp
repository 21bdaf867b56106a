#include "test_support/scripted_database.h"

#include <algorithm>
#include <regex>

#include <fmt/format.h>

#include "common/error.h"
#include "db/schema_sql.h"
#include "script/sql_splitter.h"

namespace fastappkit::test_support {

namespace {

// Calls that change nothing; trace() leaves them out.
bool is_read(const std::string& call) {
    return call == "has_table" || call == "read_versions" || call == "read_log" ||
           call == "query";
}

std::string first_line_of(const std::string& text) {
    const auto begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos) return {};
    return text.substr(begin, text.find('\n', begin) - begin);
}

std::string timeouts_text(const Timeouts& timeouts) {
    std::string text;
    if (timeouts.lock_timeout) text += "lock_timeout=" + duration_text(*timeouts.lock_timeout);
    if (timeouts.statement_timeout) {
        text += text.empty() ? "" : " ";
        text += "statement_timeout=" + duration_text(*timeouts.statement_timeout);
    }
    return text;
}

std::vector<std::string> sorted(std::vector<std::string> rows) {
    std::sort(rows.begin(), rows.end());
    return rows;
}

// The statements the runner writes to its own tables, as db/schema_sql.cpp and
// runner/unfinished_section.cpp render them (revision ids and table names are identifiers).
const std::regex& create_version_table() {
    static const std::regex re(R"(CREATE TABLE (\w+) \(\s*version_num [\s\S]*)");
    return re;
}
const std::regex& create_own_table() {
    static const std::regex re(R"(CREATE TABLE IF NOT EXISTS (fastappkit_\w+) [\s\S]*)");
    return re;
}
const std::regex& insert_version() {
    static const std::regex re(R"(INSERT INTO (\w+) \(version_num\) VALUES \('(\w+)'\))");
    return re;
}
const std::regex& delete_version() {
    static const std::regex re(R"(DELETE FROM (\w+) WHERE \1\.version_num = '(\w+)')");
    return re;
}
const std::regex& update_version() {
    static const std::regex re(
        R"(UPDATE (\w+) SET version_num='(\w+)' WHERE \1\.version_num = '(\w+)')");
    return re;
}
const std::regex& delete_all_versions() {
    static const std::regex re(R"(DELETE FROM (\w+))");
    return re;
}
const std::regex& insert_history() {
    static const std::regex re(fmt::format(
        R"(INSERT INTO {} \({}\) VALUES \('(\w+)', '(\w+)', '(\w+)', '(\w*)', '([^']*)', (.+)\))",
        kHistoryTable, kHistoryColumns));
    return re;
}
const std::regex& insert_unfinished() {
    static const std::regex re(
        fmt::format(R"(INSERT INTO {} \(version_table, revision, direction, started_at[\w, ]*\) )"
                    R"(VALUES \('(\w+)', '(\w+)', '(\w+)', '([^']*)'[\d, ]*\))",
                    kUnfinishedTable));
    return re;
}
const std::regex& delete_unfinished() {
    static const std::regex re(
        fmt::format(R"(DELETE FROM {} WHERE version_table = '(\w+)')", kUnfinishedTable));
    return re;
}
const std::regex& select_unfinished() {
    static const std::regex re(fmt::format(
        R"(SELECT revision, direction, started_at FROM {} WHERE version_table = '(\w+)' )"
        R"(ORDER BY started_at)",
        kUnfinishedTable));
    return re;
}
const std::regex& fence_check() {
    static const std::regex re(R"(SELECT fence_check\('(\w+)'\))");
    return re;
}

}  // namespace

class ScriptedDatabase::ScriptedTransaction final : public Transaction {
public:
    explicit ScriptedTransaction(ScriptedDatabase& db) : db_(db) {}
    ~ScriptedTransaction() override {
        if (!done_) db_.rollback();
    }
    void commit() override {
        done_ = true;  // a failed COMMIT ends the transaction too
        db_.commit();
    }

private:
    ScriptedDatabase& db_;
    bool done_ = false;
};

class ScriptedDatabase::ScriptedLock final : public HistoryLock {
public:
    ScriptedLock(ScriptedDatabase& db, std::string version_table)
        : db_(db), version_table_(std::move(version_table)) {}
    ~ScriptedLock() override { db_.record("unlock_history", version_table_); }

private:
    ScriptedDatabase& db_;
    std::string version_table_;
};

// The script.

void ScriptedDatabase::set_versions(const std::string& version_table,
                                    std::vector<std::string> rows) {
    committed_.version_tables[version_table] = std::move(rows);
}

void ScriptedDatabase::fail(std::string fragment, std::string message, int times) {
    failures_.push_back({std::move(fragment), std::move(message), false, times});
}

void ScriptedDatabase::fail_with_lock_timeout(std::string fragment, int times) {
    failures_.push_back(
        {std::move(fragment), "canceling statement due to lock timeout", true, times});
}

void ScriptedDatabase::before(std::string call, int n, std::function<void()> action) {
    hooks_.push_back({std::move(call), n, std::move(action)});
}

void ScriptedDatabase::apply_as_another_runner(const std::string& from, const std::string& revision,
                                               const std::string& version_table) {
    auto apply = [&](Model& model) {
        auto& rows = model.version_tables[version_table];
        auto row = std::find(rows.begin(), rows.end(), from);
        if (from.empty() || row == rows.end()) {
            rows.push_back(revision);
        } else {
            *row = revision;
        }
        model.tables.insert(kHistoryTable);
        model.history.push_back({version_table, revision, "upgrade", "", "by another runner", 0});
    };
    apply(committed_);
    if (working_) apply(*working_);
}

// What happened.

std::vector<std::string> ScriptedDatabase::trace() const {
    std::vector<std::string> lines;
    for (const auto& call : calls_) {
        if (is_read(call.name)) continue;
        std::string detail = first_line_of(call.detail);
        std::smatch row;
        if (std::regex_match(detail, row, insert_history())) {
            detail = fmt::format("INSERT INTO {} (…) VALUES ('{}', '{}', '{}', …)", kHistoryTable,
                                 row[1].str(), row[2].str(), row[3].str());
        }
        lines.push_back(detail.empty() ? call.name : call.name + " " + detail);
    }
    return lines;
}

std::vector<ScriptedDatabase::Call> ScriptedDatabase::calls_named(const std::string& name) const {
    std::vector<Call> found;
    for (const auto& call : calls_) {
        if (call.name == name) found.push_back(call);
    }
    return found;
}

int ScriptedDatabase::count(const std::string& name) const {
    const auto found = call_counts_.find(name);
    return found == call_counts_.end() ? 0 : found->second;
}

std::vector<std::string> ScriptedDatabase::versions(const std::string& version_table) const {
    const auto found = committed_.version_tables.find(version_table);
    return found == committed_.version_tables.end() ? std::vector<std::string>{} : found->second;
}

std::vector<std::string> ScriptedDatabase::history(const std::string& version_table) const {
    std::vector<std::string> lines;
    for (const auto& row : committed_.history) {
        if (row.version_table == version_table) lines.push_back(row.direction + " " + row.revision);
    }
    return lines;
}

// The interface.

bool ScriptedDatabase::has_table(const std::string& table) {
    record("has_table", table);
    return model().version_tables.count(table) > 0 || model().tables.count(table) > 0;
}

std::vector<std::string> ScriptedDatabase::read_versions(const std::string& version_table) {
    record("read_versions", version_table);
    const auto found = model().version_tables.find(version_table);
    return found == model().version_tables.end() ? std::vector<std::string>{} : found->second;
}

std::vector<LogEntry> ScriptedDatabase::read_log(const std::string& version_table) {
    record("read_log", version_table);
    std::vector<LogEntry> rows;
    for (const auto& row : model().history) {
        if (row.version_table == version_table) rows.push_back(row);
    }
    return rows;
}

void ScriptedDatabase::ensure_history_table() {
    record("ensure_history_table");
    model().tables.insert(kHistoryTable);
}

std::unique_ptr<HistoryLock> ScriptedDatabase::lock_history(const std::string& version_table) {
    record("lock_history", version_table);
    return std::make_unique<ScriptedLock>(*this, version_table);
}

std::unique_ptr<Transaction> ScriptedDatabase::begin() {
    record("begin");
    if (working_) throw failure(fmt::format("A transaction is already open on {}.", display_url()));
    working_ = committed_;
    aborted_ = false;
    savepoints_.clear();
    return std::make_unique<ScriptedTransaction>(*this);
}

std::unique_ptr<Transaction> ScriptedDatabase::begin_snapshot() {
    record("begin_snapshot");
    if (working_) throw failure(fmt::format("A transaction is already open on {}.", display_url()));
    working_ = committed_;
    aborted_ = false;
    savepoints_.clear();
    return std::make_unique<ScriptedTransaction>(*this);
}

void ScriptedDatabase::fence(const std::string& version_table) {
    record("fence", version_table);
    require_transaction("fence");
}

std::string ScriptedDatabase::fence_check_sql(const std::string& version_table) {
    return fmt::format("SELECT fence_check('{}')", version_table);
}

void ScriptedDatabase::execute(std::string_view sql, int first_line) {
    record("execute", std::string(sql));
    run_statements(sql, first_line);
}

void ScriptedDatabase::savepoint(const std::string& name) {
    record("savepoint", name);
    require_transaction("savepoint");
    savepoints_.emplace_back(name, *working_);
}

void ScriptedDatabase::rollback_to_savepoint(const std::string& name) {
    record("rollback_to_savepoint", name);
    require_transaction("rollback_to_savepoint");
    auto found = std::find_if(savepoints_.rbegin(), savepoints_.rend(),
                              [&](const auto& held) { return held.first == name; });
    if (found == savepoints_.rend())
        throw failure(fmt::format("{}: savepoint \"{}\" does not exist.", display_url(), name));
    *working_ = found->second;
    savepoints_.erase(found.base(), savepoints_.end());  // the savepoint itself stays
    aborted_ = false;
}

void ScriptedDatabase::release_savepoint(const std::string& name) {
    record("release_savepoint", name);
    require_transaction("release_savepoint");
    auto found = std::find_if(savepoints_.rbegin(), savepoints_.rend(),
                              [&](const auto& held) { return held.first == name; });
    if (found == savepoints_.rend())
        throw failure(fmt::format("{}: savepoint \"{}\" does not exist.", display_url(), name));
    savepoints_.erase(std::prev(found.base()), savepoints_.end());
}

// As PostgreSQL: everything since the savepoint is undone when a statement fails, and the
// transaction stays usable.
void ScriptedDatabase::execute_in_savepoint(std::string_view section, int first_line,
                                            const std::vector<std::string>& bookkeeping,
                                            const std::string& name) {
    record("execute_in_savepoint", std::string(section)).bookkeeping = bookkeeping;
    require_transaction("execute_in_savepoint");
    if (aborted_)
        throw failure(
            fmt::format("{}: savepoint {} in an aborted transaction.", display_url(), name));
    const Model before = *working_;
    try {
        run_statements(section, first_line);
        for (const auto& statement : bookkeeping) run_bookkeeping(statement);
    } catch (...) {
        *working_ = before;
        aborted_ = false;
        throw;
    }
}

// As PostgreSQL: a failing statement aborts the transaction.
void ScriptedDatabase::execute_batched(std::string_view section, int first_line,
                                       const std::vector<std::string>& bookkeeping) {
    record("execute_batched", std::string(section)).bookkeeping = bookkeeping;
    require_transaction("execute_batched");
    run_statements(section, first_line);
    for (const auto& statement : bookkeeping) run_bookkeeping(statement);
}

// As PostgreSQL's one round trip: the section runs first, then the heads are compared, then
// the bookkeeping; a failing section of a history whose heads moved means only "plan again".
bool ScriptedDatabase::execute_transaction(std::string_view section, int first_line,
                                           const std::vector<std::string>& bookkeeping,
                                           const Timeouts& timeouts,
                                           const std::string& version_table,
                                           const std::vector<std::string>& expected_heads) {
    Call& call = record("execute_transaction", std::string(section));
    call.bookkeeping = bookkeeping;
    call.expected_heads = expected_heads;
    call.timeouts = timeouts;
    if (working_) throw failure(fmt::format("A transaction is already open on {}.", display_url()));
    working_ = committed_;
    aborted_ = false;
    auto end = [this] {
        working_.reset();
        aborted_ = false;
    };
    auto heads_moved = [&] {
        const auto& tables = model().version_tables;
        const auto found = tables.find(version_table);
        return found == tables.end() || sorted(found->second) != sorted(expected_heads);
    };
    try {
        run_statements(section, first_line);
    } catch (const StatementError&) {
        end();
        if (heads_moved()) return false;
        throw;
    }
    if (heads_moved()) {
        end();
        return false;
    }
    try {
        for (const auto& statement : bookkeeping) run_bookkeeping(statement);
    } catch (...) {
        end();
        throw;
    }
    committed_ = std::move(*working_);
    end();
    return true;
}

std::vector<std::vector<std::optional<std::string>>> ScriptedDatabase::query(std::string_view sql) {
    const std::string text(sql);
    record("query", text);
    std::smatch m;
    if (!std::regex_match(text, m, select_unfinished()))
        throw failure(
            fmt::format("{}: the scripted database cannot answer: {}", display_url(), text));
    std::vector<std::vector<std::optional<std::string>>> rows;
    for (const auto& row : model().unfinished) {
        if (row[0] == m[1].str()) rows.push_back({row[1], row[2], row[3]});
    }
    return rows;
}

void ScriptedDatabase::limit_transaction(const Timeouts& timeouts) {
    record("limit_transaction", timeouts_text(timeouts)).timeouts = timeouts;
    require_transaction("limit_transaction");
}

void ScriptedDatabase::execute_outside_transaction(std::string_view sql, int first_line,
                                                   const Timeouts& timeouts,
                                                   const StatementCompleted& /*completed*/) {
    record("execute_outside_transaction", std::string(sql)).timeouts = timeouts;
    if (working_) throw failure(fmt::format("A transaction is open on {}.", display_url()));
    run_statements(sql, first_line);
}

// The model.

ScriptedDatabase::Call& ScriptedDatabase::record(std::string name, std::string detail) {
    const int n = ++call_counts_[name];
    calls_.push_back({name, std::move(detail), {}, {}, {}});
    const size_t at = calls_.size() - 1;
    for (const auto& hook : hooks_) {
        if (hook.call == name && hook.n == n) hook.action();
    }
    return calls_[at];
}

void ScriptedDatabase::require_transaction(const std::string& call) const {
    if (!working_) throw failure(fmt::format("{}: {} outside a transaction.", display_url(), call));
}

void ScriptedDatabase::commit() {
    record("commit");
    if (aborted_) {
        rollback();
        throw failure(fmt::format(
            "The transaction on {} was rolled back because one of its statements failed.",
            display_url()));
    }
    committed_ = std::move(*working_);
    working_.reset();
    savepoints_.clear();
}

void ScriptedDatabase::rollback() noexcept {
    record("rollback");
    working_.reset();
    aborted_ = false;
    savepoints_.clear();
}

void ScriptedDatabase::run_statements(std::string_view sql, int first_line) {
    for (const Statement& statement : split_sql(sql)) {
        const Statement code = from_first_code(statement);
        run_statement(code.text, first_line + code.line - 1);
    }
}

void ScriptedDatabase::run_statement(const std::string& statement, int line) {
    if (working_ && aborted_) {
        throw StatementError(
            line, statement,
            "current transaction is aborted, commands ignored until end of transaction block");
    }
    try {
        for (auto& scripted : failures_) {
            if (scripted.times_left == 0 || statement.find(scripted.fragment) == std::string::npos)
                continue;
            if (scripted.times_left > 0) --scripted.times_left;
            StatementError error(line, statement, scripted.message);
            error.lock_not_available = scripted.lock_not_available;
            throw error;
        }
        if (!interpret(statement)) return;  // a migration's own SQL: nothing to model
    } catch (const StatementError& error) {
        if (working_) aborted_ = true;
        StatementError named(line, statement, error.message);
        named.lock_not_available = error.lock_not_available;
        throw named;
    }
}

void ScriptedDatabase::run_bookkeeping(const std::string& statement) {
    try {
        run_statement(statement, 1);
    } catch (const StatementError& error) {
        throw failure(fmt::format("{}: {}.", display_url(), error.message));
    }
}

std::vector<std::string>& ScriptedDatabase::rows_of(const std::string& table) {
    auto found = model().version_tables.find(table);
    if (found == model().version_tables.end())
        throw StatementError(0, "", fmt::format("relation \"{}\" does not exist", table));
    return found->second;
}

bool ScriptedDatabase::interpret(const std::string& statement) {
    Model& m = model();
    std::smatch match;
    auto matches = [&](const std::regex& re) { return std::regex_match(statement, match, re); };
    auto need_table = [&](const char* table) {
        if (m.tables.count(table) == 0)
            throw StatementError(0, "", fmt::format("relation \"{}\" does not exist", table));
    };
    if (matches(create_version_table())) {
        if (m.version_tables.count(match[1].str()) > 0)
            throw StatementError(0, "",
                                 fmt::format("relation \"{}\" already exists", match[1].str()));
        m.version_tables[match[1].str()];
    } else if (matches(create_own_table())) {
        m.tables.insert(match[1].str());
    } else if (matches(insert_version())) {
        auto& rows = rows_of(match[1].str());
        if (std::find(rows.begin(), rows.end(), match[2].str()) != rows.end()) {
            throw StatementError(0, "",
                                 fmt::format("duplicate key value violates unique "
                                             "constraint \"{}_pkc\"",
                                             match[1].str()));
        }
        rows.push_back(match[2].str());
    } else if (matches(update_version())) {
        auto& rows = rows_of(match[1].str());
        std::replace(rows.begin(), rows.end(), match[3].str(), match[2].str());
    } else if (matches(delete_version())) {
        auto& rows = rows_of(match[1].str());
        rows.erase(std::remove(rows.begin(), rows.end(), match[2].str()), rows.end());
    } else if (matches(insert_history())) {
        need_table(kHistoryTable);
        const std::string duration = match[6].str();
        m.history.push_back(
            {match[1].str(), match[2].str(), match[3].str(), match[4].str(), match[5].str(),
             duration == batch_elapsed_ms_sql() ? kDatabaseElapsedMs : std::stoll(duration)});
    } else if (matches(insert_unfinished())) {
        need_table(kUnfinishedTable);
        m.unfinished.push_back({match[1].str(), match[2].str(), match[3].str(), match[4].str()});
    } else if (matches(delete_unfinished())) {
        need_table(kUnfinishedTable);
        auto& rows = m.unfinished;
        rows.erase(std::remove_if(rows.begin(), rows.end(),
                                  [&](const auto& row) { return row[0] == match[1].str(); }),
                   rows.end());
    } else if (matches(fence_check())) {
        // Under this fake's lock nothing is ever lost: the check passes.
    } else if (matches(delete_all_versions()) && m.version_tables.count(match[1].str()) > 0) {
        m.version_tables[match[1].str()].clear();
    } else {
        return false;
    }
    return true;
}

}  // namespace fastappkit::test_support
