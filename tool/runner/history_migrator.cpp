#include "runner/history_migrator.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/error_reason.h"
#include "db/schema_sql.h"
#include "runner/sql_renderer.h"
#include "runner/step_statements.h"
#include "runner/unfinished_section.h"
#include "script/checksum.h"

namespace fastappkit {

namespace {

using Clock = std::chrono::steady_clock;

// A transactional migration stopped by its lock timeout (and rolled back): it may run again.
struct LockNotAvailable {
    std::string where;      // file:line of the statement
    std::string statement;  // its first line
};

// Waits between attempts of a migration that hit its lock timeout: 0.5 s, 1 s, 2 s, …
std::chrono::milliseconds retry_wait(int attempt) {
    return std::chrono::milliseconds(500) * (1 << std::min(attempt, 6));
}

std::string first_line(const std::string& text, size_t limit = 160) {
    std::string line = text.substr(0, text.find('\n'));
    if (line.size() > limit) line = line.substr(0, limit) + "…";
    return line;
}

std::string trimmed(const std::string& sql) {
    auto begin = sql.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos) return {};
    auto end = sql.find_last_not_of(" \t\r\n");
    return sql.substr(begin, end - begin + 1);
}

std::vector<std::string> ids_of(const RevisionGraph& graph, const RevisionGraph::Nodes& nodes) {
    std::vector<std::string> out;
    for (auto n : nodes) out.push_back(graph.id(n));
    return out;
}

// Whether the batch that opens a fresh history's `steps` creates fastappkit_history itself,
// after its BEGIN (history_table_in_batch); otherwise the run commits the table first. The run
// and the preview both ask this.
bool first_batch_creates_history_table(History& history, Dialect dialect,
                                       const std::vector<Step>& steps, bool fresh) {
    return fresh && !steps.empty() && history_table_in_batch(dialect) &&
           StepStatements(history, steps.front(), dialect).section().transactional;
}

// What a preview prints for `steps`, starting from version rows `heads`: the statements
// StepStatements gives the run, in the transactions the run uses (`fresh`: a history with no
// version rows, upgraded in batches). The history row's applied_at and duration are the
// preview's own; the run's are taken when it runs.
std::string render_steps(History& history, Dialect dialect, const std::vector<std::string>& heads,
                         const std::vector<Step>& steps, bool version_table_exists,
                         bool history_table_exists, bool unfinished_table_exists, bool fresh) {
    const auto& graph = history.graph();
    HeadMaintainer maintainer(graph, heads);
    std::string out;
    auto statement = [&out](const std::string& sql) { out += sql + ";\n\n"; };
    auto statements = [&statement](const std::vector<std::string>& list) {
        for (const auto& sql : list) statement(sql);
    };
    auto section_text = [&out](const Section& section) {
        if (auto sql = trimmed(section.sql); !sql.empty()) {
            out += sql;
            out += sql.back() == ';' ? "\n\n" : ";\n\n";
        }
    };
    bool history_table_pending = !history_table_exists && !steps.empty();
    if (history_table_pending &&
        !first_batch_creates_history_table(history, dialect, steps, fresh)) {
        statement(create_history_table_sql());
        history_table_pending = false;
    }
    bool table_exists = version_table_exists;
    std::optional<Timeouts> batch;  // the open batch's timeouts, while one is open
    for (const auto& step : steps) {
        const StepStatements st(history, step, dialect);
        if (batch && !joins_batch(*batch, st)) {
            statement("COMMIT");
            batch.reset();
        }
        out += fmt::format("-- Running {}\n\n", step_title(graph, step));
        const bool opens = !batch;
        if (opens) {
            statement("BEGIN");
            statements(st.limits());
            if (history_table_pending) statement(create_history_table_sql());
            history_table_pending = false;
        }
        if (!st.section().transactional && !unfinished_table_exists) {
            statement(create_unfinished_table_sql());
            unfinished_table_exists = true;
        }
        statements(st.prepare(!table_exists));
        table_exists = true;
        if (!st.section().transactional) {
            // Committed first; the section runs on its own, its timeouts as session settings.
            statement("COMMIT");
            statements(st.session_limits());
            section_text(st.section());
            statements(st.progress_updates());
            if (!st.session_limits().empty()) {
                statement("RESET lock_timeout");
                statement("RESET statement_timeout");
            }
            statement("BEGIN");
            statements(st.record(maintainer, "0"));
            statement("COMMIT");
            continue;
        }
        if (fresh) {
            if (opens) batch = st.timeouts();
            const bool savepoint = batch_savepoints(dialect);
            if (savepoint) statement(fmt::format("SAVEPOINT {}", kBatchSavepoint));
            section_text(st.section());
            statements(st.record(maintainer, "0"));
            if (savepoint) statement(fmt::format("RELEASE SAVEPOINT {}", kBatchSavepoint));
            continue;
        }
        section_text(st.section());
        statements(st.record(maintainer, "0"));
        statement("COMMIT");
    }
    if (batch) statement("COMMIT");
    return out;
}

// Whether a checkpoint of `history` has an upgrade section for `dialect` (a checkpoint is
// written for one dialect at a time).
std::function<bool(size_t)> checkpoint_usable(History& history, Dialect dialect) {
    return [&history, dialect](size_t i) {
        Step step(history.graph().checkpoints()[i].node, Direction::upgrade);
        step.checkpoint = static_cast<int>(i);
        return history.body(step).section(Direction::upgrade, to_string(dialect)) != nullptr;
    };
}

// Bodies a check keeps for the run that follows, at most; past it, a long plan's files are
// read again when they run instead of all being held in memory.
constexpr size_t kKeptBodyBytes = 1 << 20;

// Reads each step's file to check it has the section that will run.
// `outside_refusal`: why the database cannot run a transaction:false section, if it cannot.
void check_sections_of(History& history, Dialect dialect, const std::vector<Step>& steps,
                       const std::string& outside_refusal) {
    for (const auto& step : steps) {
        const bool was_loaded = history.header(step).body_loaded;
        const MigrationScript& script = history.body(step);
        const Section* section = script.section(step.direction, to_string(dialect));
        const bool present = section != nullptr;
        const bool outside = present && !section->transactional;
        if (!was_loaded && history.loaded_body_bytes() > kKeptBodyBytes)
            history.release_body(step);
        if (outside && !outside_refusal.empty()) {
            throw usage_error(fmt::format(
                "{}: revision {} has a transaction:false section, which cannot run here: {}",
                script.file, script.revision, outside_refusal));
        }
        if (present) continue;
        if (step.direction == Direction::upgrade) {
            throw usage_error(fmt::format("{}: revision {} has no upgrade section", script.file,
                                          script.revision));
        }
        throw failure(fmt::format(
            "{}: cannot downgrade across revision {}: {} has no downgrade section, so it is "
            "irreversible; nothing was changed",
            history.name(), script.revision, script.file));
    }
}

}  // namespace

