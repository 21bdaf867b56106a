// The one place that picks a backend from the URL's dialect.
#include <memory>

#include "common/error.h"
#include "db/database.h"
#include "db/sqlite_database.h"
#ifdef FASTAPPKIT_WITH_POSTGRESQL
#include "db/postgres_plugin.h"
#endif

namespace fastappkit {

std::unique_ptr<Database> open_database(const DatabaseUrl& url, const OpenOptions& options) {
    switch (url.dialect) {
        case Dialect::sqlite:
            return open_sqlite_database(url, options);
        case Dialect::postgresql:
#ifdef FASTAPPKIT_WITH_POSTGRESQL
            return load_and_open_postgres(url, options);
#else
            throw usage_error(
                "This build of fastappkit has no PostgreSQL support; reconfigure it with "
                "-DFASTAPPKIT_WITH_POSTGRESQL=ON to use " +
                url.masked() + ".");
#endif
    }
    throw usage_error("Unsupported database dialect.");
}

bool applies_timeouts(Dialect dialect) { return dialect == Dialect::postgresql; }

}  // namespace fastappkit
