// `migrate drift` (docs/safety.md): the schema a database holds against the schema its
// applied revisions build. The revisions its version rows name (base to the applied heads, not
// the files' heads) are replayed onto a scratch database, both sides are read by autogenerate's
// introspector, and every difference is a finding with the SQL that makes it (reproduce) and
// the SQL that undoes it (revert). The target database is only read.
#pragma once

#include <string>
#include <vector>

#include "config/database_url.h"
#include "db/database.h"
#include "runner/history.h"

namespace fastappkit {

struct DriftFinding {
    std::string object;       // "table orders", "view open_orders"
    std::string kind;         // "column_added", "index_removed", "view_changed", …
    std::string description;  // "column note added (TEXT NULL) out of band"
    // The statements of the object's whole difference: SQLite rebuilds a table in one step
    // for every change ALTER TABLE cannot make, so findings of one table share them.
    std::string reproduce_sql;  // turns the migrated object into the live one
    std::string revert_sql;     // turns the live object back into the migrated one

    // "drift: table orders: column note added (TEXT NULL) out of band"
    std::string text() const;
};

struct HistoryDrift {
    std::string history;
    std::vector<std::string> applied;  // the version rows the comparison is based on
    size_t replayed = 0;               // revisions replayed
    std::vector<DriftFinding> findings;
    // All of the history's differences in the order they can run (foreign keys, tables,
    // constraints, views), as a migration would: each finding's SQL, with no repetition.
    std::string reproduce_sql;
    std::string revert_sql;
};

struct DriftReport {
    std::vector<HistoryDrift> histories;
    // True when the replay ran in a scratch schema inside the target (the role may not
    // create databases) rather than in a scratch database of its own.
    bool scratch_schema = false;

    bool empty() const;
};

// Compares each history of `histories` (in `migrate all` order) with `live`, or only the one
// named `only` (the histories before it are replayed too: its tables may refer to theirs).
// Objects belong to the history whose replay creates them; objects no history creates are
// reported under the first history (core), and only when it is compared. Waits for a runner
// working on a compared history (Database::wait_for_history) and reads the version rows and
// the schema in one snapshot. `target` is the URL of `live`, for the scratch database. A
// version row naming a revision no file defines is a usage error.
DriftReport check_drift(Database& live, const DatabaseUrl& target,
                        const std::vector<History*>& histories, const std::string& only = {});

}  // namespace fastappkit
