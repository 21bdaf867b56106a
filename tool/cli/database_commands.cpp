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

}  // namespace fastappkit
