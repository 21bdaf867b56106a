// Builds the schema a history's migrations produce: runs the upgrade section of every
// revision, from base to the heads and selected for the database's dialect, into a scratch
// database. Nothing is recorded; no version table is made.
#pragma once

#include <memory>

#include "autogen/introspector.h"
#include "db/database.h"
#include "db/database_admin.h"
#include "runner/history.h"

namespace fastappkit {

// A statement that fails is a usage error naming the migration file, line and revision.
void replay_history(Database& db, History& history);
// The same for the revisions at or below `heads` only (what a database at `heads` applied).
void replay_history(Database& db, History& history, const RevisionGraph::Nodes& heads);

// The scratch database histories are replayed into for `migrate drift` and checkpoints: a
// database of its own on the target's server (in memory for SQLite; nothing is written to the
// target), or, when the role may not create databases, a scratch schema inside the target,
// dropped afterwards.
class ReplayDatabase {
public:
    ReplayDatabase(const DatabaseUrl& target, const Introspector& introspector);
    Database& db() { return database_ ? database_->db() : schema_->db(); }
    bool in_target() const { return schema_ != nullptr; }

private:
    std::unique_ptr<ScratchDatabase> database_;
    std::unique_ptr<ScratchSchema> schema_;
};

}  // namespace fastappkit
