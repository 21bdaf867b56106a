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

// What a step's fastappkit_history row says it did: "upgrade", "downgrade" or "checkpoint".
const char* recorded_as(const Step& step) {
    return step.checkpoint >= 0 ? "checkpoint" : to_string(step.direction);
}

// Alembic's short_log: "upgrade a, b -> c"; a checkpoint: "checkpoint base -> c".
std::string step_title(const RevisionGraph& graph, const Step& step) {
    const std::string& rev = graph.id(step.node);
    if (step.checkpoint >= 0) return fmt::format("checkpoint base -> {}", rev);
    std::string downs = join_ids(graph, graph.down(step.node));
    return step.direction == Direction::upgrade ? fmt::format("upgrade {} -> {}", downs, rev)
                                                : fmt::format("downgrade {} -> {}", rev, downs);
}

std::vector<std::string> ids_of(const RevisionGraph& graph, const RevisionGraph::Nodes& nodes) {
    std::vector<std::string> out;
    for (auto n : nodes) out.push_back(graph.id(n));
    return out;
}

// What a preview prints for `steps`, starting from version rows `heads`.
std::string render_steps(History& history, Dialect dialect, const std::vector<std::string>& heads,
                         const std::vector<Step>& steps, bool version_table_exists,
                         bool history_table_exists) {
    const auto& graph = history.graph();
    HeadMaintainer maintainer(graph, heads);
    std::string out;
    auto statement = [&out](const std::string& sql) { out += sql + ";\n\n"; };
    if (!history_table_exists && !steps.empty()) statement(create_history_table_sql());
    bool table_exists = version_table_exists;
    for (const auto& step : steps) {
        const MigrationScript& script = history.body(step);
        const Section* section = script.section(step.direction, to_string(dialect));
        out += fmt::format("-- Running {}\n\n", step_title(graph, step));
        // A transaction:false section runs on its own; its bookkeeping still gets a transaction.
        if (section->transactional) statement("BEGIN");
        if (!table_exists) {
            statement(create_version_table_sql(history.version_table()));
            table_exists = true;
        }
        if (auto sql = trimmed(section->sql); !sql.empty()) {
            out += sql;
            out += sql.back() == ';' ? "\n\n" : ";\n\n";
        }
        if (!section->transactional) statement("BEGIN");
        for (const auto& op : maintainer.update_to_step(step)) {
            statement(render_version_op(history.version_table(), op));
        }
        statement(
            insert_history_sql({history.version_table(), script.revision, recorded_as(step),
                                sql_checksum(section->sql), utc_timestamp(), 0}));
        statement("COMMIT");
    }
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
            if (result.applied.empty()) db_.ensure_history_table();
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
    std::this_thread::sleep_for(wait);
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
    static const std::string savepoint = "fastappkit_migration";
    const Step& first = steps[next];
    const MigrationScript& first_script = history_.body(first);
    const Section* first_section = first_script.section(first.direction, to_string(db_.dialect()));
    if (!first_section) check_sections({first});  // throws the sentence pending() gives
    if (!first_section->transactional) {
        auto one = run_step(first, heads);
        if (!one) return false;
        applied.push_back(std::move(*one));
        ++next;
        return true;
    }
    const Timeouts& defaults = history_.settings().timeouts;
    const Timeouts timeouts = defaults.overridden_by(first_script.timeouts);
    const std::string& version_table = history_.version_table();
    auto tx = db_.begin();
    db_.limit_transaction(timeouts);
    db_.fence(version_table);
    if (heads_moved(heads)) return false;
    if (heads.heads().empty() && !db_.has_table(version_table)) {
        db_.execute(create_version_table_sql(version_table));
    }
    HeadMaintainer after = heads;  // `heads` moves only once the batch committed
    std::vector<AppliedStep> done;
    std::optional<StatementError> failed;
    bool at_savepoint = false;  // the failed step's work is not undone yet
    const std::string server_elapsed_ms = db_.batch_elapsed_ms_sql();
    size_t at = next;
    for (; at < end; ++at) {
        const Step& step = steps[at];
        const MigrationScript& script = history_.body(step);
        const Section* section = script.section(step.direction, to_string(db_.dialect()));
        if (!section) check_sections({step});
        const Timeouts own = defaults.overridden_by(script.timeouts);
        if (at > next && (!section->transactional || own.lock_timeout != timeouts.lock_timeout ||
                          own.statement_timeout != timeouts.statement_timeout)) {
            break;  // runs in a batch of its own, after this one commits
        }
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
            std::vector<std::string> bookkeeping;
            for (const auto& op : moved.update_to_step(step)) {
                bookkeeping.push_back(render_version_op(version_table, op));
            }
            bookkeeping.push_back(
                insert_history_sql({version_table, script.revision, recorded_as(step),
                                    sql_checksum(section->sql), utc_timestamp(), 0},
                                   server_elapsed_ms));
            try {
                db_.execute_in_savepoint(section->sql, section->marker_line + 1, bookkeeping,
                                         savepoint);
            } catch (const StatementError& e) {
                failed = e;
                break;
            }
            after.take_heads_of(moved);
            ms = elapsed_ms();
        } else {
            db_.savepoint(savepoint);
            try {
                db_.execute(section->sql, section->marker_line + 1);
            } catch (const StatementError& e) {
                failed = e;
                at_savepoint = true;
                break;
            }
            ms = elapsed_ms();
            record(step, after, *section, ms);
            db_.release_savepoint(savepoint);
        }
        done.push_back({history_.name(), script.revision, script.message, step.direction, ms});
        history_.release_body(step);
    }
    if (failed && done.empty()) tx.reset();  // as one migration's transaction: all rolled back
    if (failed && !done.empty() && at_savepoint && !rolled_back_to(savepoint)) {
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
    const MigrationScript& script = history_.body(step);
    const Section* found = script.section(step.direction, to_string(db_.dialect()));
    if (!found) check_sections({step});  // throws the sentence pending() gives
    const Section& section = *found;
    const Timeouts timeouts = history_.settings().timeouts.overridden_by(script.timeouts);
    // With timeouts the statements run one by one, so that a lock timeout is retried.
    if (section.transactional && !timeouts.any() && db_.history_lock_is_exclusive() &&
        !heads.heads().empty()) {
        return run_step_at_once(step, heads, section);
    }
    const std::string& version_table = history_.version_table();
    const auto started = Clock::now();
    auto elapsed_ms = [&] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started)
            .count();
    };
    auto tx = db_.begin();
    db_.limit_transaction(timeouts);
    db_.fence(version_table);
    if (heads_moved(heads)) return std::nullopt;
    progress_.step_started({history_.name(), script.revision, script.message, step.direction, 0},
                           section.transactional);
    if (heads.heads().empty() && !db_.has_table(version_table)) {
        db_.execute(create_version_table_sql(version_table));
    }
    if (!section.transactional) {
        // Claimed heads are re-checked after the statements ran; they must run on their own.
        SectionProgressRecorder progress(
            db_, version_table,
            mark_section_started(db_, version_table, script.revision, step.direction, section));
        if (auto check = db_.fence_check_sql(version_table); !check.empty()) db_.execute(check);
        tx->commit();
        try {
            db_.execute_outside_transaction(section.sql, section.marker_line + 1, timeouts,
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
    record(step, heads, section, elapsed_ms());
    if (!section.transactional) clear_section_mark(db_, version_table);
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
std::optional<AppliedStep> HistoryMigrator::run_step_at_once(const Step& step, HeadMaintainer& heads,
                                                      const Section& section) {
    const MigrationScript& script = history_.header(step);
    const std::string& version_table = history_.version_table();
    const auto started = Clock::now();
    std::vector<std::string> bookkeeping;
    HeadMaintainer after = heads;  // `heads` moves only once the step committed (it may be retried)
    for (const auto& op : after.update_to_step(step)) {
        bookkeeping.push_back(render_version_op(version_table, op));
    }
    bookkeeping.push_back(
        insert_history_sql({version_table, script.revision, recorded_as(step),
                            sql_checksum(section.sql), utc_timestamp(), 0},
                           db_.batch_elapsed_ms_sql()));
    progress_.step_started({history_.name(), script.revision, script.message, step.direction, 0},
                           true);
    try {
        if (!db_.execute_transaction(section.sql, section.marker_line + 1, bookkeeping,
                                     history_.settings().timeouts.overridden_by(script.timeouts),
                                     version_table, heads.heads())) {
            return std::nullopt;
        }
    } catch (const StatementError& e) {
        statement_failed(step, section, e);
    }
    heads.update_to_step(step);
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

void HistoryMigrator::record(const Step& step, HeadMaintainer& heads, const Section& section,
                      long long ms) {
    const MigrationScript& script = history_.header(step);
    for (const auto& op : heads.update_to_step(step)) {
        db_.execute(render_version_op(history_.version_table(), op));
    }
    db_.execute(
        insert_history_sql({history_.version_table(), script.revision, recorded_as(step),
                            sql_checksum(section.sql), utc_timestamp(), ms}));
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
    return render_steps(history_, db_.dialect(), versions, steps,
                        db_.has_table(history_.version_table()), db_.has_table(kHistoryTable));
}

std::string render_offline(History& history, Dialect dialect, Direction direction,
                           const std::string& range) {
    auto colon = range.find(':');
    std::string from = range.substr(0, colon), to = range.substr(colon + 1);
    if (colon == std::string::npos || from.empty() || to.empty()) {
        throw usage_error(
            fmt::format("{}: an offline range is FROM:TO (for example base:head), not '{}'",
                        history.name(), range));
    }
    const auto& graph = history.graph();
    auto start = graph.resolve(from);
    auto versions = ids_of(graph, start);
    auto steps = direction == Direction::upgrade
                     ? (start.empty() ? plan_fresh_upgrade(graph, to, checkpoint_usable(history, dialect))
                                      : plan_upgrade(graph, start, to))
                     : plan_downgrade(graph, start, to);
    check_sections_of(history, dialect, steps, {});
    return render_steps(history, dialect, versions, steps, !versions.empty(), false);
}

}  // namespace fastappkit
