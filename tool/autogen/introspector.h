// Reads a Schema from a database through plain SQL (Database::query), one implementation per
// dialect. Both sides of a comparison are read by the same introspector, so whatever spelling
// the database chooses for types and defaults, equal declarations compare equal.
#pragma once

#include <memory>

#include "autogen/schema.h"
#include "autogen/scratch_schema.h"
#include "config/database_url.h"
#include "db/database.h"

namespace fastappkit {

class Introspector {
public:
    virtual ~Introspector() = default;

    // An empty scratch schema for a database like `target` (SQLite: in memory; PostgreSQL: a
    // temporary schema in the target database).
    virtual std::unique_ptr<ScratchSchema> open_scratch(const DatabaseUrl& target) const = 0;

    // The tables of the connection's current schema (SQLite: main; PostgreSQL:
    // current_schema()), without the runner's own tables.
    virtual Schema read_schema(Database& db) const = 0;
};

}  // namespace fastappkit
