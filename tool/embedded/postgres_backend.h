// The PostgreSQL backend of the embedded API. fastappkit::postgresql defines it (and makes the
// linker pull it in); without that library the weak reference stays null and a PostgreSQL URL
// is refused.
#pragma once

#include "db/database.h"

extern "C" fastappkit::Database* fastappkit_embedded_open_postgresql(
    const fastappkit::DatabaseUrl& url, const fastappkit::OpenOptions& options)
    __attribute__((weak));
