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

RunRequest run_request(std::vector<History*> histories, Direction direction, std::string target) {
    RunRequest request;
    request.histories = std::move(histories);
    request.direction = direction;
    request.target = std::move(target);
    return request;
}

// Runs `request` (run_migrations checks everything before writing) and prints the outcome.
int move_histories(Session& session, RunRequest request) {
    const auto started = Clock::now();
    auto& out = session.reporter();
    // A downgrade records no revision anywhere: nothing to check.
    if (request.direction == Direction::upgrade)
        request.conflict_checked = conflict_checked(request.histories, session.standalone());
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
        const char* verb = request.direction == Direction::upgrade ? "Applied" : "Reverted";
        out.line(out.green(fmt::format("{} {} migration{} in {} ms", verb, total,
                                       total == 1 ? "" : "s", elapsed_ms(started))));
    }
    return 0;
}

// What --app moves in `requires` order (none with --ignore-requires, or standalone: a
// standalone app has no project around it). An upgrade reads the app's manifest only, a
// downgrade every external app's.
RequiresOrder requires_order(Session& session, const HistoryArgs& args, Direction direction) {
    RequiresOrder order;
    if (args.app.empty() || args.ignore_requires || session.standalone()) return order;
    order.app = args.app;
    if (direction == Direction::upgrade) {
        const AppManifest& manifest = *session.project_app(args.app).manifest;
        for (const auto& name : manifest.requires_apps.value_or(std::vector<std::string>{}))
            order.required.push_back(&session.app_history(name));
        return order;
    }
    for (const App* app : session.project().external_apps()) {
        const auto& requires_apps = app->manifest->requires_apps;
        if (requires_apps && std::find(requires_apps->begin(), requires_apps->end(), args.app) !=
                                 requires_apps->end()) {
            order.required_by.push_back(&session.app_history(app->name));
        }
    }
    return order;
}

}  // namespace

int migrate_all(Session& session) {
    RunRequest request = run_request(session.all_histories(), Direction::upgrade, "head");
    request.verify = session.standalone() ? VerifyMode::warn : session.project().verify;
    return move_histories(session, std::move(request));
}

int migrate_upgrade(Session& session, const HistoryArgs& args) {
    RunRequest request =
        run_request({&session.history_for(args.app)}, Direction::upgrade, or_head(args.revision));
    request.requires_order = requires_order(session, args, Direction::upgrade);
    return move_histories(session, std::move(request));
}

int migrate_downgrade(Session& session, const HistoryArgs& args) {
    if (args.revision.empty()) {
        throw usage_error(
            "migrate downgrade needs a target revision (for example -1, base, or a revision id)");
    }
    RunRequest request =
        run_request({&session.history_for(args.app)}, Direction::downgrade, args.revision);
    request.requires_order = requires_order(session, args, Direction::downgrade);
    return move_histories(session, std::move(request));
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
