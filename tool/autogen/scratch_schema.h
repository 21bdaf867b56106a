// A private, empty schema to build one side of a comparison in: an in-memory SQLite database,
// or a temporary schema in the target PostgreSQL database (made current through the session's
// search_path). The destructor drops it, also when the comparison failed; nothing of the
// target database's own tables is read or changed.
#pragma once

#include <memory>
#include <string>

#include "db/database.h"

namespace fastappkit {

class ScratchSchema {
public:
    // `drop_sql` removes the schema again (empty when closing `db` is enough).
    ScratchSchema(std::unique_ptr<Database> db, std::string drop_sql);
    ~ScratchSchema();  // runs drop_sql; never throws
    ScratchSchema(const ScratchSchema&) = delete;
    ScratchSchema& operator=(const ScratchSchema&) = delete;

    Database& db() { return *db_; }

private:
    std::unique_ptr<Database> db_;
    std::string drop_sql_;
};

// "fastappkit_scratch_" and 12 random hex digits: concurrent runners never share a schema.
std::string scratch_schema_name();

}  // namespace fastappkit
