// Loads the PostgreSQL plugin and calls into it. Every call runs inside the plugin's guard
// (db/plugin_abi.h), and the errors it reports are rethrown here as the runner's own types,
// so the runner never depends on catching an exception type of another shared object.
#include "db/postgres_plugin.h"

#include <dlfcn.h>

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "common/error_reason.h"
#include "db/plugin_abi.h"

#ifndef FASTAPPKIT_PLUGIN_RELATIVE_DIR
#define FASTAPPKIT_PLUGIN_RELATIVE_DIR "../lib/fastappkit"
#endif
#ifndef FASTAPPKIT_VERSION
#define FASTAPPKIT_VERSION "0.0.0"
#endif

namespace fastappkit {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPluginFile = "fastappkit_postgresql.so";

// Beside the runner (build tree), then the installed plugin directory; FASTAPPKIT_PLUGIN (a
// file) replaces both, for tests and unusual installs.
std::vector<fs::path> plugin_candidates() {
    if (const char* file = std::getenv("FASTAPPKIT_PLUGIN"); file && *file) return {fs::path(file)};
    std::error_code ec;
    fs::path exe_dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
    return {exe_dir / kPluginFile,
            (exe_dir / FASTAPPKIT_PLUGIN_RELATIVE_DIR / kPluginFile).lexically_normal()};
}

struct Plugin {
    fs::path file;
    void* handle = nullptr;
    fastappkit_plugin_guard_fn* guard = nullptr;
};

template <typename Function>
Function* symbol(const Plugin& plugin, const char* name) {
    void* address = dlsym(plugin.handle, name);
    if (!address) {
        throw failure(
            fmt::format("The PostgreSQL plugin {} lacks {}: it does not belong to this fastappkit "
                        "{}; reinstall fastappkit",
                        plugin.file.string(), name, FASTAPPKIT_VERSION));
    }
    return reinterpret_cast<Function*>(address);
}

Plugin load_plugin() {
    std::string errors;
    const auto candidates = plugin_candidates();
    for (const auto& candidate : candidates) {
        std::error_code ec;
        if (!fs::exists(candidate, ec)) continue;
        void* handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            errors += std::string("; ") + dlerror();
            continue;
        }
        Plugin plugin{candidate, handle, nullptr};
        const std::string version =
            symbol<fastappkit_plugin_version_fn>(plugin, "fastappkit_plugin_version")();
        if (version != FASTAPPKIT_VERSION) {
            dlclose(handle);
            throw failure(fmt::format(
                "The PostgreSQL plugin {} is version {}, but this runner is fastappkit {}; "
                "install both from one build",
                candidate.string(), version, FASTAPPKIT_VERSION));
        }
        plugin.guard = symbol<fastappkit_plugin_guard_fn>(plugin, "fastappkit_plugin_guard");
        return plugin;
    }
    std::vector<std::string> dirs;
    for (const auto& candidate : candidates) dirs.push_back(candidate.parent_path().string());
    throw failure(
        fmt::format("PostgreSQL support is not available: cannot load {} (looked in {}{})",
                    kPluginFile, fmt::join(dirs, " and "), errors));
}

// The plugin stays loaded for the life of the process.
const Plugin& plugin() {
    static const Plugin loaded = load_plugin();
    return loaded;
}

// Takes ownership of the plugin's strings and throws the runner's own exception.
[[noreturn]] void rethrow(fastappkit_plugin_error& error) {
    const std::string message = error.message ? error.message : "";
    const std::string statement = error.statement ? error.statement : "";
    std::free(error.message);
    std::free(error.statement);
    switch (error.kind) {
        case FASTAPPKIT_PLUGIN_STATEMENT_ERROR: {
            StatementError failed(error.line, statement, message);
            failed.lock_not_available = error.lock_not_available != 0;
            throw failed;
        }
        case FASTAPPKIT_PLUGIN_ERROR: {
            const Error plain(error.exit_code == static_cast<int>(ExitCode::usage)
                                  ? ExitCode::usage
                                  : ExitCode::failure,
                              message);
            // The reason too: a program embedding the runner tells a lock timeout apart by it.
            if (error.reason != 0) throw with_reason(static_cast<ErrorReason>(error.reason), plain);
            throw plain;
        }
        default:
            throw failure(fmt::format("The PostgreSQL plugin {} failed: {}", plugin().file.string(),
                                      message));
    }
}

