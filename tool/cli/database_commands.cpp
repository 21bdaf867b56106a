// db reset / db drop: whole databases, for test fixtures.
#include <fmt/format.h>

#include "cli/commands.h"
#include "db/database_admin.h"

namespace fastappkit {

int db_reset(Session& session) {
    DatabaseUrl url = session.database_url();
    reset_database(url);
    session.reporter().line(fmt::format("Reset {}", url.masked()));
    return 0;
}

int db_drop(Session& session) {
    DatabaseUrl url = session.database_url();
    drop_database(url);
    session.reporter().line(fmt::format("Dropped {}", url.masked()));
    return 0;
}

int db_clone(Session& session, const std::string& from) {
    const DatabaseUrl source = parse_database_url(from, session.root());
    const DatabaseUrl target = session.database_url();
    clone_database(source, target);
    session.reporter().line(fmt::format("Cloned {} into {}", source.masked(), target.masked()));
    return 0;
}

}  // namespace fastappkit