std::vector<Step> HistoryMigrator::plan(Direction direction, const RevisionGraph::Nodes& heads,
                                 const std::string& target) {
    const auto& graph = history_.graph();
    if (direction == Direction::upgrade && heads.empty())
        return plan_fresh_upgrade(graph, target, checkpoint_usable(history_, db_.dialect()));
    return direction == Direction::upgrade ? plan_upgrade(graph, heads, target)
                                           : plan_downgrade(graph, heads, target);
}

void HistoryMigrator::check_sections(const std::vector<Step>& steps) {
    check_sections_of(history_, db_.dialect(), steps, db_.outside_transaction_refusal());
}

HistoryMigrator::Pending HistoryMigrator::pending(Direction direction, const std::string& target) {
    Pending result{current(), {}};
    result.steps = plan(direction, heads_from_versions(history_.graph(), result.heads), target);
    check_sections(result.steps);
    return result;
}

MigrationResult HistoryMigrator::upgrade(const std::string& target) {
    return run(Direction::upgrade, target);
}

MigrationResult HistoryMigrator::downgrade(const std::string& target) {
    return run(Direction::downgrade, target);
}

// Locks the history, reads the heads and runs step by step; whenever another runner moved the
// heads in between, it plans again from the new heads. Files are not re-checked here: callers
// check every history with pending() first, so that bad input changes nothing (run_step still
// refuses a step without its section).
MigrationResult HistoryMigrator::run(Direction direction, const std::string& target) {
    MigrationResult result;
    try {
        auto lock = db_.lock_history(history_.version_table());
        refuse_unfinished_section(db_, history_);
        std::optional<bool> fresh;  // the history had no version rows when the run began
        for (bool replan = true; replan;) {
            auto versions = current();
            if (!fresh) fresh = direction == Direction::upgrade && versions.empty();
            auto steps = plan(direction, heads_from_versions(history_.graph(), versions), target);
            if (steps.empty()) break;
            if (result.applied.empty() &&
                !first_batch_creates_history_table(history_, db_.dialect(), steps, *fresh))
                db_.ensure_history_table();
            HeadMaintainer heads(history_.graph(), versions);
            replan = false;
            for (size_t next = 0; next < steps.size() && !replan;) {
                if (*fresh) {
                    replan = !run_batch_with_retries(steps, next, heads, result.applied);
                    continue;
                }
                auto applied = run_step_with_retries(steps[next], heads);
                if (!applied) {
                    replan = true;
                    break;
                }
                result.applied.push_back(std::move(*applied));
                ++next;
            }
        }
        result.heads = current();
    } catch (const Error& e) {
        throw RunError(e, std::move(result.applied));
    }
    return result;
}

