// `migrate drift` (docs/safety.md): the findings of check_drift() as lines or JSON; exit 1 on
// drift.
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "autogen/drift.h"
#include "cli/commands.h"

namespace fastappkit {

namespace {

using Json = nlohmann::ordered_json;

std::string revisions_text(size_t count) {
    return fmt::format("{} applied {}", count, count == 1 ? "revision" : "revisions");
}

void print_text(Reporter& out, const DriftReport& report) {
    for (const auto& history : report.histories) {
        std::string text;
        for (const auto& finding : history.findings) text += finding.text() + "\n";
        if (!history.findings.empty()) {
            text += fmt::format("-- {}: reproduce (turns the migrated schema into the live one):\n",
                                history.history) +
                    history.reproduce_sql;
            text +=
                fmt::format("-- {}: revert (turns the live schema back into the migrated one):\n",
                            history.history) +
                history.revert_sql;
        }
        out.output(text);
        const size_t count = history.findings.size();
        out.line(count == 0 ? fmt::format("{}: no drift from the schema its {} build",
                                          history.history, revisions_text(history.replayed))
                            : fmt::format("{}: {} {} from the schema its {} build", history.history,
                                          count, count == 1 ? "difference" : "differences",
                                          revisions_text(history.replayed)));
    }
    if (report.scratch_schema) {
        out.line(
            "Note: the role may not create databases, so the revisions were replayed in a scratch "
            "schema inside the database (dropped again).");
    }
}

Json to_json(const DriftReport& report) {
    Json histories = Json::array();
    for (const auto& history : report.histories) {
        Json findings = Json::array();
        for (const auto& f : history.findings) {
            findings.push_back({{"history", history.history},
                                {"object", f.object},
                                {"kind", f.kind},
                                {"description", f.description},
                                {"reproduce_sql", f.reproduce_sql},
                                {"revert_sql", f.revert_sql}});
        }
        histories.push_back({{"history", history.history},
                             {"applied", history.applied},
                             {"replayed", history.replayed},
                             {"findings", findings},
                             {"reproduce_sql", history.reproduce_sql},
                             {"revert_sql", history.revert_sql}});
    }
    return Json{{"drift", !report.empty()},
                {"scratch", report.scratch_schema ? "schema" : "database"},
                {"histories", histories}};
}

}  // namespace

int migrate_drift(Session& session, const std::string& app) {
    Reporter& out = session.reporter();
    const std::vector<History*> histories = session.all_histories();
    const std::string only = app.empty() ? std::string() : session.history_for(app).name();
    const DatabaseUrl url = session.database_url();
    const DriftReport report = check_drift(session.database(true), url, histories, only);
    if (out.json()) {
        std::cout << to_json(report).dump(2) << "\n";
    } else {
        print_text(out, report);
    }
    return report.empty() ? 0 : 1;
}

}  // namespace fastappkit
