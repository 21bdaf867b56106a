// `migrate verify`'s rule, also used by `status` and `migrate all`: an applied migration whose
// file changed since it ran. Each applied revision's checksum recorded in fastappkit_history (its
// last upgrade) is compared with its upgrade section for the database's dialect now.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "db/database.h"
#include "runner/history.h"

namespace fastappkit {

struct EditedMigration {
    std::string history;
    std::string revision;
    std::string file;
    std::string recorded;  // checksum when it ran
    std::string current;   // checksum of the file now
};

struct Verification {
    std::vector<EditedMigration> edited;
    std::size_t verified = 0;
    // Applied without a history row (stamped, or by Alembic): nothing to compare with.
    std::size_t unverified = 0;
};

// Reads the version rows and history rows of `history`; `db` may be read-only. `quick` (for
// `migrate all`, whose no-op must stay fast) reads only the files modified at or after the time
// their revision was applied: a file untouched since cannot differ from what ran. When every
// file is named after an applied revision and untouched since, it reads no header at all.
Verification verify_history(History& history, Database& db, bool quick = false);

// What to do about an edited migration, for the messages that name one.
constexpr const char* kEditedMigrationAdvice =
    "revert the edit (the database ran the recorded version), or put the change in a new "
    "migration ('fastappkit migrate revision -m MESSAGE')";

}  // namespace fastappkit
