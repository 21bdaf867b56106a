#include "runner/unfinished_section.h"

#include <cstdlib>
#include <iterator>

#include <fmt/format.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/error_reason.h"
#include "db/schema_sql.h"
#include "runner/head_maintainer.h"
#include "runner/plan.h"
#include "runner/sql_renderer.h"
#include "script/checksum.h"
#include "script/sql_splitter.h"

namespace fastappkit {

namespace {

// Version tables and revision ids are validated identifiers; plain quoting is enough.
std::string literal(const std::string& text) { return "'" + text + "'"; }

// "core" needs no --app; an external (or standalone) app's history does.
std::string app_option(const History& history) {
    return history.name() == "core" ? "" : " --app " + history.name();
}

int integer(const std::optional<std::string>& value) {
    return value ? static_cast<int>(std::strtol(value->c_str(), nullptr, 10)) : 0;
}

// The statements before a section's first one completed, counted as the backends run them.
SectionProgress before_first_statement(const Section& section) {
    const auto statements = split_sql(section.sql);
    SectionProgress progress;
    progress.statements = static_cast<int>(statements.size());
    if (!statements.empty())
        progress.next_line = section.marker_line + from_first_code(statements.front()).line;
    return progress;
}

std::string set_progress_sql(const SectionProgress& progress) {
    return fmt::format(
        "completed_statements = {}, statement_count = {}, completed_line = {}, "
        "next_line = {}",
        progress.completed, progress.statements, progress.completed_line, progress.next_line);
}

// " (versions/…_x.sql)" when a file of the history defines `revision`.
std::string file_of(History& history, const std::string& revision) {
    const auto& graph = history.graph();
    const RevisionGraph::Node node = graph.find(revision);
    return node < 0 ? std::string() : " (" + graph.script(node).file + ")";
}

// "it stopped after statement 2 of 3 (line 14) completed, so statement 3 (line 17) may have
// run partly or not at all"; for a known progress only.
std::string where_it_stopped(const SectionProgress& progress) {
    if (progress.completed >= progress.statements) {
        return fmt::format(
            "all {} of its statements completed (the last at line {}), but the "
            "runner stopped before recording that",
            progress.statements, progress.completed_line);
    }
    const std::string next =
        fmt::format("(line {}) may have run partly or not at all", progress.next_line);
    if (progress.completed == 0) {
        return fmt::format(
            "it stopped before its first statement completed, so statement 1 of {} {}",
            progress.statements, next);
    }
    return fmt::format(
        "it stopped after statement {} of {} (line {}) completed, so statement {} {}",
        progress.completed, progress.statements, progress.completed_line, progress.completed + 1,
        next);
}

}  // namespace

std::string completed_statements(const SectionProgress& progress) {
    if (!progress.known()) return {};
    if (progress.completed == 0)
        return fmt::format("none of its {} statements completed", progress.statements);
    return fmt::format("statement {} of {} (line {}) completed", progress.completed,
                       progress.statements, progress.completed_line);
}

std::string what_a_failed_section_left(const SectionProgressRecorder* run) {
    const SectionProgress progress = run ? run->progress() : SectionProgress{};
    std::string stay = "the statements before that one stay";
    if (progress.known() && progress.completed == 0) {
        stay = fmt::format("no statement before that one (statement 1 of {}) ran",
                           progress.statements);
    } else if (progress.known() && progress.completed == 1) {
        stay = fmt::format("statement 1 of {} (line {}) completed and stays", progress.statements,
                           progress.completed_line);
    } else if (progress.known()) {
        stay = fmt::format("statements 1 to {} of {} (the last at line {}) completed and stay",
                           progress.completed, progress.statements, progress.completed_line);
    }
    if (!run || run->update_failure().empty())
        return fmt::format("{}, and {} marks it as started", stay, kUnfinishedTable);
    return fmt::format(
        "{}, and {} marks it as started but may name fewer completed statements (updating it "
        "failed: {})",
        stay, kUnfinishedTable, run->update_failure());
}

std::string resolve_advice(const History& history, const std::string& revision,
                           const SectionProgress& progress) {
    const std::string resolve = fmt::format("run 'fastappkit migrate resolve {} --applied{}'",
                                            revision, app_option(history));
    if (!progress.known()) {
        return resolve +
               " if the section completed (finish it by hand first if needed) or '--rolled-back' "
               "if it left nothing behind";
    }
    if (progress.completed >= progress.statements) {
        return fmt::format(
            "{}, as all {} of its statements completed (or '--rolled-back' if you "
            "undid them)",
            resolve, progress.statements);
    }
    const std::string undo =
        progress.completed == 0 ? std::string()
        : progress.completed == 1
            ? " (undo statement 1 first)"
            : fmt::format(" (undo statements 1 to {} first)", progress.completed);
    return fmt::format(
        "{} if the section completed (finish it by hand from statement {} first if needed) or "
        "'--rolled-back' if it left nothing behind{}",
        resolve, progress.completed + 1, undo);
}

void ensure_unfinished_table(Database& db) {
    db.ensure_table(kUnfinishedTable, create_unfinished_table_sql());
    for (const auto& column : kUnfinishedProgressColumns)
        db.ensure_column(kUnfinishedTable, column.name, column.definition);
}

SectionProgress progress_before(const Section& section) { return before_first_statement(section); }

std::string section_mark_sql(const std::string& version_table, const std::string& revision,
                             Direction direction, const Section& section) {
    const SectionProgress progress = before_first_statement(section);
    return fmt::format(
        "INSERT INTO {} (version_table, revision, direction, started_at, completed_statements, "
        "statement_count, completed_line, next_line) VALUES ({}, {}, {}, {}, {}, {}, {}, {})",
        kUnfinishedTable, literal(version_table), literal(revision), literal(to_string(direction)),
        literal(utc_timestamp()), progress.completed, progress.statements, progress.completed_line,
        progress.next_line);
}

std::string clear_section_mark_sql(const std::string& version_table) {
    return fmt::format("DELETE FROM {} WHERE version_table = {}", kUnfinishedTable,
                       literal(version_table));
}

SectionProgress mark_section_started(Database& db, const std::string& version_table,
                                     const std::string& revision, Direction direction,
                                     const Section& section) {
    ensure_unfinished_table(db);
    db.execute(section_mark_sql(version_table, revision, direction, section));
    return before_first_statement(section);
}

std::string progress_update_sql(const std::string& version_table,
                                const SectionProgress& progress) {
    return fmt::format("UPDATE {} SET {} WHERE version_table = {}", kUnfinishedTable,
                       set_progress_sql(progress), literal(version_table));
}

std::vector<std::string> expected_progress_updates(const std::string& version_table,
                                                   const Section& section) {
    const auto statements = split_sql(section.sql);
    const int count = static_cast<int>(statements.size());
    auto line_of = [&](int index) {
        return section.marker_line + from_first_code(statements[index]).line;
    };
    std::vector<std::string> out;
    for (int index = 0; index < count; ++index) {
        out.push_back(progress_update_sql(
            version_table,
            {index + 1, count, line_of(index), index + 1 < count ? line_of(index + 1) : 0}));
    }
    return out;
}

void SectionProgressRecorder::completed(const CompletedStatement& statement) noexcept {
    progress_ = {statement.index, statement.count, statement.line, statement.next_line};
    try {
        db_.execute(progress_update_sql(version_table_, progress_));
        update_failure_.clear();
    } catch (const std::exception& e) {
        update_failure_ = e.what();
    } catch (...) {
        update_failure_ = "an exception of unknown type";
    }
}

void clear_section_mark(Database& db, const std::string& version_table) {
    db.execute(clear_section_mark_sql(version_table));
}

std::optional<UnfinishedSection> find_unfinished_section(Database& db,
                                                         const std::string& version_table) {
    if (!db.has_table(kUnfinishedTable)) return std::nullopt;
    const auto rows =
        db.query(fmt::format("SELECT revision, direction, started_at FROM {} WHERE version_table = "
                             "{} ORDER BY started_at",
                             kUnfinishedTable, literal(version_table)));
    if (rows.empty()) return std::nullopt;
    const auto& row = rows.front();
    UnfinishedSection found{
        row[0].value_or(""),
        row[1].value_or("") == "downgrade" ? Direction::downgrade : Direction::upgrade,
        row[2].value_or(""), SectionProgress{}};
    // An older fastappkit's table has no progress columns (they are added together).
    if (!db.has_column(kUnfinishedTable, std::end(kUnfinishedProgressColumns)[-1].name))
        return found;
    const auto progress = db.query(fmt::format(
        "SELECT completed_statements, statement_count, completed_line, next_line FROM {} WHERE "
        "version_table = {} ORDER BY started_at",
        kUnfinishedTable, literal(version_table)));
    if (!progress.empty()) {
        const auto& values = progress.front();
        found.progress = {integer(values[0]), integer(values[1]), integer(values[2]),
                          integer(values[3])};
    }
    return found;
}

void refuse_unfinished_section(Database& db, History& history) {
    const auto unfinished = find_unfinished_section(db, history.version_table());
    if (!unfinished) return;
    const SectionProgress& progress = unfinished->progress;
    const std::string what_is_known =
        progress.known() ? ": " + where_it_stopped(progress)
                         : " (the runner was stopped or failed part-way), so the schema may be "
                           "partly changed";
    throw with_reason(ErrorReason::unfinished_section,
                      failure(fmt::format(
                          "{}: the transaction:false {} section of revision {}{} started at {} but "
                          "never recorded "
                          "its outcome{}; check the database, then {}",
                          history.name(), to_string(unfinished->direction), unfinished->revision,
                          file_of(history, unfinished->revision), unfinished->started_at,
                          what_is_known, resolve_advice(history, unfinished->revision, progress))));
}

UnfinishedSection resolve_unfinished_section(Database& db, History& history,
                                             const std::string& revision, bool applied) {
    const auto& graph = history.graph();
    const RevisionGraph::Node node = graph.resolve_one(revision);
    const std::string& id = graph.id(node);
    const std::string& version_table = history.version_table();
    auto lock = db.lock_history(version_table);
    auto tx = db.begin();
    const auto unfinished = find_unfinished_section(db, version_table);
    if (!unfinished || unfinished->revision != id) {
        throw failure(fmt::format(
            "{}: revision {} has no unfinished transaction:false section to resolve ({}); nothing "
            "was changed",
            history.name(), id,
            unfinished ? fmt::format("revision {} has one", unfinished->revision)
                       : std::string("no section of this history is marked as started")));
    }
    if (applied) {
        const auto versions = db.read_versions(version_table);
        const Step step{node, unfinished->direction};
        HeadMaintainer heads(graph, versions);
        heads_from_versions(graph, versions);  // a row no file defines: Alembic's error
        if (versions.empty() && !db.has_table(version_table))
            db.execute(create_version_table_sql(version_table));
        for (const auto& op : heads.update_to_step(step))
            db.execute(render_version_op(version_table, op));
        const Section* section =
            history.body(node).section(step.direction, to_string(db.dialect()));
        db.ensure_history_table();
        db.execute(insert_history_sql({version_table, id, to_string(step.direction),
                                       section ? sql_checksum(section->sql) : std::string(),
                                       utc_timestamp(), 0}));
    }
    clear_section_mark(db, version_table);
    tx->commit();
    return *unfinished;
}

}  // namespace fastappkit
