// Commands that move a database: migrate all / upgrade / downgrade / stamp / preview.
#include <algorithm>
#include <chrono>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/error.h"
#include "config/app_order.h"
#include "runner/migration_run.h"
#include "runner/history_migrator.h"
#include "runner/run_connection.h"
#include "runner/verification.h"

namespace fastappkit {

namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

Json result_json(const HistoryOutcome& outcome) {
    Json applied = Json::array();
    for (const auto& s : outcome.applied) {
        applied.push_back({{"revision", s.revision},
                           {"message", s.message},
                           {"direction", to_string(s.direction)},
                           {"duration_ms", s.duration_ms}});
    }
    return {{"name", outcome.name},
            {"version_table", outcome.version_table},
            {"applied", applied},
            {"heads", outcome.heads}};
}

std::string heads_text(const std::vector<std::string>& heads) {
    if (heads.empty()) return "base";
    std::string out;
    for (const auto& h : heads) out += (out.empty() ? "" : ", ") + h;
    return out;
}

long long elapsed_ms(Clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

const std::string& or_head(const std::string& revision) {
    static const std::string head = "head";
    return revision.empty() ? head : revision;
}

// Moves `histories` towards `target` (run_migrations checks everything before writing) and
// prints the outcome.
int move_histories(Session& session, const std::vector<History*>& histories, Direction direction,
                   const std::string& target) {
    const auto started = Clock::now();
    auto& out = session.reporter();
    RunRequest request{histories, direction, target, {}};
    // A downgrade records no revision anywhere: nothing to check.
    if (direction == Direction::upgrade)
        request.conflict_checked = conflict_checked(histories, session.standalone());
    const RunResult result = run_migrations(
        request, [&session](bool read_only) -> Database& { return session.database(read_only); },
        out);

    Json documents = Json::array();
    for (const auto& outcome : result.histories) {
        if (out.json()) documents.push_back(result_json(outcome));
        if (outcome.applied.empty()) {
            out.line(fmt::format("{} is up to date ({})", outcome.name, heads_text(outcome.heads)));
        }
    }
    const size_t total = result.applied_count();
    if (out.json()) {
        std::cout << Json{{"histories", documents},
                          {"applied", total},
                          {"duration_ms", elapsed_ms(started)}}
                         .dump(2)
                  << "\n";
    } else if (total > 0) {
        const char* verb = direction == Direction::upgrade ? "Applied" : "Reverted";
        out.line(out.green(fmt::format("{} {} migration{} in {} ms", verb, total,
                                       total == 1 ? "" : "s", elapsed_ms(started))));
    }
    return 0;
}

std::vector<std::string> version_rows(Database& db, const History& history) {
    if (!db.has_table(history.version_table())) return {};
    auto rows = db.read_versions(history.version_table());
    std::sort(rows.begin(), rows.end());
    return rows;
}

bool at_heads(Database& db, History& history) {
    const auto& graph = history.graph();
    std::vector<std::string> heads;
    for (auto node : graph.heads()) heads.push_back(graph.id(node));
    std::sort(heads.begin(), heads.end());
    return version_rows(db, history) == heads;
}

// An external app moves in `requires` order (docs/configuration.md): it upgrades only once
// every app it requires is at its heads, and downgrades an app only while no app requiring it
// is applied. Checked on a read-only connection, before anything is written.
void check_requires(Session& session, const HistoryArgs& args, Direction direction) {
    if (args.app.empty() || args.ignore_requires || session.standalone()) return;
    const AppManifest& manifest = *session.project_app(args.app).manifest;
    if (direction == Direction::upgrade) {
        for (const auto& name : manifest.requires_apps.value_or(std::vector<std::string>{})) {
            History& required = session.app_history(name);
            if (at_heads(session.database(true), required)) continue;
            throw usage_error(fmt::format(
                "App '{}' requires '{}', which is not at its head: migrate '{}' first ('fastappkit "
                "migrate app {} upgrade', or 'fastappkit migrate all'), or pass --ignore-requires",
                args.app, name, name, name));
        }
        return;
    }
    for (const App* app : session.project().external_apps()) {
        const auto& requires_apps = app->manifest->requires_apps;
        if (!requires_apps || std::find(requires_apps->begin(), requires_apps->end(), args.app) ==
                                  requires_apps->end()) {
            continue;
        }
        const auto rows = version_rows(session.database(true), session.app_history(app->name));
        if (rows.empty()) continue;
        throw usage_error(fmt::format(
            "App '{}' requires '{}' and is applied (at {}): downgrade '{}' first ('fastappkit "
            "migrate app {} downgrade base'), or pass --ignore-requires",
            app->name, args.app, heads_text(rows), app->name, app->name));
    }
}

// [tool.fastappkit.migration] verify (docs/safety.md): an applied migration whose file changed
// since it ran is named in one warning line, or refuses the run before anything is written.
void check_edited_migrations(Session& session, const std::vector<History*>& histories) {
    const VerifyMode mode = session.standalone() ? VerifyMode::warn : session.project().verify;
    if (mode == VerifyMode::off) return;
    std::vector<std::string> edited;
    for (const auto& e : find_edited_migrations(histories, session.database(true)))
        edited.push_back(fmt::format("{} {} ({})", e.history, e.revision, e.file));
    if (edited.empty()) return;
    const std::string sentence =
        fmt::format("{} applied migration{} changed since {} ran: {}; {}", edited.size(),
                    edited.size() == 1 ? "" : "s", edited.size() == 1 ? "it" : "they",
                    fmt::join(edited, ", "), kEditedMigrationAdvice);
    if (mode == VerifyMode::error) {
        throw usage_error(sentence + " (verify = \"error\" in [tool.fastappkit.migration])");
    }
    session.reporter().waiting("warning: " + sentence);
}

}  // namespace

int migrate_all(Session& session) {
    auto histories = session.all_histories();
    check_edited_migrations(session, histories);
    return move_histories(session, histories, Direction::upgrade, "head");
}

int migrate_upgrade(Session& session, const HistoryArgs& args) {
    History& history = session.history_for(args.app);
    check_requires(session, args, Direction::upgrade);
    return move_histories(session, {&history}, Direction::upgrade, or_head(args.revision));
}

int migrate_downgrade(Session& session, const HistoryArgs& args) {
    if (args.revision.empty()) {
        throw usage_error(
            "migrate downgrade needs a target revision (for example -1, base, or a revision id)");
    }
    History& history = session.history_for(args.app);
    check_requires(session, args, Direction::downgrade);
    return move_histories(session, {&history}, Direction::downgrade, args.revision);
}

int migrate_stamp(Session& session, const HistoryArgs& args, bool purge) {
    if (args.revision.empty())
        throw usage_error("migrate stamp needs a revision (for example head or base)");
    History& history = session.history_for(args.app);
    history.graph().resolve(args.revision);  // a bad revision changes nothing, not even the file
    Database& db = session.database(false);
    auto rows = HistoryMigrator(history, db, session.reporter()).stamp(args.revision, purge);
    if (session.reporter().json()) {
        std::cout << Json{{"name", history.name()},
                          {"version_table", history.version_table()},
                          {"heads", rows}}
                         .dump(2)
                  << "\n";
    } else {
        session.reporter().line(fmt::format("Stamped {} at {}", history.name(), heads_text(rows)));
    }
    return 0;
}

// FROM:TO is offline (no database is opened, like Alembic's --sql); anything else previews
// what `upgrade` would run now against the database, read-only.
int migrate_preview(Session& session, const HistoryArgs& args, const std::string& dialect) {
    History& history = session.history_for(args.app);
    std::string sql;
    if (args.revision.find(':') != std::string::npos) {
        Dialect d = dialect.empty() ? session.database_url().dialect : parse_dialect(dialect);
        sql = render_offline(history, d, args.revision);
    } else {
        Database& db = session.database(true);
        sql = HistoryMigrator(history, db, session.reporter())
                  .preview(Direction::upgrade, or_head(args.revision));
    }
    if (session.reporter().json()) {
        std::cout << Json{{"name", history.name()}, {"sql", sql}}.dump(2) << "\n";
    } else if (sql.empty()) {
        session.reporter().line(
            fmt::format("{} is up to date: nothing to preview", history.name()));
    } else {
        session.reporter().output(sql);
    }
    return 0;
}

}  // namespace fastappkit