std::optional<AppliedStep> HistoryMigrator::run_step_with_retries(const Step& step,
                                                           HeadMaintainer& heads) {
    for (int attempt = 0;; ++attempt) {
        try {
            return run_step(step, heads);
        } catch (const LockNotAvailable& stopped) {
            wait_to_retry(step, attempt, stopped.where, stopped.statement);
        }
    }
}

void HistoryMigrator::wait_to_retry(const Step& step, int attempt, const std::string& where,
                             const std::string& statement) {
    const int retries = history_.settings().lock_retries.value_or(kDefaultLockRetries);
    const MigrationScript& script = history_.header(step);
    if (attempt >= retries) {
        throw with_reason(
            ErrorReason::lock_timeout,
            failure(fmt::format(
                "{}: revision {} could not get its lock: the lock timeout ran out on all {} "
                "attempts at {} (statement: {}); it was rolled back, so run it again when the "
                "table is less busy or raise lock_timeout",
                history_.name(), script.revision, attempt + 1, where, statement)));
    }
    const auto wait = retry_wait(attempt);
    progress_.waiting(fmt::format(
        "{}: revision {} could not get its lock; trying again in {} ms (attempt {} of {})",
        history_.name(), script.revision, wait.count(), attempt + 2, retries + 1));
    if (sleep_) {
        sleep_(wait);
    } else {
        std::this_thread::sleep_for(wait);
    }
}

// The steps before the one stopped by its lock timeout committed: the retry starts a new
// batch at that step (so no transaction stays open, holding locks, while it waits).
bool HistoryMigrator::run_batch_with_retries(const std::vector<Step>& steps, size_t& next,
                                      HeadMaintainer& heads, std::vector<AppliedStep>& applied) {
    for (int attempt = 0;; ++attempt) {
        const size_t started_at = next;
        try {
            return run_batch(steps, next, steps.size(), heads, applied);
        } catch (const LockNotAvailable& stopped) {
            if (next != started_at) attempt = 0;  // a later step's first attempt
            wait_to_retry(steps[next], attempt, stopped.where, stopped.statement);
        }
    }
}

