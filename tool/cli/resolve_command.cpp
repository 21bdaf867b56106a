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
    if (session.reporter().json()) {
        std::cout << nlohmann::ordered_json{{"name", history.name()},
                                            {"revision", resolved.revision},
                                            {"direction", to_string(resolved.direction)},
                                            {"resolved", outcome}}
                         .dump(2)
                  << "\n";
    } else {
        session.reporter().line(fmt::format("Recorded the {} of {} revision {} as {}",
                                            to_string(resolved.direction), history.name(),
                                            resolved.revision, outcome));
    }
    return 0;
}

}  // namespace fastappkit