// Runs `call` (which calls into the plugin) inside the plugin's guard; returns its result.
template <typename Call>
auto guarded(Call&& call) -> decltype(call()) {
    using Result = decltype(call());
    fastappkit_plugin_error error{};
    if constexpr (std::is_void_v<Result>) {
        auto body = [](void* context) {
            (*static_cast<std::remove_reference_t<Call>*>(context))();
        };
        plugin().guard(body, &call, &error);
        if (error.kind != FASTAPPKIT_PLUGIN_OK) rethrow(error);
    } else {
        std::pair<std::remove_reference_t<Call>*, Result> state{&call, Result{}};
        auto body = [](void* context) {
            auto* s = static_cast<decltype(state)*>(context);
            s->second = (*s->first)();
        };
        plugin().guard(body, &state, &error);
        if (error.kind != FASTAPPKIT_PLUGIN_OK) rethrow(error);
        return std::move(state.second);
    }
}

class PluginTransaction : public Transaction {
public:
    explicit PluginTransaction(std::unique_ptr<Transaction> inner) : inner_(std::move(inner)) {}
    void commit() override {
        guarded([&] { inner_->commit(); });
    }

private:
    std::unique_ptr<Transaction> inner_;  // its destructor never throws
};

// The plugin's Database, every call guarded.
class PluginDatabase : public Database {
public:
    explicit PluginDatabase(std::unique_ptr<Database> inner) : inner_(std::move(inner)) {}

