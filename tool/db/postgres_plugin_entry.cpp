// The plugin's only exported symbols: the runner finds them with dlsym.
#include "db/postgres_database.h"

#define FASTAPPKIT_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))

FASTAPPKIT_PLUGIN_EXPORT fastappkit::Database* fastappkit_postgresql_open(
    const fastappkit::DatabaseUrl& url, const fastappkit::OpenOptions& options) {
    return fastappkit::open_postgres_database(url, options).release();
}

FASTAPPKIT_PLUGIN_EXPORT void fastappkit_postgresql_reset(const fastappkit::DatabaseUrl& url, bool create) {
    fastappkit::reset_postgres_database(url, create);
}

FASTAPPKIT_PLUGIN_EXPORT void fastappkit_postgresql_clone(const fastappkit::DatabaseUrl& from,
                                                         const fastappkit::DatabaseUrl& to) {
    fastappkit::clone_postgres_database(from, to);
}
