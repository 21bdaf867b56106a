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

// Reads the version rows and history rows of `history`; `db` may be read-only. `quick` reads only
// the files modified at or after the time their revision was applied (a file untouched since
// cannot differ from what ran), and no header at all when every file is named after an
// applied revision and untouched since.
Verification verify_history(History& history, Database& db, bool quick = false);

// `migrate all`'s check, made to keep its no-op fast: the history rows of every history read
// at once, and a history whose every file is named after an applied revision and was not
// modified since it ran is taken as unchanged without reading any file (on a database another
// checkout migrated, an edit made here before that run looks untouched: `migrate verify` is
// the complete check). The others get verify_history(); a history in a state the run itself
// refuses (a revision no file defines) is skipped, for the run to word.
std::vector<EditedMigration> find_edited_migrations(const std::vector<History*>& histories,
                                                    Database& db);

// What to do about an edited migration, for the messages that name one.
constexpr const char* kEditedMigrationAdvice =
    "revert the edit (the database ran the recorded version), or put the change in a new "
    "migration ('fastappkit migrate revision -m MESSAGE')";

}  // namespace fastappkit
