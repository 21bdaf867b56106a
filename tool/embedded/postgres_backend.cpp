// Not including postgres_backend.h: there the declaration is weak, here the definition is not.
#include "db/postgres_database.h"

extern "C" fastappkit::Database* fastappkit_embedded_open_postgresql(
    const fastappkit::DatabaseUrl& url, const fastappkit::OpenOptions& options) {
    return fastappkit::open_postgres_database(url, options).release();
}
