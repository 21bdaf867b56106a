// The SQLite backend. Runners serialise through SQLite's own write lock (BEGIN IMMEDIATE); a
// busy handler makes a runner wait for another one, say so once, and give up after the
// configured timeout with a sentence instead of SQLite's bare "database is locked".
#include "db/sqlite_database.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "common/error.h"
#include "common/error_reason.h"
#include "db/schema_sql.h"
#include "script/sql_splitter.h"

namespace fastappkit {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct ConnectionCloser {
    bool owned = true;  // false for a connection the program lent (borrow_sqlite_connection)
    void operator()(sqlite3* db) const noexcept {
        if (owned) sqlite3_close_v2(db);
    }
};
using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;

struct StatementFinalizer {
    void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};
using PreparedStatement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

std::string quote_identifier(const std::string& name) {
    std::string quoted = "\"";
    for (const char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

std::string seconds_text(std::chrono::milliseconds duration) {
    return fmt::format("{:g}", static_cast<double>(duration.count()) / 1000.0);
}

int count_lines(std::string_view text, std::size_t from, std::size_t to) {
    return static_cast<int>(std::count(text.begin() + from, text.begin() + to, '\n'));
}

bool is_busy(int result) { return (result & 0xff) == SQLITE_BUSY; }

// Leading blanks and comments of `sql`: SQLite skips them too, and the failing statement's
// line should point at its SQL rather than at a comment above it.
std::size_t skip_blanks_and_comments(std::string_view sql, std::size_t pos) {
    while (pos < sql.size()) {
        if (std::isspace(static_cast<unsigned char>(sql[pos]))) {
            ++pos;
        } else if (sql.compare(pos, 2, "--") == 0) {
            pos = std::min(sql.find('\n', pos), sql.size());
        } else if (sql.compare(pos, 2, "/*") == 0) {
            const auto end = sql.find("*/", pos + 2);
            pos = end == std::string_view::npos ? sql.size() : end + 2;
        } else {
            break;
        }
    }
    return pos;
}

std::string statement_text(std::string_view sql) {
    const auto statements = split_sql(sql);
    return statements.empty() ? std::string(sql) : statements.front().text;
}

// Waits for another connection's lock with a growing sleep. SQLite calls it with `count`
// restarting at 0 for every new wait.
struct BusyWait {
    std::string path;
    std::chrono::milliseconds timeout{0};
    std::function<void(const std::string&)> on_wait;
    const std::atomic<bool>* interrupted = nullptr;  // Ctrl-C: stop waiting
    Clock::time_point started;
    bool announced = false;
    bool timed_out = false;

    static int handle(void* self, int count) noexcept {
        return static_cast<BusyWait*>(self)->wait(count) ? 1 : 0;
    }

    bool wait(int count) noexcept {
        if (count == 0) {
            started = Clock::now();
            timed_out = false;
            announce();
        }
        const auto remaining =
            timeout - std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
        if (remaining.count() <= 0) {
            timed_out = true;
            return false;
        }
        if (interrupted && interrupted->load()) return false;
        const std::chrono::milliseconds backoff{std::min(50, 1 << std::min(count, 6))};
        std::this_thread::sleep_for(std::min(backoff, remaining));
        return true;
    }

    // Once per connection: a runner that waits between each of its migrations says it once.
    void announce() noexcept {
        if (announced || !on_wait) return;
        announced = true;
        try {
            on_wait(
                fmt::format("Waiting for another fastappkit runner to release the database "
                            "lock on {} (giving up after {} s).",
                            path, seconds_text(timeout)));
        } catch (...) {
            // A reporter that fails must not unwind through SQLite's C frames.
        }
    }

    std::string timeout_message() const {
        return fmt::format(
            "Timed out after {} s waiting for the database lock on {}; another "
            "runner may be stuck.",
            seconds_text(timeout), path);
    }
};

class SqliteTransaction : public Transaction {
public:
    SqliteTransaction(sqlite3* db, std::function<void()> on_commit_error)
        : db_(db), on_commit_error_(std::move(on_commit_error)) {}

    ~SqliteTransaction() override {
        // A failed statement may already have ended the transaction (SQLITE_FULL, RAISE).
        if (!committed_ && !sqlite3_get_autocommit(db_)) {
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        }
    }

    void commit() override {
        if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
            on_commit_error_();
        }
        committed_ = true;
    }

private:
    sqlite3* db_;  // owned by the SqliteDatabase, which outlives its transactions
    std::function<void()> on_commit_error_;
    bool committed_ = false;
};

class NoHistoryLock : public HistoryLock {};

// An open file description lock (F_OFD_SETLK) on one byte of `<database>-fastappkit.lock`,
// chosen by the version table, so that runners of different histories do not wait for each
// other. The kernel releases it when the descriptor closes, kill -9 included.
class SqliteHistoryLock : public HistoryLock {
public:
    explicit SqliteHistoryLock(int fd) : fd_(fd) {}
    ~SqliteHistoryLock() override { close(fd_); }
    SqliteHistoryLock(const SqliteHistoryLock&) = delete;
    SqliteHistoryLock& operator=(const SqliteHistoryLock&) = delete;

private:
    int fd_;
};

// FNV-1a: the same byte for a version table in every process and build.
off_t lock_byte(const std::string& version_table) {
    std::uint32_t hash = 2166136261u;
    for (const unsigned char c : version_table) hash = (hash ^ c) * 16777619u;
    return static_cast<off_t>(hash & 0x3fffffff);
}

bool try_lock_byte(int fd, off_t byte) {
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    lock.l_start = byte;
    lock.l_len = 1;
    return fcntl(fd, F_OFD_SETLK, &lock) == 0;
}

std::string url_option(const DatabaseUrl& url, const std::string& key) {
    std::string value;
    for (const auto& [name, text] : url.params)
        if (name == key) value = text;  // the last one wins, as in SQLite
    return value;
}

// The file: URI that SQLite opens, carrying the URL's SQLite options (sqlite.org/uri.html; the
// driver's options are not SQLite's). A read-only open drops mode=rw/rwc, which SQLite would
// refuse as less restrictive than the open flags.
std::string sqlite_uri(const std::string& path, const DatabaseUrl& url, bool read_only) {
    std::string uri = "file:";
    for (const char c : path) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '%' || c == '?' || c == '#' || byte < 0x21 || byte >= 0x7f) {
            uri += fmt::format("%{:02X}", byte);
        } else {
            uri += c;
        }
    }
    char separator = '?';
    for (const char* key : {"mode", "cache", "immutable", "nolock", "psow", "vfs"}) {
        const std::string value = url_option(url, key);
        if (value.empty() ||
            (read_only && std::string(key) == "mode" && value != "ro" && value != "memory"))
            continue;
        uri += fmt::format("{}{}=", separator, key);
        for (const char c : value) {
            uri += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'
                       ? std::string(1, c)
                       : fmt::format("%{:02X}", static_cast<unsigned char>(c));
        }
        separator = '&';
    }
    return uri;
}

