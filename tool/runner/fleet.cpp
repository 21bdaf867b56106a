#include "runner/fleet.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "common/error.h"
#include "config/database_url.h"
#include "runner/migration_run.h"
#include "runner/history_migrator.h"
#include "runner/run_error.h"

namespace fastappkit {

const char* to_string(TargetStatus status) {
    switch (status) {
        case TargetStatus::applied:
            return "applied";
        case TargetStatus::unchanged:
            return "unchanged";
        case TargetStatus::pending:
            return "pending";
        case TargetStatus::drifted:
            return "drifted";
        case TargetStatus::failed:
            return "failed";
        case TargetStatus::skipped:
            return "skipped";
    }
    return "skipped";
}

size_t FleetResult::count(TargetStatus status) const {
    return static_cast<size_t>(std::count_if(targets.begin(), targets.end(),
                                             [&](const auto& t) { return t.status == status; }));
}

int FleetResult::exit_code() const {
    bool failed = count(TargetStatus::drifted) > 0, only_usage = !failed;
    for (const auto& target : targets) {
        if (target.status != TargetStatus::failed) continue;
        if (target.exit_code == static_cast<int>(ExitCode::interrupted)) return target.exit_code;
        failed = true;
        if (target.exit_code != static_cast<int>(ExitCode::usage)) only_usage = false;
    }
    if (!failed) return 0;
    return static_cast<int>(only_usage ? ExitCode::usage : ExitCode::failure);
}

namespace {

using Clock = std::chrono::steady_clock;

long long since_ms(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// A target's run hears nothing step by step: its result says what it applied.
class Quiet : public Progress {
public:
    void step_finished(const AppliedStep&) override {}
    void waiting(const std::string&) override {}
};

// One target: its own connection (read-only for the checks, writable only when there is
// work, as `migrate all` opens it) and its own Histories over the fleet's parsed graph.
class TargetRunner {
public:
    TargetRunner(const FleetRun& run, size_t index) : run_(run), index_(index) {}
    ~TargetRunner() { close(); }
    TargetRunner(const TargetRunner&) = delete;
    TargetRunner& operator=(const TargetRunner&) = delete;

    TargetResult operator()() {
        const auto started = Clock::now();
        TargetResult result;
        result.index = index_;
        result.target = mask_passwords(run_.targets[index_]);
        try {
            const DatabaseUrl url = parse_database_url(run_.targets[index_], run_.root);
            result.target = url.masked();
            FleetHistories set = run_.histories();
            RunRequest request;
            for (auto& history : set.histories) request.histories.push_back(history.get());
            request.conflict_checked = set.conflict_checked;
            auto opener = [&](bool read_only) -> Database& { return open(url, read_only); };
            if (run_.audit) {
                result.drift = run_.audit(opener(true), url, request.histories);
                result.status =
                    result.drift.empty() ? TargetStatus::unchanged : TargetStatus::drifted;
            } else if (run_.dry_run) {
                collect_pending(request, opener(true), result);
            } else {
                Quiet quiet;
                const RunResult moved = run_migrations(request, opener, quiet);
                for (const auto& outcome : moved.histories) {
                    result.applied.insert(result.applied.end(), outcome.applied.begin(),
                                          outcome.applied.end());
                }
                result.status =
                    result.applied.empty() ? TargetStatus::unchanged : TargetStatus::applied;
            }
        } catch (const Error& e) {
            if (const auto* partial = dynamic_cast<const RunError*>(&e))
                result.applied = partial->applied();
            fail(result, e.code(), e.what());
        } catch (const std::exception& e) {
            fail(result, ExitCode::failure, e.what());
        }
        close();
        result.duration_ms = since_ms(started);
        return result;
    }

private:
    Database& open(const DatabaseUrl& url, bool read_only) {
        if (connection_ && (!read_only_ || read_only)) return *connection_;
        close();
        OpenOptions options = run_.open;
        options.read_only = read_only;
        connection_ = run_.open_database(url, options);
        read_only_ = read_only;
        if (run_.on_connection) run_.on_connection(index_, connection_.get());
        return *connection_;
    }

    void close() {
        if (!connection_) return;
        if (run_.on_connection) run_.on_connection(index_, nullptr);
        connection_.reset();
    }

    void collect_pending(const RunRequest& request, Database& db, TargetResult& result) {
        check_version_table_conflicts(request.conflict_checked, db);
        Quiet quiet;
        for (History* history : request.histories) {
            const auto pending =
                HistoryMigrator(*history, db, quiet).pending(Direction::upgrade, "head").steps;
            for (const Step& step : pending) {
                const auto& script = history->header(step);
                result.pending.push_back({history->name(), script.revision, script.message});
            }
        }
        result.status = result.pending.empty() ? TargetStatus::unchanged : TargetStatus::pending;
    }

    void fail(TargetResult& result, ExitCode code, const std::string& message) {
        result.status = TargetStatus::failed;
        const bool cancelled = run_.cancel && run_.cancel->load();
        result.exit_code = static_cast<int>(cancelled ? ExitCode::interrupted : code);
        result.error = cancelled ? "Interrupted" : mask_passwords(message);
    }

    const FleetRun& run_;
    size_t index_;
    std::unique_ptr<Database> connection_;
    bool read_only_ = true;
};

// The shared state of the workers: the next target to start and whether to start any more.
class Scheduler {
public:
    Scheduler(const FleetRun& run, FleetResult& report) : run_(run), report_(report) {}

    // Runs targets [first, last) on at most run_.parallel threads.
    void run_range(size_t first, size_t last) {
        next_ = first;
        last_ = last;
        const size_t threads = std::min(std::max<size_t>(run_.parallel, 1), last - first);
        std::vector<std::thread> workers;
        for (size_t i = 1; i < threads; ++i) workers.emplace_back([this] { work(); });
        work();
        for (auto& worker : workers) worker.join();
    }

    size_t failures() const { return failures_; }

    // Marks every target not started as skipped, with `why`.
    void skip_rest(const std::string& why) {
        for (auto& target : report_.targets) {
            if (target.status == TargetStatus::skipped && target.error.empty()) {
                target.target = mask_passwords(run_.targets[target.index]);
                target.error = why;
            }
        }
    }

    std::string stop_reason() const {
        std::lock_guard<std::mutex> guard(mutex_);
        return stop_reason_;
    }

private:
    void work() {
        while (true) {
            size_t index;
            {
                std::lock_guard<std::mutex> guard(mutex_);
                if (run_.cancel && run_.cancel->load() && stop_reason_.empty())
                    stop_reason_ = "Interrupted before this target started";
                if (!stop_reason_.empty() || next_ >= last_) return;
                index = next_++;
            }
            TargetResult result = TargetRunner(run_, index)();
            std::lock_guard<std::mutex> guard(mutex_);
            if (result.status == TargetStatus::failed) {
                ++failures_;
                if (stop_reason_.empty()) {
                    if (run_.on_error == FleetOnError::stop) {
                        stop_reason_ = fmt::format(
                            "Not started: target {} failed and --on-error is stop", index + 1);
                    } else if (run_.max_failures && failures_ >= *run_.max_failures) {
                        stop_reason_ =
                            fmt::format("Not started: {} targets failed (--max-failures {})",
                                        failures_, *run_.max_failures);
                    }
                }
            }
            report_.targets[index] = std::move(result);
            if (run_.on_target_done) run_.on_target_done(report_.targets[index]);
        }
    }

    const FleetRun& run_;
    FleetResult& report_;
    mutable std::mutex mutex_;
    size_t next_ = 0;
    size_t last_ = 0;
    size_t failures_ = 0;
    std::string stop_reason_;
};

}  // namespace

FleetResult run_fleet(const FleetRun& run) {
    if (run.parallel == 0) throw usage_error("--parallel must be at least 1");
    if (run.max_failures && *run.max_failures == 0)
        throw usage_error("--max-failures must be at least 1");
    const auto started = Clock::now();
    FleetResult report;
    report.targets.resize(run.targets.size());
    for (size_t i = 0; i < run.targets.size(); ++i) report.targets[i].index = i;

    Scheduler scheduler(run, report);
    const size_t canary = std::min(run.canary, run.targets.size());
    if (canary > 0) {
        scheduler.run_range(0, canary);
        if (scheduler.failures() > 0) {
            scheduler.skip_rest(
                fmt::format("Not started: a canary target failed (--canary {})", run.canary));
            report.duration_ms = since_ms(started);
            return report;
        }
    }
    if (canary < run.targets.size() && scheduler.stop_reason().empty())
        scheduler.run_range(canary, run.targets.size());
    std::string why = scheduler.stop_reason();
    scheduler.skip_rest(why.empty() ? "Not started" : why);
    report.duration_ms = since_ms(started);
    return report;
}

}  // namespace fastappkit
