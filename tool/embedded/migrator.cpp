// fastappkit::Migrator: a front end over runner/ for a program's catalog. It adapts values
// and errors only; which histories run, the conflict set, the opener, the status and verify
// rules are runner/'s (run_connection.h, migration_run.h, status.h, verification.h), as for
// the CLI.
#include "fastappkit/migrator.h"

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/error.h"
#include "common/error_reason.h"
#include "db/sqlite_database.h"
#include "embedded/applied_migration.h"
#include "embedded/catalog_histories.h"
#include "embedded/database_opening.h"
#include "runner/migration_run.h"
#include "runner/history_migrator.h"
#include "runner/run_connection.h"
#include "runner/status.h"
#include "runner/verification.h"

namespace fastappkit {

bool Status::up_to_date() const noexcept {
    return std::all_of(histories.begin(), histories.end(), [](const HistoryStatus& history) {
        return history.pending.empty() && history.unfinished_revision.empty();
    });
}

MigrationError::MigrationError(const Error& error, Kind kind, std::string history,
                               std::string revision, std::vector<AppliedMigration> applied)
    : Error(error.code(), error.what()),
      kind_(kind),
      history_(std::move(history)),
      revision_(std::move(revision)),
      applied_(std::move(applied)) {}

namespace {

// Interrupts the connection of a call when the program sets its cancel flag, as the CLI's
// signal watcher does on Ctrl-C (cli/interruption.h): the running statement stops, its
// migration's transaction rolls back, and the error unwinds normally. No thread without a flag.
class CancelWatch {
public:
    explicit CancelWatch(const std::atomic<bool>* cancel) : cancel_(cancel) {
        if (cancel_) thread_ = std::thread([this] { run(); });
    }
    ~CancelWatch() {
        if (!thread_.joinable()) return;
        {
            std::lock_guard<std::mutex> guard(mutex_);
            done_ = true;
        }
        wake_.notify_one();
        thread_.join();
    }
    CancelWatch(const CancelWatch&) = delete;
    CancelWatch& operator=(const CancelWatch&) = delete;

    bool cancelled() const { return cancel_ && cancel_->load(); }
    // The connection to stop (nullptr while none is open); a new one is stopped at once when
    // the flag is already set.
    void watch(Database* database) {
        std::lock_guard<std::mutex> guard(mutex_);
        database_ = database;
        if (database_ && cancelled()) database_->interrupt();
    }

private:
    // Polls: the flag is the program's plain atomic, which cannot wake a thread. A statement
    // that started after one interrupt is stopped by the next.
    void run() {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!done_) {
            if (database_ && cancelled()) database_->interrupt();
            wake_.wait_for(lock, std::chrono::milliseconds(10));
        }
    }