class SqliteDatabase : public Database {
public:
    SqliteDatabase(const DatabaseUrl& url, const OpenOptions& options)
        : path_(url.sqlite_path.empty() ? std::string(":memory:") : url.sqlite_path.string()),
          display_url_("sqlite:///" + path_),
          uri_(sqlite_uri(path_, url, options.read_only)) {
        // mode=memory: a database no other process can see, so no lock file beside a path that
        // names nothing on disk.
        in_memory_ = path_ == ":memory:" || url_option(url, "mode") == "memory";
        busy_.path = path_;
        busy_.timeout = options.lock_timeout;
        busy_.on_wait = options.on_wait;
        if (!options.read_only) refuse_read_only_options(url);
        refuse_directory();
        busy_.interrupted = &interrupted_;
        if (options.read_only && path_ != ":memory:" && !file_exists()) return;
        if (options.read_only && path_ != ":memory:") roll_back_hot_journal();
        if (!options.read_only && url_option(url, "mode") == "rw" && path_ != ":memory:" &&
            !file_exists()) {
            throw failure(
                fmt::format("Cannot open database {}: the file does not exist, and mode=rw in the "
                            "URL keeps SQLite from creating it",
                            display_url_));
        }
        open(options.read_only);
    }

    // A connection the program opened: configured like ours while it is lent, given back with
    // no busy handler and its foreign_keys setting as it was.
    SqliteDatabase(sqlite3* borrowed, const OpenOptions& options)
        : path_(borrowed_path(borrowed)),
          display_url_("sqlite:///" + path_),
          db_(borrowed, ConnectionCloser{false}) {
        busy_.path = path_;
        busy_.timeout = options.lock_timeout;
        busy_.on_wait = options.on_wait;
        auto rows = query("PRAGMA foreign_keys");
        restore_foreign_keys_ = !rows.empty() && rows[0].size() == 1 && rows[0][0] == "0"
                                    ? "PRAGMA foreign_keys = OFF"
                                    : "";
        configure();
    }

