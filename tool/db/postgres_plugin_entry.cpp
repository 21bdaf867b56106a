// The plugin's only exported symbols: the runner finds them with dlsym. Objects the plugin
// creates are only ever called inside fastappkit_plugin_guard (db/plugin_guard.cpp).
#include "db/plugin_abi.h"
#include "db/postgres_database.h"

#ifndef FASTAPPKIT_VERSION
#define FASTAPPKIT_VERSION "0.0.0"
#endif

#define FASTAPPKIT_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))

FASTAPPKIT_PLUGIN_EXPORT const char* fastappkit_plugin_version() { return FASTAPPKIT_VERSION; }

FASTAPPKIT_PLUGIN_EXPORT fastappkit::Database* fastappkit_postgresql_open(
    const fastappkit::DatabaseUrl& url, const fastappkit::OpenOptions& options) {
    return fastappkit::open_postgres_database(url, options).release();
}

FASTAPPKIT_PLUGIN_EXPORT void fastappkit_postgresql_reset(const fastappkit::DatabaseUrl& url,
                                                          bool create) {
    fastappkit::reset_postgres_database(url, create);
}

FASTAPPKIT_PLUGIN_EXPORT void fastappkit_postgresql_clone(const fastappkit::DatabaseUrl& from,
                                                          const fastappkit::DatabaseUrl& to) {
    fastappkit::clone_postgres_database(from, to);
}
