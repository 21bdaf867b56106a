// Commands that move a database: migrate all / upgrade / downgrade / stamp / preview.
#include <chrono>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/error.h"
#include "config/app_order.h"
#include "runner/migrator.h"

namespace fastappkit {

namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

Json result_json(const History& history, const MigrationResult& result) {
    Json applied = Json::array();
    for (const auto& s : result.steps) {
        applied.push_back({{"revision", s.revision},
                           {"message", s.message},
                           {"direction", to_string(s.direction)},
                           {"duration_ms", s.duration_ms}});
    }
    return {{"name", history.name()},
            {"version_table", history.version_table()},
            {"applied", applied},
            {"heads", result.heads}};
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

// Runs `move` on each history and prints one summary (text or JSON).
template <typename Move>
int run_histories(Session& session, const std::vector<History*>& histories, const char* verb,
                  Move move) {
    const auto started = Clock::now();
    Json documents = Json::array();
    size_t total = 0;
    for (History* history : histories) {
        MigrationResult result = move(*history);
        total += result.steps.size();
        if (session.reporter().json()) documents.push_back(result_json(*history, result));
        if (result.steps.empty()) {
            session.reporter().line(fmt::format("{} is up to date ({})", history->name(),
                                                heads_text(result.heads)));
        }
    }
    auto& out = session.reporter();
    if (out.json()) {
        std::cout << Json{{"histories", documents}, {"applied", total}, {"duration_ms", elapsed_ms(started)}}.dump(2)
                  << "\n";
    } else if (total > 0) {
        out.line(out.green(fmt::format("{} {} migration{} in {} ms", verb, total,
                                       total == 1 ? "" : "s", elapsed_ms(started))));
    }
    return 0;
}

const std::string& or_head(const std::string& revision) {
    static const std::string head = "head";
    return revision.empty() ? head : revision;
}

}  // namespace

int migrate_all(Session& session) {
    Database& db = session.database(false);
    auto histories = session.all_histories();
    if (!session.standalone()) {
        std::vector<std::string> apps;
        for (const auto* app : session.project().external_apps()) apps.push_back(app->name);
        session.check_version_table_conflicts(apps, db);
    }
    return run_histories(session, histories, "Applied", [&](History& history) {
        return Migrator(history, db, session.reporter()).upgrade("head");
    });
}

int migrate_upgrade(Session& session, const HistoryArgs& args) {
    History& history = session.history_for(args.app);
    Database& db = session.database(false);
    if (!args.app.empty() && !session.standalone()) session.check_version_table_conflicts({args.app}, db);
    return run_histories(session, {&history}, "Applied", [&](History& h) {
        return Migrator(h, db, session.reporter()).upgrade(or_head(args.revision));
    });
}

int migrate_downgrade(Session& session, const HistoryArgs& args) {
    if (args.revision.empty()) {
        throw usage_error("migrate downgrade needs a target revision (for example -1, base, or a revision id)");
    }
    History& history = session.history_for(args.app);
    Database& db = session.database(false);
    return run_histories(session, {&history}, "Reverted", [&](History& h) {
        return Migrator(h, db, session.reporter()).downgrade(args.revision);
    });
}

int migrate_stamp(Session& session, const HistoryArgs& args, bool purge) {
    if (args.revision.empty()) throw usage_error("migrate stamp needs a revision (for example head or base)");
    History& history = session.history_for(args.app);
    Database& db = session.database(false);
    auto rows = Migrator(history, db, session.reporter()).stamp(args.revision, purge);
    if (session.reporter().json()) {
        std::cout << Json{{"name", history.name()}, {"version_table", history.version_table()}, {"heads", rows}}.dump(2)
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
        sql = render_offline(history, d, Direction::upgrade, args.revision);
    } else {
        Database& db = session.database(true);
        sql = Migrator(history, db, session.reporter()).preview(Direction::upgrade, or_head(args.revision));
    }
    if (session.reporter().json()) {
        std::cout << Json{{"name", history.name()}, {"sql", sql}}.dump(2) << "\n";
    } else if (sql.empty()) {
        session.reporter().line(fmt::format("{} is up to date: nothing to preview", history.name()));
    } else {
        session.reporter().output(sql);
    }
    return 0;
}

}  // namespace fastappkit
