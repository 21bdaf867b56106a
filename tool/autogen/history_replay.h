// Builds the schema a history's migrations produce: runs the upgrade section of every
// revision, from base to the heads and selected for the database's dialect, into a scratch
// database. Nothing is recorded; no version table is made.
#pragma once

#include "db/database.h"
#include "runner/history.h"

namespace fastappkit {

// A statement that fails is a usage error naming the migration file, line and revision.
void replay_history(Database& db, History& history);
// The same for the revisions at or below `heads` only (what a database at `heads` applied).
void replay_history(Database& db, History& history, const RevisionGraph::Nodes& heads);

}  // namespace fastappkit