    ~SqliteDatabase() override {
        if (!db_ || db_.get_deleter().owned) return;
        sqlite3_busy_handler(db_.get(), nullptr, nullptr);
        if (!restore_foreign_keys_.empty()) {
            sqlite3_exec(db_.get(), restore_foreign_keys_.c_str(), nullptr, nullptr, nullptr);
        }
    }

    Dialect dialect() const override { return Dialect::sqlite; }
    std::string display_url() const override { return display_url_; }

    // Prepares and steps a query of the table instead of scanning sqlite_master (which holds
    // every table and index of the application). Unlike a look-up in the cached schema, this
    // sees tables another runner created meanwhile: SQLite re-reads a changed schema when a
    // name is not found and when a statement runs.
    bool has_table(const std::string& table) override {
        PreparedStatement statement;
        if (!prepare_reading_table("SELECT 1 FROM " + quote_identifier(table) + " LIMIT 0",
                                   statement)) {
            return false;
        }
        step(statement.get(), "Cannot read the schema");
        return true;
    }

    bool has_column(const std::string& table, const std::string& column) override {
        if (!db_) return false;
        const std::string context = "Cannot read the schema";
        auto statement = prepare("SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", context);
        sqlite3_bind_text(statement.get(), 1, table.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(statement.get(), 2, column.c_str(), -1, SQLITE_TRANSIENT);
        return step(statement.get(), context);
    }

    std::vector<std::string> read_versions(const std::string& version_table) override {
        std::vector<std::string> versions;
        PreparedStatement statement;
        if (!prepare_reading_table("SELECT version_num FROM " + quote_identifier(version_table),
                                   statement)) {
            return versions;  // no version table yet: nothing applied
        }
        const std::string context = "Cannot read the version table " + version_table;
        while (step(statement.get(), context)) versions.push_back(column_text(statement.get(), 0));
        return versions;
    }

    std::vector<LogEntry> read_log(const std::string& version_table) override {
        std::vector<LogEntry> rows;
        if (!has_table(kHistoryTable)) return rows;
        const std::string context = "Cannot read fastappkit_history";
        auto statement =
            prepare(fmt::format("SELECT {} FROM {} WHERE version_table = ?1 ORDER BY rowid",
                                kHistoryColumns, kHistoryTable),
                    context);
        sqlite3_bind_text(statement.get(), 1, version_table.c_str(), -1, SQLITE_TRANSIENT);
        while (step(statement.get(), context)) rows.push_back(history_row(statement.get()));
        return rows;
    }

    void ensure_history_table() override {
        // Checking first keeps runners that find the table from queueing for the write lock.
        if (has_table(kHistoryTable)) return;
        run(create_history_table_sql(), "Cannot create fastappkit_history");
    }

    // BEGIN IMMEDIATE serialises single migrations; this lock serialises whole runs of one
    // history, so that a transaction:false section, which runs between two transactions, is
    // never run by a second runner that read the same heads.
    std::unique_ptr<HistoryLock> lock_history(const std::string& version_table) override {
        if (in_memory_) return std::make_unique<NoHistoryLock>();
        const std::string lock_path = path_ + "-fastappkit.lock";
        const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            throw failure(
                fmt::format("Cannot open the lock file {}: {}", lock_path, std::strerror(errno)));
        }
        auto lock = std::make_unique<SqliteHistoryLock>(fd);
        const off_t byte = lock_byte(version_table);
        const auto deadline = Clock::now() + busy_.timeout;
        for (bool waiting = false; !try_lock_byte(fd, byte); waiting = true) {
            if (errno != EAGAIN && errno != EACCES && errno != EINTR) {
                throw failure(fmt::format("Cannot lock {}: {}", lock_path, std::strerror(errno)));
            }
            require_not_interrupted();
            if (!waiting && busy_.on_wait) {
                busy_.on_wait(
                    fmt::format("Waiting for another fastappkit runner holding the migration lock "
                                "on {} of {}...",
                                version_table, path_));
            }
            if (Clock::now() >= deadline) {
                throw with_reason(
                    ErrorReason::lock_timeout,
                    failure(fmt::format("Timed out after {} s waiting for the migration lock on "
                                        "{} of {}; another runner may be stuck.",
                                        seconds_text(busy_.timeout), version_table, path_)));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return lock;
    }

    std::unique_ptr<Transaction> begin() override {
        require_not_interrupted();
        run("BEGIN IMMEDIATE", "Cannot start a transaction");
        return std::make_unique<SqliteTransaction>(
            db_.get(), [this] { throw_error("Cannot commit the transaction"); });
    }

    // Deferred: the first read takes the shared lock, and every later read sees that snapshot.
    std::unique_ptr<Transaction> begin_snapshot() override {
        require_not_interrupted();
        if (!db_) {
            throw usage_error(fmt::format(
                "{} does not exist; check the database URL (a read-only command never creates it)",
                display_url_));
        }
        run("BEGIN", "Cannot start a transaction");
        return std::make_unique<SqliteTransaction>(
            db_.get(), [this] { throw_error("Cannot end the read transaction"); });
    }

    void execute(std::string_view sql, int first_line) override {
        execute_statements(sql, first_line, StatementCompleted());
    }

    void savepoint(const std::string& name) override {
        run("SAVEPOINT " + quote_identifier(name), "Cannot set a savepoint");
    }
    // Fails when an error ended the whole transaction (SQLITE_FULL, RAISE(ROLLBACK), …).
    void rollback_to_savepoint(const std::string& name) override {
        run("ROLLBACK TO SAVEPOINT " + quote_identifier(name), "Cannot roll back to a savepoint");
    }
    void release_savepoint(const std::string& name) override {
        run("RELEASE SAVEPOINT " + quote_identifier(name), "Cannot release a savepoint");
    }

    // SQLite has no lock or statement timeouts: its writers wait on the busy timeout.
    void limit_transaction(const Timeouts&) override {}
    void execute_outside_transaction(std::string_view sql, int first_line, const Timeouts&,
                                     const StatementCompleted& completed) override {
        execute_statements(sql, first_line, completed);
    }

    void interrupt() noexcept override {
        if (!interrupted_.exchange(true) && db_) sqlite3_interrupt(db_.get());
    }

    std::vector<std::vector<std::optional<std::string>>> query(std::string_view sql) override {
        const std::string context = "Cannot run a query";
        require_open(context);
        auto statement = prepare(std::string(sql), context);
        std::vector<std::vector<std::optional<std::string>>> rows;
        while (step(statement.get(), context)) {
            const int columns = sqlite3_column_count(statement.get());
            auto& row = rows.emplace_back();
            for (int column = 0; column < columns; ++column) {
                if (sqlite3_column_type(statement.get(), column) == SQLITE_NULL) {
                    row.emplace_back(std::nullopt);
                } else {
                    row.emplace_back(column_text(statement.get(), column));
                }
            }
        }
        return rows;
    }

private:
    void require_not_interrupted() const {
        if (interrupted_.load())
            throw failure(fmt::format("Interrupted while working on {}.", display_url_));
    }

    // Polled by SQLite while a statement runs: closes the window in which sqlite3_interrupt
    // finds no statement running and has no effect on the one that starts next.
    static int stop_if_interrupted(void* flag) noexcept {
        return static_cast<const std::atomic<bool>*>(flag)->load() ? 1 : 0;
    }

    bool file_exists() const {
        std::error_code error;
        return fs::exists(path_, error);
    }

    // A runner killed while it had written pages of a migration leaves a hot rollback journal
    // beside the database. Only a connection that may write can roll it back; a read-only one
    // fails every query with "attempt to write a readonly database". So a read-only command
    // that finds a journal first opens the existing file read-write (never creating it) and
    // reads the schema, which rolls a hot journal back (or waits for a live writer, whose
    // journal is not hot), then goes on read-only.
    void roll_back_hot_journal() {
        std::error_code error;
        if (!fs::exists(path_ + "-journal", error)) return;
        sqlite3* handle = nullptr;
        const int result = sqlite3_open_v2(uri_.c_str(), &handle,
                                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, nullptr);
        db_.reset(handle);
        if (result == SQLITE_OK && sqlite3_db_readonly(db_.get(), "main") == 0) {
            sqlite3_extended_result_codes(db_.get(), 1);
            sqlite3_busy_handler(db_.get(), &BusyWait::handle, &busy_);
            run("SELECT count(*) FROM sqlite_master",
                "Cannot roll back the interrupted migration's journal");
        }
        db_.reset();  // a file that cannot be opened for writing is left to the read-only open
    }

    // SQLite opens a directory without complaint and fails every read with "disk I/O error".
    void refuse_directory() const {
        std::error_code error;
        if (!in_memory_ && fs::is_directory(path_, error)) {
            throw usage_error(fmt::format(
                "Cannot open database {}: it is a directory, not a file; check the database URL",
                display_url_));
        }
    }

    // A command that writes, on a URL that opens the database read-only: refused before any
    // work, instead of failing at the first write with SQLite's "readonly database".
    void refuse_read_only_options(const DatabaseUrl& url) const {
        for (const auto& [key, value] :
             {std::pair<const char*, const char*>{"mode", "ro"}, {"immutable", "1"}}) {
            if (url_option(url, key) != value) continue;
            throw usage_error(
                fmt::format("Cannot change database {}: its URL opens it read-only ({}={}); remove "
                            "that option to migrate it",
                            display_url_, key, value));
        }
    }

    void open(bool read_only) {
        opened_read_only_ = read_only;
        if (!read_only && path_ != ":memory:") require_parent_directory();
        sqlite3* handle = nullptr;
        const int flags =
            (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
            SQLITE_OPEN_URI;
        const int result = sqlite3_open_v2(uri_.c_str(), &handle, flags, nullptr);
        db_.reset(handle);  // SQLite allocates a handle even when opening fails
        if (result != SQLITE_OK) {
            throw failure(fmt::format("Cannot open database {}: {}", display_url_,
                                      handle ? sqlite3_errmsg(handle) : sqlite3_errstr(result)));
        }
        configure();
    }

    void configure() {
        sqlite3_extended_result_codes(db_.get(), 1);
        sqlite3_busy_handler(db_.get(), &BusyWait::handle, &busy_);
        sqlite3_progress_handler(db_.get(), 1000, &SqliteDatabase::stop_if_interrupted,
                                 &interrupted_);
        run("PRAGMA foreign_keys = ON", "Cannot enable foreign keys");
    }

    static std::string borrowed_path(sqlite3* db) {
        const char* file = sqlite3_db_filename(db, "main");
        return file && *file ? std::string(file) : std::string(":memory:");
    }

    void require_parent_directory() const {
        const fs::path parent = fs::path(path_).parent_path();
        std::error_code error;
        if (!parent.empty() && !fs::is_directory(parent, error)) {
            throw failure(fmt::format("Cannot open database {}: the directory {} does not exist",
                                      display_url_, parent.string()));
        }
    }

    // A read-only connection to a missing file has nothing to change.
    void require_open(const std::string& context) const {
        if (!db_) {
            throw failure(
                fmt::format("{} in {}: the database does not exist and was opened "
                            "read-only",
                            context, display_url_));
        }
    }

    // SQLite's own words for a file it cannot write ("attempt to write a readonly database",
    // "disk I/O error") name no file and come from bookkeeping statements too (the version
    // table, stamp, the transaction:false mark): one sentence names the database instead.
    // A connection we opened read-only keeps SQLite's error: a write there is the caller's.
    void throw_if_unwritable() const {
        const int code = sqlite3_extended_errcode(db_.get());
        std::error_code error;
        if ((code == SQLITE_READONLY_ROLLBACK || (code & 0xff) == SQLITE_IOERR) &&
            fs::exists(path_ + "-journal", error)) {
            // A hot journal must be rolled back (and deleted) before anything can be read.
            throw failure(fmt::format(
                "Cannot read database {}: an interrupted write left the journal {}-journal, which "
                "SQLite could not roll back ({}); make the file and its directory writable for "
                "this user, then run any fastappkit command to roll it back",
                display_url_, path_, sqlite3_errmsg(db_.get())));
        }
        if ((code & 0xff) == SQLITE_READONLY && !opened_read_only_) {
            throw failure(fmt::format(
                "Cannot change database {}: SQLite can only read it ({}); make the file and its "
                "directory writable for this user to migrate it; nothing was changed",
                display_url_, sqlite3_errmsg(db_.get())));
        }
    }

    [[noreturn]] void throw_error(const std::string& context) const {
        if (is_busy(sqlite3_extended_errcode(db_.get())) && busy_.timed_out) {
            throw failure(busy_.timeout_message());
        }
        throw_if_unwritable();
        throw failure(
            fmt::format("{} in {}: {}", context, display_url_, sqlite3_errmsg(db_.get())));
    }

    // Prepares `sql`, a query of one table; false when that table does not exist. Outside a
    // transaction other runners may change the schema between SQLite's own re-read and the
    // next try, so a changed schema is tried again.
    bool prepare_reading_table(const std::string& sql, PreparedStatement& out) const {
        if (!db_) return false;
        require_not_interrupted();
        for (int attempt = 0;; ++attempt) {
            sqlite3_stmt* raw = nullptr;
            const int result = sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &raw, nullptr);
            out.reset(raw);
            if (result == SQLITE_OK) return true;
            if ((result & 0xff) == SQLITE_SCHEMA && attempt < 10) continue;
            if (std::string_view(sqlite3_errmsg(db_.get())).rfind("no such table", 0) == 0)
                return false;
            throw_error("Cannot read the schema");
        }
    }

    // After interrupt() every statement fails, short ones too: sqlite3_interrupt() stops only
    // the statements running when it is called, and the progress handler none that finish
    // within its first thousand steps.
    PreparedStatement prepare(const std::string& sql, const std::string& context) const {
        require_not_interrupted();
        sqlite3_stmt* statement = nullptr;
        const int result = sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &statement, nullptr);
        PreparedStatement owned(statement);
        if (result != SQLITE_OK) throw_error(context);
        return owned;
    }

    // True while rows come; false when done.
    bool step(sqlite3_stmt* statement, const std::string& context) const {
        const int result = sqlite3_step(statement);
        if (result == SQLITE_ROW) return true;
        if (result != SQLITE_DONE) throw_error(context);
        return false;
    }

    void run(const std::string& sql, const std::string& context) {
        require_open(context);
        auto statement = prepare(sql, context);
        while (step(statement.get(), context)) {
        }
    }

    // Prepares and runs the statement starting at `start`; returns the offset after it.
    void execute_statements(std::string_view sql_view, int first_line,
                            const StatementCompleted& completed) {
        require_open("Cannot run migration SQL");
        // One NUL-terminated copy: given a length that ends on the NUL, sqlite3_prepare_v2 parses
        // in place; given any other length it copies the whole rest of the text for every
        // statement, which makes a large section quadratic.
        const std::string text(sql_view);
        const std::string_view sql(text.c_str(), text.size());
        // Counted as the PostgreSQL backend and `migrate preview` split them; for messages.
        const int count = completed ? static_cast<int>(split_sql(sql).size()) : 0;
        std::size_t pos = 0;
        int line = first_line;  // the line of `pos`
        for (int index = 0;;) {
            const std::size_t start = skip_blanks_and_comments(sql, pos);
            if (start >= sql.size()) return;
            line += count_lines(sql, pos, start);
            require_not_interrupted();
            bool ran = false;
            pos = execute_one(sql, start, line, ran);
            const int statement_line = line;
            line += count_lines(sql, start, pos);
            if (!ran || !completed) continue;
            ++index;
            int next_line = 0;
            if (index < count) {
                const std::size_t next = skip_blanks_and_comments(sql, pos);
                next_line = line + count_lines(sql, pos, next);
            }
            completed({index, std::max(count, index), statement_line, next_line});
        }
    }

    // `ran` is false for text that holds no statement (a lone semicolon).
    std::size_t execute_one(std::string_view sql, std::size_t start, int line, bool& ran) {
        const std::string_view rest = sql.substr(start);
        sqlite3_stmt* raw = nullptr;
        const char* tail = nullptr;
        // `sql` ends on a NUL (see execute()): the length includes it.
        const int prepared = sqlite3_prepare_v2(db_.get(), rest.data(),
                                                static_cast<int>(rest.size() + 1), &raw, &tail);
        PreparedStatement statement(raw);
        if (prepared != SQLITE_OK) throw_statement_error(line, statement_text(rest));
        const std::size_t end = start + static_cast<std::size_t>(tail - rest.data());
        if (!statement) return std::max(end, start + 1);
        ran = true;
        int result;
        while ((result = sqlite3_step(statement.get())) == SQLITE_ROW) {
        }
        if (result != SQLITE_DONE) {
            throw_statement_error(line, statement_text(sql.substr(start, end - start)));
        }
        return end;
    }

    [[noreturn]] void throw_statement_error(int line, std::string text) const {
        if (is_busy(sqlite3_extended_errcode(db_.get())) && busy_.timed_out) {
            throw failure(busy_.timeout_message());
        }
        throw_if_unwritable();
        throw StatementError(line, std::move(text), sqlite3_errmsg(db_.get()));
    }

    static std::string column_text(sqlite3_stmt* statement, int column) {
        const auto* text = sqlite3_column_text(statement, column);
        return text ? reinterpret_cast<const char*>(text) : std::string();
    }

    static LogEntry history_row(sqlite3_stmt* statement) {
        LogEntry row;
        row.version_table = column_text(statement, 0);
        row.revision = column_text(statement, 1);
        row.direction = column_text(statement, 2);
        row.checksum = column_text(statement, 3);
        row.applied_at = column_text(statement, 4);
        row.duration_ms = sqlite3_column_int64(statement, 5);
        return row;
    }

    std::string path_;
    bool in_memory_ = false;
    bool opened_read_only_ = false;  // by a command that only reads
    std::string display_url_;
    std::string uri_;
    std::atomic<bool> interrupted_{false};  // before busy_ and db_, whose handlers read it
    BusyWait busy_;  // declared before db_: the connection's busy handler points at it
    Connection db_;
    std::string restore_foreign_keys_;  // for a borrowed connection: how to give it back
};

}  // namespace