// One transaction for many migrations: on a fresh database nothing is there yet for other
// sessions to wait on, and one commit (one sync of the disk) instead of one per migration is
// most of the time of a fresh SQLite database. The heads are read under the fence once, and
// the fence's check runs before the one COMMIT, so that the lock must still be held then.
bool HistoryMigrator::run_batch(const std::vector<Step>& steps, size_t& next, size_t end,
                         HeadMaintainer& heads, std::vector<AppliedStep>& applied) {
    const Step& first = steps[next];
    Timeouts timeouts;
    {
        const StepStatements opening(history_, first, db_.dialect());
        if (!opening.section().transactional) {
            auto one = run_step(first, heads);
            if (!one) return false;
            applied.push_back(std::move(*one));
            ++next;
            return true;
        }
        timeouts = opening.timeouts();
    }
    const std::string& version_table = history_.version_table();
    auto tx = db_.begin();
    for (const auto& sql : timeout_sql(db_.dialect(), timeouts, true)) db_.execute(sql);
    db_.fence(version_table);
    if (heads_moved(heads)) return false;
    if (history_table_in_batch(db_.dialect()) && !db_.has_table(kHistoryTable))
        db_.execute(create_history_table_sql());
    bool create_version_table = heads.heads().empty() && !db_.has_table(version_table);
    HeadMaintainer after = heads;  // `heads` moves only once the batch committed
    std::vector<AppliedStep> done;
    std::optional<StatementError> failed;
    bool at_savepoint = false;  // the failed step's work is not undone yet
    const bool savepoints = batch_savepoints(db_.dialect());
    bool lost = false;  // a failure without a savepoint ended the batch's transaction
    const std::string server_elapsed_ms = db_.batch_elapsed_ms_sql();
    size_t at = next;
    for (; at < end; ++at) {
        const Step& step = steps[at];
        const StepStatements st(history_, step, db_.dialect());
        if (at > next && !joins_batch(timeouts, st)) break;  // a batch of its own, after this one
        for (const auto& sql : st.prepare(create_version_table)) db_.execute(sql);
        create_version_table = false;
        const MigrationScript& script = st.script();
        const Section& section = st.section();
        const auto started = Clock::now();
        auto elapsed_ms = [&] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started)
                .count();
        };
        progress_.step_started(
            {history_.name(), script.revision, script.message, step.direction, 0}, true);
        long long ms = 0;
        if (!server_elapsed_ms.empty()) {
            // The section and its bookkeeping in one call (one round trip on PostgreSQL), the
            // history row timed by the database.
            HeadMaintainer moved = after;
            const auto bookkeeping = st.record(moved, server_elapsed_ms);
            try {
                if (savepoints) {
                    db_.execute_in_savepoint(section.sql, section.marker_line + 1, bookkeeping,
                                             kBatchSavepoint);
                } else {
                    db_.execute_batched(section.sql, section.marker_line + 1, bookkeeping);
                }
            } catch (const StatementError& e) {
                lost = !savepoints;
                failed = e;
                break;
            } catch (const Error&) {  // a bookkeeping statement
                if (savepoints) throw;
                lost = true;
                break;
            }
            after.take_heads_of(moved);
            ms = elapsed_ms();
        } else {
            db_.savepoint(kBatchSavepoint);
            try {
                db_.execute(section.sql, section.marker_line + 1);
            } catch (const StatementError& e) {
                failed = e;
                at_savepoint = true;
                break;
            }
            ms = elapsed_ms();
            for (const auto& sql : st.record(after, std::to_string(ms))) db_.execute(sql);
            db_.release_savepoint(kBatchSavepoint);
        }
        done.push_back({history_.name(), script.revision, script.message, step.direction, ms});
        history_.release_body(step);
    }
    if (lost) {
        // Its steps stay started: should the process have been interrupted, the next statement
        // fails, and the interruption names them all.
        tx.reset();
        return batch_lost(steps, next, at, heads, applied);
    }
    if (failed && done.empty()) tx.reset();  // as one migration's transaction: all rolled back
    if (failed && !done.empty() && at_savepoint && !rolled_back_to(kBatchSavepoint)) {
        // The error ended the whole transaction: the steps before the failing one run again
        // (they succeeded once), then it fails alone.
        tx.reset();
        if (!run_batch(steps, next, at, heads, applied)) return false;
    }
    if (tx) {
        if (auto check = db_.fence_check_sql(version_table); !check.empty()) db_.execute(check);
        tx->commit();
        heads.take_heads_of(after);
        for (auto& step : done) {
            progress_.step_finished(step);
            applied.push_back(std::move(step));
        }
    }
    next = at;
    if (failed) {
        const Step& step = steps[at];
        statement_failed(
            step, *history_.body(step).section(step.direction, to_string(db_.dialect())), *failed);
    }
    return true;
}

