// `migrate test` (docs/safety.md): walks a history's revisions in upgrade order on a scratch
// database and checks that each downgrade gives back the schema before its upgrade, and that
// upgrading again gives the same schema as the first time. Schemas are read by autogenerate's
// introspector, so "the same" means what `migrate check` means by it.
#pragma once

#include <string>
#include <vector>

#include "db/database.h"
#include "runner/history.h"

namespace fastappkit {

struct RoundTrip {
    size_t tested = 0;            // revisions whose round trip matched
    std::string irreversible;     // the revision without a downgrade that ended the walk
    std::string failed_revision;  // the first revision that did not round-trip; empty: none
    std::string failure;          // one sentence: which revision and what differs
};

// Runs on `db`, which must hold the histories this one builds on (and nothing of its own).
// Leaves `db` at the history's heads unless a round trip failed. A statement that fails is an
// error (failure) naming the file, line and revision.
RoundTrip test_round_trips(Database& db, History& history);

}  // namespace fastappkit
