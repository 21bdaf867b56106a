// migrate resolve: records what the user found after a transaction:false section was
// interrupted (see runner/unfinished_section.h).
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/error.h"
#include "runner/unfinished_section.h"

namespace fastappkit {

int migrate_resolve(Session& session, const HistoryArgs& args, bool applied, bool rolled_back) {
    if (applied == rolled_back) {
        throw usage_error(
            "migrate resolve needs --applied (the section completed) or --rolled-back (it left "
            "nothing behind)");
    }
    History& history = session.history_for(args.app);
    history.graph().resolve_one(args.revision);  // a bad revision opens nothing
    const auto resolved =
        resolve_unfinished_section(session.database(false), history, args.revision, applied);
    const char* outcome = applied ? "applied" : "rolled back";
    const SectionProgress& progress = resolved.progress;
    if (session.reporter().json()) {
        using Json = nlohmann::ordered_json;
        auto known = [&](int value) { return progress.known() ? Json(value) : Json(); };
        std::cout << Json{{"name", history.name()},
                          {"revision", resolved.revision},
                          {"direction", to_string(resolved.direction)},
                          {"resolved", outcome},
                          {"completed_statements", known(progress.completed)},
                          {"statements", known(progress.statements)}}
                         .dump(2)
                  << "\n";
    } else {
        // What the mark said, so that the record shows what the user decided on.
        const std::string so_far = completed_statements(progress);
        session.reporter().line(fmt::format("Recorded the {} of {} revision {} as {}{}",
                                            to_string(resolved.direction), history.name(),
                                            resolved.revision, outcome,
                                            so_far.empty() ? "" : "; its mark said " + so_far));
    }
    return 0;
}

}  // namespace fastappkit
