#include "runner/unfinished_section.h"

#include <fmt/format.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/error_reason.h"
#include "db/schema_sql.h"
#include "runner/head_maintainer.h"
#include "runner/plan.h"
#include "runner/sql_renderer.h"
#include "script/checksum.h"

namespace fastappkit {

namespace {

// Version tables and revision ids are validated identifiers; plain quoting is enough.
std::string literal(const std::string& text) { return "'" + text + "'"; }

// "core" needs no --app; an external (or standalone) app's history does.
std::string app_option(const History& history) {
    return history.name() == "core" ? "" : " --app " + history.name();
}

}  // namespace

std::string resolve_advice(const History& history, const std::string& revision) {
    return fmt::format(
        "run 'fastappkit migrate resolve {} --applied{}' if the section completed (finish it by "
        "hand first if needed) or '--rolled-back' if it left nothing behind",
        revision, app_option(history));
}

std::string section_mark_sql(const std::string& version_table, const std::string& revision,
                             Direction direction) {
    return fmt::format(
        "INSERT INTO {} (version_table, revision, direction, started_at) VALUES ({}, {}, {}, {})",
        kUnfinishedTable, literal(version_table), literal(revision), literal(to_string(direction)),
        literal(utc_timestamp()));
}

std::string clear_section_mark_sql(const std::string& version_table) {
    return fmt::format("DELETE FROM {} WHERE version_table = {}", kUnfinishedTable,
                       literal(version_table));
}

void mark_section_started(Database& db, const std::string& version_table,
                          const std::string& revision, Direction direction) {
    db.ensure_table(kUnfinishedTable, create_unfinished_table_sql());
    db.execute(section_mark_sql(version_table, revision, direction));
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
    return UnfinishedSection{
        row[0].value_or(""),
        row[1].value_or("") == "downgrade" ? Direction::downgrade : Direction::upgrade,
        row[2].value_or("")};
}

void refuse_unfinished_section(Database& db, History& history) {
    const auto unfinished = find_unfinished_section(db, history.version_table());
    if (!unfinished) return;
    throw with_reason(ErrorReason::unfinished_section, failure(fmt::format(
        "{}: the transaction:false {} section of revision {} started at {} but never recorded its "
        "outcome (the runner was stopped or failed part-way), so the schema may be partly changed; "
        "check the database, then {}",
        history.name(), to_string(unfinished->direction), unfinished->revision,
        unfinished->started_at, resolve_advice(history, unfinished->revision))));
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
