// The safety nets (docs/safety.md): `migrate lint` (offline rules over migration files) and
// `migrate test` (every revision's downgrade checked against the schema before it).
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "autogen/history_replay.h"
#include "autogen/round_trip.h"
#include "cli/commands.h"
#include "common/error.h"
#include "db/database_admin.h"
#include "lint/linter.h"

namespace fastappkit {

namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

// A path under the project root as a relative path, which editors and CI logs resolve from
// the root the command ran in; others as they are.
std::string shown_path(const std::string& file, const fs::path& root) {
    const fs::path relative = fs::path(file).lexically_relative(root);
    if (relative.empty() || *relative.begin() == "..") return file;
    return relative.string();
}

// The configured database URL (--database-url, DATABASE_URL, the project's .env, a standalone
// app's own .env: the one every command uses), or nothing: these commands also work without
// one, on SQLite.
std::optional<DatabaseUrl> configured_url(Session& session) {
    if (session.configured_database_url()) return session.database_url();
    return std::nullopt;
}

// --dialect, else the configured database URL's dialect (only parsed: lint opens nothing),
// else SQLite.
Dialect lint_dialect(Session& session, const std::string& dialect) {
    if (!dialect.empty()) return parse_dialect(dialect);
    if (const auto url = configured_url(session)) return url->dialect;
    return Dialect::sqlite;
}

// Every history, or the one of --app; --since names a revision of one history (core without --app).
std::vector<History*> selected_histories(Session& session, const LintArgs& args) {
    if (args.app.empty() && args.since.empty()) return session.all_histories();
    return {&session.history_for(args.app)};
}

}  // namespace

std::string lint_rules_help() {
    std::string text = "Rules (silence one in a file with '-- lint:ignore <rule-id> <reason>'):\n";
    for (const auto& rule : lint_rules()) {
        text += fmt::format("  {:<32}{:<9}{}\n", rule.id, to_string(rule.severity), rule.summary);
    }
    return text;
}

int migrate_lint(Session& session, const LintArgs& args) {
    Reporter& out = session.reporter();
    const Dialect dialect = lint_dialect(session, args.dialect);
    size_t errors = 0, warnings = 0, revisions = 0;
    Json findings = Json::array();
    std::string text;
    for (History* history : selected_histories(session, args)) {
        HistoryLint lint = lint_history(*history, dialect, args.since);
        revisions += lint.revisions;
        for (auto& f : lint.findings) {
            f.file = shown_path(f.file, session.root());
            (f.severity == Severity::error ? errors : warnings) += 1;
            text += f.text() + "\n";
            findings.push_back({{"file", f.file},
                                {"line", f.line},
                                {"rule", f.rule},
                                {"severity", to_string(f.severity)},
                                {"message", f.message}});
        }
    }
    const bool failed = errors > 0 || (args.strict && warnings > 0);
    if (out.json()) {
        std::cout << Json{{"dialect", to_string(dialect)},
                          {"revisions", revisions},
                          {"errors", errors},
                          {"warnings", warnings},
                          {"passed", !failed},
                          {"findings", findings}}
                         .dump(2)
                  << "\n";
    } else {
        out.output(text);
        out.line(fmt::format(
            "{} {} checked for {}: {} {}, {} {}{}", revisions,
            revisions == 1 ? "revision" : "revisions", to_string(dialect), errors,
            errors == 1 ? "error" : "errors", warnings, warnings == 1 ? "warning" : "warnings",
            warnings > 0 && !args.strict ? " (warnings fail only with --strict)" : ""));
    }
    return failed ? 1 : 0;
}

// One scratch database for the whole walk: each history builds on the ones before it in
// `migrate all` order (an external app's tables may refer to core's). With --app, the
// histories before it are only replayed.
int migrate_test(Session& session, const std::string& app) {
    Reporter& out = session.reporter();
    DatabaseUrl like;
    if (const auto url = configured_url(session)) like = *url;
    std::vector<History*> histories = session.all_histories();
    History* only = app.empty() ? nullptr : &session.history_for(app);
    ScratchDatabase scratch(like);
    Json results = Json::array();
    for (History* history : histories) {
        if (only && history != only) {
            replay_history(scratch.db(), *history);
            continue;
        }
        const RoundTrip trip = test_round_trips(scratch.db(), *history);
        if (!trip.failed_revision.empty()) throw failure(trip.failure);
        std::string note;
        if (!trip.irreversible.empty()) {
            note = fmt::format(
                "; revision {} has no downgrade section (irreversible), so the "
                "revisions from it on were not tested",
                trip.irreversible);
        }
        out.line(fmt::format("{}: {} {} downgrade and upgrade again to the same schema{}",
                             history->name(), trip.tested,
                             trip.tested == 1 ? "revision" : "revisions", note));
        results.push_back(
            {{"name", history->name()},
             {"tested", trip.tested},
             {"irreversible", trip.irreversible.empty() ? Json() : Json(trip.irreversible)}});
        if (only) break;
    }
    if (out.json()) std::cout << Json{{"passed", true}, {"histories", results}}.dump(2) << "\n";
    return 0;
}

}  // namespace fastappkit