// A batch without savepoints lost to the failure of step `at`: rolled back, its steps before
// `at` run again in a new batch (they succeeded once), then step `at` runs alone, which names
// the failing statement (or succeeds, when what failed is gone).
bool HistoryMigrator::batch_lost(const std::vector<Step>& steps, size_t& next, size_t at,
                                 HeadMaintainer& heads, std::vector<AppliedStep>& applied) {
    if (at > next) {
        if (!run_batch(steps, next, at, heads, applied)) return false;
        if (next != at) return true;  // that batch stopped earlier: go on from there
    }
    auto one = run_step(steps[at], heads);
    if (!one) return false;
    applied.push_back(std::move(*one));
    next = at + 1;
    return true;
}

bool HistoryMigrator::rolled_back_to(const std::string& savepoint) {
    try {
        db_.rollback_to_savepoint(savepoint);
        db_.release_savepoint(savepoint);
        return true;
    } catch (const Error&) {
        return false;
    } catch (const StatementError&) {
        return false;
    }
}

bool HistoryMigrator::heads_moved(const HeadMaintainer& heads) {
    return !same_heads(current(), heads.heads());
}

std::optional<AppliedStep> HistoryMigrator::run_step(const Step& step, HeadMaintainer& heads) {
    const StepStatements st(history_, step, db_.dialect());
    const MigrationScript& script = st.script();
    const Section& section = st.section();
    // With timeouts the statements run one by one, so that a lock timeout is retried.
    if (section.transactional && !st.timeouts().any() && db_.history_lock_is_exclusive() &&
        !heads.heads().empty()) {
        return run_step_at_once(st, step, heads);
    }
    const std::string& version_table = history_.version_table();
    const auto started = Clock::now();
    auto elapsed_ms = [&] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started)
            .count();
    };
    auto tx = db_.begin();
    for (const auto& sql : st.limits()) db_.execute(sql);
    db_.fence(version_table);
    if (heads_moved(heads)) return std::nullopt;
    progress_.step_started({history_.name(), script.revision, script.message, step.direction, 0},
                           section.transactional);
    if (!section.transactional) ensure_unfinished_table(db_);
    const bool create_version_table = heads.heads().empty() && !db_.has_table(version_table);
    for (const auto& sql : st.prepare(create_version_table)) db_.execute(sql);
    if (!section.transactional) {
        // The mark commits first; the statements then run on their own, the mark following
        // each one that completes, and the claimed heads are checked again after them.
        SectionProgressRecorder progress(db_, version_table, progress_before(section));
        if (auto check = db_.fence_check_sql(version_table); !check.empty()) db_.execute(check);
        tx->commit();
        try {
            db_.execute_outside_transaction(section.sql, section.marker_line + 1, st.timeouts(),
                                            progress.callback());
        } catch (const StatementError& e) {
            statement_failed(step, section, e, &progress);
        }
        tx = db_.begin();
        db_.fence(version_table);
        if (heads_moved(heads)) {
            throw failure(fmt::format(
                "{}: another runner moved the history while revision {} ran outside a transaction; "
                "check the database before running again",
                history_.name(), script.revision));
        }
    } else {
        execute_section(step, section);
    }
    for (const auto& sql : st.record(heads, std::to_string(elapsed_ms()))) db_.execute(sql);
    if (auto check = db_.fence_check_sql(version_table); !check.empty()) db_.execute(check);
    tx->commit();
    AppliedStep applied{history_.name(), script.revision, script.message, step.direction,
                        elapsed_ms()};
    history_.release_body(step);
    progress_.step_finished(applied);
    return applied;
}