    const std::atomic<bool>* cancel_;
    std::mutex mutex_;
    std::condition_variable wake_;
    Database* database_ = nullptr;
    bool done_ = false;
    std::thread thread_;
};

// Stops the watch of a connection before that connection is closed.
struct Unwatch {
    CancelWatch& cancel;
    ~Unwatch() { cancel.watch(nullptr); }
};

// Tells the program of each step; remembers the one running, for MigrationError.
class CallbackProgress : public Progress {
public:
    explicit CallbackProgress(const MigratorOptions& options) : options_(options) {}
    // Between migrations the flag is read here (inside one, CancelWatch interrupts it): the
    // step's transaction is open, so throwing rolls it back as an interrupted statement would.
    void step_started(const AppliedStep& step, bool) override {
        running_ = step;
        if (options_.on_start) options_.on_start(to_applied(step));
        if (options_.cancel && options_.cancel->load()) throw failure("Cancelled");
    }
    void step_finished(const AppliedStep& step) override {
        if (options_.on_applied) options_.on_applied(to_applied(step));
    }
    void waiting(const std::string&) override {}
    const std::optional<AppliedStep>& running() const { return running_; }

private:
    const MigratorOptions& options_;
    std::optional<AppliedStep> running_;
};

MigrationError::Kind kind_of(const std::exception& error, bool cancelled) {
    using Kind = MigrationError::Kind;
    if (cancelled) return Kind::cancelled;
    switch (reason_of(error)) {
        case ErrorReason::unknown_revision:
            return Kind::unknown_revision;
        case ErrorReason::lock_timeout:
            return Kind::lock_timeout;
        case ErrorReason::unfinished_section:
            return Kind::unfinished_section;
        case ErrorReason::none:
            break;
    }
    const auto* plain = dynamic_cast<const Error*>(&error);
    if (plain && plain->code() == ExitCode::usage) return Kind::bad_input;
    return Kind::migration_failed;
}

std::string names_of(const std::vector<std::unique_ptr<History>>& histories) {
    std::vector<std::string> names;
    for (const auto& history : histories) names.push_back(history->name());
    return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

// One catalog, one way to open the database, the options. Each call opens its own
// connection (RunConnection: read-only until there is work) and closes it before returning,
// so a borrowed connection gets its settings back between calls.
class Migrator::State {
public:
    State(const catalog::Catalog& c, RunConnection::Open open, MigratorOptions options)
        : catalog_(c), open_(std::move(open)), options_(std::move(options)) {}

    // Runs `work(connection, histories)` and turns whatever it throws into MigrationError.
    template <typename Work>
    auto call(const Target& target, CallbackProgress* progress, Work&& work) const {
        CancelWatch cancel(options_.cancel);
        try {
            if (cancel.cancelled()) throw failure("cancelled");  // worded by translate()
            RunConnection::Hooks hooks;
            hooks.before_open = [&cancel](bool) { cancel.watch(nullptr); };
            hooks.after_open = [&cancel](Database& database) { cancel.watch(&database); };
            RunConnection connection(open_, std::move(hooks));  // opened on first use
            // Declared after the connection, so freed before it closes: freeing the histories
            // after SQLite's close made glibc consolidate the close's many small blocks, 2 % of
            // a start-up no-op (bench/facade_noop.sh).
            auto histories = histories_for_one_run(catalog_);
            const Unwatch unwatch{cancel};  // before the connection closes, however this ends
            return work(connection, histories);
        } catch (const std::exception& error) {
            throw translate(error, target, progress, cancel.cancelled());
        }
    }

    const MigratorOptions& options() const { return options_; }

    // The histories `target` names: all of them for an empty history.
    static std::vector<History*> selected(const std::vector<std::unique_ptr<History>>& histories,
                                          const Target& target) {
        std::vector<History*> out;
        for (const auto& history : histories) {
            if (target.history.empty() || history->name() == target.history)
                out.push_back(history.get());
        }
        if (out.empty()) {
            throw usage_error(fmt::format("The program embeds no history named '{}' (it embeds {})",
                                          target.history, names_of(histories)));
        }
        return out;
    }

private:
    static MigrationError translate(const std::exception& error, const Target& target,
                                    const CallbackProgress* progress, bool cancelled) {
        std::string history = target.history, revision = target.revision;
        std::vector<AppliedMigration> applied;
        if (const auto* partial = dynamic_cast<const RunError*>(&error)) {
            for (const auto& step : partial->applied()) applied.push_back(to_applied(step));
        }
        // The step that failed: the last one started and not among those that committed.
        if (progress && progress->running()) {
            const AppliedStep& step = *progress->running();
            const bool committed =
                std::any_of(applied.begin(), applied.end(), [&step](const AppliedMigration& a) {
                    return a.history == step.history && a.revision == step.revision;
                });
            if (!committed) {
                history = step.history;
                revision = step.revision;
            }
        }
        const auto* as_error = dynamic_cast<const Error*>(&error);
        const bool started = progress && progress->running();
        const Error base = cancelled ? failure(cancelled_sentence(started, history, revision,
                                                                  applied.size()))
                           : as_error ? *as_error
                                      : failure(error.what());
        return MigrationError(base, kind_of(error, cancelled), std::move(history),
                              std::move(revision), std::move(applied));
    }

    static std::string cancelled_sentence(bool started, const std::string& history,
                                          const std::string& revision, std::size_t committed) {
        if (!started) return "Cancelled before any migration ran; nothing was changed";
        const std::string kept =
            committed == 0 ? std::string("nothing else was applied")
                           : fmt::format("the {} migration{} that committed before it stay{} "
                                         "applied",
                                         committed, committed == 1 ? "" : "s",
                                         committed == 1 ? "s" : "");
        return fmt::format("Cancelled while migrating {} revision {}: it was rolled back; {}",
                           history, revision, kept);
    }

    const catalog::Catalog& catalog_;
    RunConnection::Open open_;
    MigratorOptions options_;
};

Migrator::Migrator(std::unique_ptr<State> state) : state_(std::move(state)) {}
Migrator::Migrator(Migrator&&) noexcept = default;
Migrator& Migrator::operator=(Migrator&&) noexcept = default;
Migrator::~Migrator() = default;

namespace {

const catalog::Catalog& catalog_of(const MigratorOptions& options) {
    return options.catalog ? *options.catalog : default_catalog();
}

OpenOptions open_options_of(const MigratorOptions& options) {
    OpenOptions open;
    open.lock_timeout = options.lock_timeout;
    return open;
}

// Bad input found before any database is opened (a URL, a missing catalog).
template <typename Make>
Migrator checked(Make&& make) {
    try {
        return make();
    } catch (const MigrationError&) {
        throw;
    } catch (const Error& error) {
        throw MigrationError(error, MigrationError::Kind::bad_input, {}, {}, {});
    }
}

}  // namespace

Migrator Migrator::open(const std::string& database_url, const MigratorOptions& options) {
    return checked([&] {
        const DatabaseUrl url = parse_in_working_directory(database_url);
        const OpenOptions open = open_options_of(options);
        return Migrator(std::make_unique<State>(
            catalog_of(options),
            [url, open](bool read_only) {
                OpenOptions these = open;
                these.read_only = read_only;
                return open_url(url, these);
            },
            options));
    });
}

Migrator Migrator::open(sqlite3* connection, const MigratorOptions& options) {
    return checked([&] {
        const OpenOptions open = open_options_of(options);
        return Migrator(std::make_unique<State>(
            catalog_of(options),
            [connection, open](bool) { return borrow_sqlite_connection(connection, open); },
            options));
    });
}

Status Migrator::status() const {
    return state_->call({}, nullptr, [](RunConnection& connection, const auto& histories) {
        Status out;
        Database& db = connection(true);
        for (const auto& history : histories) {
            const HistoryReport found = history_report(*history, db);
            HistoryStatus& added = out.histories.emplace_back();
            added.history = found.name;
            added.version_table = found.version_table;
            added.version_rows = found.rows;
            added.heads = found.heads;
            for (const auto& pending : found.pending)
                added.pending.push_back({pending.revision, pending.message});
            if (found.unfinished) added.unfinished_revision = found.unfinished->revision;
        }
        return out;
    });
}

namespace {

std::vector<AppliedMigration> move(RunConnection& connection,
                                   const std::vector<std::unique_ptr<History>>& histories,
                                   const Target& target, Direction direction, Progress& progress) {
    RunRequest request;
    request.histories = Migrator::State::selected(histories, target);
    request.direction = direction;
    request.target = target.revision.empty() ? "head" : target.revision;
    if (direction == Direction::upgrade)
        request.conflict_checked = conflict_checked(request.histories, is_standalone(histories));
    const RunResult result = run_migrations(request, std::ref(connection), progress);
    std::vector<AppliedMigration> applied;
    for (const auto& outcome : result.histories) {
        for (const auto& step : outcome.applied) applied.push_back(to_applied(step));
    }
    return applied;
}

}  // namespace

std::vector<AppliedMigration> Migrator::upgrade(const Target& target) {
    if (target.history.empty() && !target.revision.empty()) {
        throw MigrationError(
            usage_error(fmt::format("upgrade to '{}' needs a history: a revision belongs to one "
                                    "history (Target{{\"core\", \"{}\"}})",
                                    target.revision, target.revision)),
            MigrationError::Kind::bad_input, {}, target.revision, {});
    }
    CallbackProgress progress(state_->options());
    return state_->call(target, &progress, [&](RunConnection& connection, const auto& histories) {
        return move(connection, histories, target, Direction::upgrade, progress);
    });
}

std::vector<AppliedMigration> Migrator::downgrade(const Target& target) {
    if (target.history.empty() || target.revision.empty()) {
        throw MigrationError(
            usage_error("downgrade needs a history and a revision (for example "
                        "Target{\"core\", \"-1\"} or Target{\"payments\", \"base\"})"),
            MigrationError::Kind::bad_input, target.history, target.revision, {});
    }
    CallbackProgress progress(state_->options());
    return state_->call(target, &progress, [&](RunConnection& connection, const auto& histories) {
        return move(connection, histories, target, Direction::downgrade, progress);
    });
}

std::string Migrator::preview(const Target& target) const {
    return state_->call(target, nullptr, [&](RunConnection& connection, const auto& histories) {
        const MigratorOptions no_callbacks;
        CallbackProgress silent(no_callbacks);
        std::string sql;
        for (History* history : State::selected(histories, target)) {
            const std::string revision = target.revision.empty() ? "head" : target.revision;
            const std::string part = HistoryMigrator(*history, connection(true), silent)
                                         .preview(Direction::upgrade, revision);
            if (part.empty()) continue;
            sql += fmt::format("-- {} ({})\n{}", history->name(), history->version_table(), part);
        }
        return sql;
    });
}

std::vector<Finding> Migrator::verify() const {
    return state_->call({}, nullptr, [](RunConnection& connection, const auto& histories) {
        std::vector<Finding> out;
        for (const auto& history : histories) {
            for (const auto& edited : verify_history(*history, connection(true)).edited) {
                out.push_back({edited.history, edited.revision, edited.file, edited.recorded,
                               edited.current});
            }
        }
        return out;
    });
}

}  // namespace fastappkit