void configure_sqlite_for_process() { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

std::unique_ptr<Database> open_sqlite_database(const DatabaseUrl& url, const OpenOptions& options) {
    return std::make_unique<SqliteDatabase>(url, options);
}

std::unique_ptr<Database> borrow_sqlite_connection(sqlite3* connection,
                                                   const OpenOptions& options) {
    if (!connection) throw usage_error("migrate_all was given a null SQLite connection.");
    // Refused before anything is read or created: what we wrote would join the program's
    // transaction, and its COMMIT or ROLLBACK would decide our migrations' fate.
    if (!sqlite3_get_autocommit(connection)) {
        throw usage_error(
            "migrate_all was given a SQLite connection with an open transaction; commit or roll "
            "it back first (each migration runs in a transaction of its own).");
    }
    return std::make_unique<SqliteDatabase>(connection, options);
}

void clone_sqlite_database(const DatabaseUrl& from, const DatabaseUrl& to) {
    const std::string source = from.sqlite_path.string(), target = to.sqlite_path.string();
    auto fail = [&](const std::string& why) {
        return failure(fmt::format("Cannot clone {} into {}: {}", source, target, why));
    };
    if (source == ":memory:" || target == ":memory:") throw fail("both must be database files");
    std::error_code error;
    if (!fs::is_regular_file(from.sqlite_path, error)) throw fail("the source does not exist");
    auto open = [&](const std::string& path, int flags) {
        sqlite3* handle = nullptr;
        const int result = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
        Connection connection(handle);
        if (result != SQLITE_OK) {
            throw fail(fmt::format("cannot open {}: {}", path,
                                   handle ? sqlite3_errmsg(handle) : "out of memory"));
        }
        sqlite3_busy_timeout(handle, 60000);  // a writer on the source holds the copy only briefly
        return connection;
    };
    Connection source_db = open(source, SQLITE_OPEN_READONLY);
    Connection target_db = open(target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    sqlite3_backup* backup = sqlite3_backup_init(target_db.get(), "main", source_db.get(), "main");
    if (!backup) throw fail(sqlite3_errmsg(target_db.get()));
    const int stepped = sqlite3_backup_step(backup, -1);
    const int finished = sqlite3_backup_finish(backup);
    if (stepped != SQLITE_DONE || finished != SQLITE_OK)
        throw fail(sqlite3_errmsg(target_db.get()));
}

}  // namespace fastappkit