// Under a lock that keeps other runners off the history, the section, its version-row changes
// and its history row go to the database together (one round trip on PostgreSQL, fenced by the
// backend), the history row timed by the database. Should the lock have been lost all the
// same, the fence finds the heads moved: whatever ran was rolled back, plan again.
std::optional<AppliedStep> HistoryMigrator::run_step_at_once(const StepStatements& st,
                                                             const Step& step,
                                                             HeadMaintainer& heads) {
    const MigrationScript& script = st.script();
    const Section& section = st.section();
    const auto started = Clock::now();
    HeadMaintainer after = heads;  // `heads` moves only once the step committed (it may be retried)
    const auto bookkeeping = st.record(after, db_.batch_elapsed_ms_sql());
    const AppliedStep started_step{history_.name(), script.revision, script.message,
                                   step.direction, 0};
    progress_.step_started(started_step, true);
    try {
        if (!db_.execute_transaction(section.sql, section.marker_line + 1, bookkeeping,
                                     st.timeouts(), history_.version_table(), heads.heads())) {
            progress_.step_abandoned(started_step);
            return std::nullopt;
        }
    } catch (const StatementError& e) {
        statement_failed(step, section, e);
    }
    heads.take_heads_of(after);
    AppliedStep applied{
        history_.name(), script.revision, script.message, step.direction,
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count()};
    history_.release_body(step);
    progress_.step_finished(applied);
    return applied;
}

void HistoryMigrator::execute_section(const Step& step, const Section& section) {
    try {
        db_.execute(section.sql, section.marker_line + 1);
    } catch (const StatementError& e) {
        statement_failed(step, section, e);
    }
}

void HistoryMigrator::statement_failed(const Step& step, const Section& section,
                                       const StatementError& e,
                                       const SectionProgressRecorder* outside) {
    const MigrationScript& script = history_.header(step);
    if (e.lock_not_available && section.transactional) {
        throw LockNotAvailable{fmt::format("{}:{}", script.file, e.line), first_line(e.statement)};
    }
    const std::string failed =
        fmt::format("{}: {} of revision {} failed at {}:{}: {} (statement: {})", history_.name(),
                    to_string(step.direction), script.revision, script.file, e.line, e.message,
                    first_line(e.statement));
    if (section.transactional) throw failure(failed);
    // Outside a transaction the statements before the failing one stay, and the mark taken
    // before the section keeps the history refused until the user says what is left.
    const SectionProgress progress = outside ? outside->progress() : SectionProgress{};
    throw failure(fmt::format(
        "{}; the section ran outside a transaction, so {}: check the database, then {}", failed,
        what_a_failed_section_left(outside), resolve_advice(history_, script.revision, progress)));
}

