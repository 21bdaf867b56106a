#include "runner/migration_run.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/error.h"
#include "config/version_table.h"
#include "runner/history_migrator.h"
#include "runner/verification.h"
#include "script/checksum.h"

namespace fastappkit {

size_t RunResult::applied_count() const {
    size_t total = 0;
    for (const auto& history : histories) total += history.applied.size();
    return total;
}

namespace {

bool is_head_of(const HistorySummary& summary, const std::string& target,
                std::vector<std::string> rows) {
    if (summary.empty()) return rows.empty();
    if (target == "head") return !summary.head.empty() && rows.size() == 1 && rows[0] == summary.head;
    std::sort(rows.begin(), rows.end());
    return target == "heads" && rows == summary.heads;
}

// The no-op of every build, told without a header read or a graph built: when each history's
// version rows are exactly its head(s) (HistorySummary) and no version table conflict exists,
// no plan can hold a step. Anything else goes the whole way, which words every error.
std::optional<RunResult> nothing_pending(const RunRequest& request, Database& reader) {
    if (request.direction != Direction::upgrade ||
        (request.target != "head" && request.target != "heads")) {
        return std::nullopt;
    }
    for (History* history : request.histories) {
        if (!history->summary()) return std::nullopt;
    }
    if (!request.conflict_checked.empty()) {
        const auto shared_rows = reader.read_versions(version_table_for("core"));
        for (History* history : request.conflict_checked) {
            for (const auto& row : shared_rows) {
                if (history->summary()->contains(row)) return std::nullopt;
            }
        }
    }
    RunResult result;
    for (History* history : request.histories) {
        auto rows = reader.read_versions(history->version_table());
        if (!is_head_of(*history->summary(), request.target, rows)) return std::nullopt;
        result.histories.push_back({history->name(), history->version_table(), {}, std::move(rows)});
    }
    return result;
}

std::vector<std::string> version_rows(Database& db, const History& history) {
    if (!db.has_table(history.version_table())) return {};
    auto rows = db.read_versions(history.version_table());
    std::sort(rows.begin(), rows.end());
    return rows;
}

std::string heads_text(const std::vector<std::string>& rows) {
    return rows.empty() ? std::string("base") : fmt::format("{}", fmt::join(rows, ", "));
}

bool at_heads(Database& db, History& history) {
    const auto& graph = history.graph();
    std::vector<std::string> heads;
    for (auto node : graph.heads()) heads.push_back(graph.id(node));
    std::sort(heads.begin(), heads.end());
    return version_rows(db, history) == heads;
}

void check_requires_order(const RequiresOrder& order, Direction direction, Database& db) {
    if (order.app.empty()) return;
    if (direction == Direction::upgrade) {
        for (History* required : order.required) {
            if (at_heads(db, *required)) continue;
            const std::string& name = required->name();
            throw usage_error(fmt::format(
                "App '{}' requires '{}', which is not at its head: migrate '{}' first ('fastappkit "
                "migrate app {} upgrade', or 'fastappkit migrate all'), or pass --ignore-requires",
                order.app, name, name, name));
        }
        return;
    }
    for (History* dependent : order.required_by) {
        const auto rows = version_rows(db, *dependent);
        if (rows.empty()) continue;
        const std::string& name = dependent->name();
        throw usage_error(fmt::format(
            "App '{}' requires '{}' and is applied (at {}): downgrade '{}' first ('fastappkit "
            "migrate app {} downgrade base'), or pass --ignore-requires",
            name, order.app, heads_text(rows), name, name));
    }
}

void check_edited(const std::vector<History*>& histories, VerifyMode mode, Database& db,
                  Progress& progress) {
    if (mode == VerifyMode::off) return;
    std::vector<std::string> edited;
    for (const auto& e : find_edited_migrations(histories, db))
        edited.push_back(fmt::format("{} {} ({})", e.history, e.revision, e.file));
    if (edited.empty()) return;
    const std::string sentence =
        fmt::format("{} applied migration{} changed since {} ran: {}; {}", edited.size(),
                    edited.size() == 1 ? "" : "s", edited.size() == 1 ? "it" : "they",
                    fmt::join(edited, ", "), kEditedMigrationAdvice);
    if (mode == VerifyMode::error) {
        throw usage_error(sentence + " (verify = \"error\" in [tool.fastappkit.migration])");
    }
    progress.waiting("warning: " + sentence);
}

}  // namespace

RunResult run_migrations(const RunRequest& request, const DatabaseOpener& database,
                         Progress& progress) {
    check_requires_order(request.requires_order, request.direction, database(true));
    check_edited(request.histories, request.verify, database(true), progress);
    if (auto done = nothing_pending(request, database(true))) return std::move(*done);
    const ChecksumWarmUp warm_up;  // while the headers are read and the database is readied
    for (History* history : request.histories) history->graph();
    std::vector<HistoryMigrator::Pending> pending;
    Database& reader = database(true);
    check_version_table_conflicts(request.conflict_checked, reader);
    for (History* history : request.histories) {
        pending.push_back(
            HistoryMigrator(*history, reader, progress).pending(request.direction, request.target));
    }

    RunResult result;
    std::vector<AppliedStep> applied_so_far;
    for (size_t i = 0; i < request.histories.size(); ++i) {
        History& history = *request.histories[i];
        HistoryOutcome outcome{history.name(), history.version_table(), {}, pending[i].heads};
        if (!pending[i].steps.empty()) {
            try {
                HistoryMigrator migrator(history, database(false), progress);
                MigrationResult moved = request.direction == Direction::upgrade
                                            ? migrator.upgrade(request.target)
                                            : migrator.downgrade(request.target);
                outcome.applied = std::move(moved.applied);
                outcome.heads = std::move(moved.heads);
            } catch (const Error& e) {
                if (const auto* partial = dynamic_cast<const RunError*>(&e)) {
                    applied_so_far.insert(applied_so_far.end(), partial->applied().begin(),
                                          partial->applied().end());
                }
                throw RunError(e, std::move(applied_so_far));
            }
        }
        applied_so_far.insert(applied_so_far.end(), outcome.applied.begin(), outcome.applied.end());
        result.histories.push_back(std::move(outcome));
    }
    return result;
}

void check_version_table_conflicts(const std::vector<History*>& histories, Database& db) {
    if (histories.empty()) return;
    const auto shared_rows = db.read_versions(version_table_for("core"));
    if (shared_rows.empty()) return;
    for (History* history : histories) {
        const auto& graph = history->graph();
        const std::string& app = history->name();
        for (const auto& row : shared_rows) {
            if (graph.find(row) < 0) continue;
            throw failure(fmt::format(
                "Version table conflict: revision {} of app '{}' is recorded in the shared "
                "alembic_version table, but an external app's history belongs in "
                "alembic_version_{}; move the row there (fastappkit migrate stamp --app {} {}) and "
                "delete it from alembic_version",
                row, app, app, app, row));
        }
    }
}

}  // namespace fastappkit
