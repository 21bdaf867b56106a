// Creating and dropping whole databases, for CTest fixtures (one fresh database each).
#pragma once

#include <memory>

#include "db/database.h"

namespace fastappkit {

// Drops the database if it exists, then creates it empty. SQLite: deletes the file (and its
// journal files); the next connection creates it. PostgreSQL: through the maintenance
// database `postgres` with the same credentials.
void reset_database(const DatabaseUrl& url);
void drop_database(const DatabaseUrl& url);

// Copies database `from` to `to`, replacing `to`. SQLite: the online backup API into a new
// file. PostgreSQL: CREATE DATABASE to TEMPLATE from, refused with a sentence while other
// sessions are connected to `from` (the server needs the template idle).
void clone_database(const DatabaseUrl& from, const DatabaseUrl& to);

// An empty database of the same kind as `like`, gone when this ends: SQLite, a database in
// memory; PostgreSQL, the new database <name>_scratch_<hex> on the same server, dropped by the
// destructor.
class ScratchDatabase {
public:
    explicit ScratchDatabase(const DatabaseUrl& like);
    ~ScratchDatabase();  // never throws
    ScratchDatabase(const ScratchDatabase&) = delete;
    ScratchDatabase& operator=(const ScratchDatabase&) = delete;

    Database& db() { return *db_; }

private:
    DatabaseUrl url_;
    bool server_database_ = false;
    std::unique_ptr<Database> db_;
};

}  // namespace fastappkit