    Dialect dialect() const override {
        return guarded([&] { return inner_->dialect(); });
    }
    std::string display_url() const override {
        return guarded([&] { return inner_->display_url(); });
    }
    bool has_table(const std::string& table) override {
        return guarded([&] { return inner_->has_table(table); });
    }
    std::vector<std::string> read_versions(const std::string& version_table) override {
        return guarded([&] { return inner_->read_versions(version_table); });
    }
    std::vector<LogEntry> read_log(const std::string& version_table) override {
        return guarded([&] { return inner_->read_log(version_table); });
    }
    void ensure_history_table() override {
        guarded([&] { inner_->ensure_history_table(); });
    }
    void ensure_table(const std::string& table, const std::string& create_sql) override {
        guarded([&] { inner_->ensure_table(table, create_sql); });
    }
    bool has_column(const std::string& table, const std::string& column) override {
        return guarded([&] { return inner_->has_column(table, column); });
    }
    void ensure_column(const std::string& table, const std::string& column,
                       const std::string& definition) override {
        guarded([&] { inner_->ensure_column(table, column, definition); });
    }
    // From the watcher thread; the plugin's own interrupt() never throws.
    void interrupt() noexcept override { inner_->interrupt(); }
    std::unique_ptr<HistoryLock> lock_history(const std::string& version_table) override {
        return guarded([&] { return inner_->lock_history(version_table); });
    }
    std::unique_ptr<Transaction> begin() override {
        return std::make_unique<PluginTransaction>(guarded([&] { return inner_->begin(); }));
    }
    std::unique_ptr<HistoryLock> wait_for_history(const std::string& version_table) override {
        return guarded([&] { return inner_->wait_for_history(version_table); });
    }
    std::unique_ptr<Transaction> begin_snapshot() override {
        return std::make_unique<PluginTransaction>(
            guarded([&] { return inner_->begin_snapshot(); }));
    }
    void execute(std::string_view sql, int first_line) override {
        guarded([&] { inner_->execute(sql, first_line); });
    }
    std::vector<std::vector<std::optional<std::string>>> query(std::string_view sql) override {
        return guarded([&] { return inner_->query(sql); });
    }
    void savepoint(const std::string& name) override {
        guarded([&] { inner_->savepoint(name); });
    }
    void rollback_to_savepoint(const std::string& name) override {
        guarded([&] { inner_->rollback_to_savepoint(name); });
    }
    void release_savepoint(const std::string& name) override {
        guarded([&] { inner_->release_savepoint(name); });
    }
    bool make_writable() override {
        return guarded([&] { return inner_->make_writable(); });
    }
    void execute_batched(std::string_view section, int first_line,
                         const std::vector<std::string>& bookkeeping) override {
        guarded([&] { inner_->execute_batched(section, first_line, bookkeeping); });
    }
    void execute_in_savepoint(std::string_view section, int first_line,
                              const std::vector<std::string>& bookkeeping,
                              const std::string& name) override {
        guarded([&] { inner_->execute_in_savepoint(section, first_line, bookkeeping, name); });
    }
    bool history_lock_is_exclusive() const override {
        return guarded([&] { return inner_->history_lock_is_exclusive(); });
    }
    std::string batch_elapsed_ms_sql() const override {
        return guarded([&] { return inner_->batch_elapsed_ms_sql(); });
    }
    void fence(const std::string& version_table) override {
        guarded([&] { inner_->fence(version_table); });
    }
    std::string fence_check_sql(const std::string& version_table) override {
        return guarded([&] { return inner_->fence_check_sql(version_table); });
    }
    bool execute_transaction(std::string_view section, int first_line,
                             const std::vector<std::string>& bookkeeping, const Timeouts& timeouts,
                             const std::string& version_table,
                             const std::vector<std::string>& expected_heads) override {
        return guarded([&] {
            return inner_->execute_transaction(section, first_line, bookkeeping, timeouts,
                                               version_table, expected_heads);
        });
    }
    void limit_transaction(const Timeouts& timeouts) override {
        guarded([&] { inner_->limit_transaction(timeouts); });
    }
    std::string outside_transaction_refusal() const override {
        return guarded([&] { return inner_->outside_transaction_refusal(); });
    }
    // `completed` is called from inside the plugin: should it throw all the same, the
    // exception is caught here, on the runner's side, and rethrown once the plugin returned.
    void execute_outside_transaction(std::string_view sql, int first_line, const Timeouts& timeouts,
                                     const StatementCompleted& completed) override {
        std::exception_ptr thrown;
        StatementCompleted contained;
        if (completed) {
            contained = [&](const CompletedStatement& statement) {
                if (thrown) return;
                try {
                    completed(statement);
                } catch (...) {
                    thrown = std::current_exception();
                }
            };
        }
        guarded([&] { inner_->execute_outside_transaction(sql, first_line, timeouts, contained); });
        if (thrown) std::rethrow_exception(thrown);
    }

private:
    std::unique_ptr<Database> inner_;
};

}  // namespace

std::unique_ptr<Database> load_and_open_postgres(const DatabaseUrl& url,
                                                 const OpenOptions& options) {
    using Open = Database*(const DatabaseUrl&, const OpenOptions&);
    Open* open = symbol<Open>(plugin(), "fastappkit_postgresql_open");
    return std::make_unique<PluginDatabase>(
        guarded([&] { return std::unique_ptr<Database>(open(url, options)); }));
}

void load_and_reset_postgres(const DatabaseUrl& url, bool create) {
    using Reset = void(const DatabaseUrl&, bool);
    Reset* reset = symbol<Reset>(plugin(), "fastappkit_postgresql_reset");
    guarded([&] { reset(url, create); });
}

void load_and_clone_postgres(const DatabaseUrl& from, const DatabaseUrl& to) {
    using Clone = void(const DatabaseUrl&, const DatabaseUrl&);
    Clone* clone = symbol<Clone>(plugin(), "fastappkit_postgresql_clone");
    guarded([&] { clone(from, to); });
}

}  // namespace fastappkit