std::vector<std::string> HistoryMigrator::stamp(const std::string& target, bool purge) {
    const auto& graph = history_.graph();
    RevisionGraph::Nodes targets = graph.resolve(target);
    auto lock = db_.lock_history(history_.version_table());
    refuse_unfinished_section(db_, history_);
    auto tx = db_.begin();
    db_.fence(history_.version_table());
    std::vector<std::string> rows = purge ? std::vector<std::string>{} : current();
    RevisionGraph::Nodes kept;
    if (!purge) {
        // Heads on other branches stay; heads in the targets' lineage are replaced. Stamping
        // base (or <label>@base) removes every head (of that label's lineage), as Alembic does.
        auto related_up = graph.ancestors(targets), related_down = graph.descendants(targets);
        const auto at = target.find('@');
        RevisionGraph::Nodes current = heads_from_versions(graph, rows);
        RevisionGraph::Nodes removed_by_base =
            !targets.empty()          ? RevisionGraph::Nodes{}
            : at == std::string::npos ? current
                                      : graph.filter_for_lineage(current, target.substr(0, at));
        for (auto h : current) {
            const bool in_base_lineage = std::find(removed_by_base.begin(), removed_by_base.end(),
                                                   h) != removed_by_base.end();
            if (!related_up[h] && !related_down[h] && !in_base_lineage) kept.push_back(h);
        }
    }
    std::vector<std::string> wanted = ids_of(graph, kept);
    for (auto t : targets) wanted.push_back(graph.id(t));
    if (!db_.has_table(history_.version_table())) {
        db_.execute(create_version_table_sql(history_.version_table()));
    }
    db_.execute(delete_all_versions_sql(history_.version_table()));
    for (const auto& w : wanted) {
        db_.execute(render_version_op(history_.version_table(), {VersionOp::Kind::insert, "", w}));
    }
    if (auto check = db_.fence_check_sql(history_.version_table()); !check.empty())
        db_.execute(check);
    tx->commit();
    return wanted;
}

std::string HistoryMigrator::preview(Direction direction, const std::string& target) {
    auto versions = current();
    auto steps = plan(direction, heads_from_versions(history_.graph(), versions), target);
    check_sections(steps);
    const bool fresh = direction == Direction::upgrade && versions.empty();
    return render_steps(history_, db_.dialect(), versions, steps,
                        db_.has_table(history_.version_table()), db_.has_table(kHistoryTable),
                        db_.has_table(kUnfinishedTable), fresh);
}

namespace {

// FROM:TO runs downgrades when TO lies below FROM (head:base, head:-1), like Alembic's
// `downgrade --sql`; upgrades otherwise.
Direction offline_direction(History& history, const std::string& from, const std::string& to) {
    if (from == "base") return Direction::upgrade;
    if (to == "base" || to[0] == '-') return Direction::downgrade;
    const auto& graph = history.graph();
    const auto start = graph.resolve(from);
    const auto below = graph.ancestors(start);
    for (auto n : graph.resolve(to)) {
        if (!below[n] || std::find(start.begin(), start.end(), n) != start.end())
            return Direction::upgrade;
    }
    return Direction::downgrade;
}

}  // namespace

std::string render_offline(History& history, Dialect dialect, const std::string& range) {
    auto colon = range.find(':');
    std::string from = range.substr(0, colon), to = range.substr(colon + 1);
    if (colon == std::string::npos || from.empty() || to.empty()) {
        throw usage_error(
            fmt::format("{}: an offline range is FROM:TO (for example base:head), not '{}'",
                        history.name(), range));
    }
    const auto& graph = history.graph();
    const Direction direction = offline_direction(history, from, to);
    auto start = graph.resolve(from);
    auto versions = ids_of(graph, start);
    auto steps = direction == Direction::upgrade
                     ? (start.empty() ? plan_fresh_upgrade(graph, to, checkpoint_usable(history, dialect))
                                      : plan_upgrade(graph, start, to))
                     : plan_downgrade(graph, start, to);
    check_sections_of(history, dialect, steps, {});
    // A script for another tool keeps one transaction per migration: it has no savepoint to
    // fall back on when one fails (docs/databases.md).
    return render_steps(history, dialect, versions, steps, !versions.empty(), false, false, false);
}

}  // namespace fastappkit
