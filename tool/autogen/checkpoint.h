// Checkpoints (docs/checkpoints.md): `migrate squash` replays base→REV on a scratch database,
// reads what it built and writes it as one file, versions/<REV>_checkpoint.sql, which a fresh
// database runs in place of the replay; `migrate check` proves that what a checkpoint builds
// is what the replay builds.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "config/database_url.h"
#include "runner/history.h"

namespace fastappkit {

struct SquashRequest {
    std::string to;                      // the revision the checkpoint builds (a revision spec)
    std::vector<std::string> keep_data;  // tables whose rows the checkpoint inserts
    bool no_data = false;                // leave out what the range's data statements did
};

struct Squashed {
    std::string revision;
    std::filesystem::path file;
    size_t replaced = 0;   // revisions it stands for
    size_t kept_rows = 0;  // rows of the --keep-data tables
};

// Writes the checkpoint of `history` at request.to for `target`'s dialect. `requirements` are
// replayed first (an external app's tables may refer to theirs) and their objects left out, as
// compare_models does. Refused with a usage error, writing nothing, when: the revision already
// has a checkpoint or is one; a revision outside base→REV builds on or depends on one inside
// it (other than REV), so that deleting the replaced files would break it; the range changes
// data and neither keep_data nor no_data is given; a --keep-data table does not exist; or the
// replay built objects a checkpoint cannot carry (PostgreSQL functions, triggers, types, ...).
Squashed squash(const DatabaseUrl& target, History& history, const SquashRequest& request,
                const std::vector<History*>& requirements = {});

struct CheckpointVerdict {
    std::string file;
    std::string revision;
    std::vector<std::string> differences;  // empty: it builds what the replay builds
    std::string skipped;                   // why it was not compared, when it was not
};

// Builds each checkpoint of `history` and a replay of the range it replaces in two scratch
// databases (one replay and one checkpoint run each) and compares them.
std::vector<CheckpointVerdict> check_checkpoints(const DatabaseUrl& target, History& history,
                                                 const std::vector<History*>& requirements = {});

// The first statement of `sql` that changes rows (INSERT, UPDATE, DELETE, MERGE, COPY, REPLACE,
// CREATE TABLE … AS): its line within `sql` (1-based) and its first line; line 0 when none.
struct DataStatement {
    int line = 0;
    std::string statement;
};
DataStatement first_data_statement(const std::string& sql);

}  // namespace fastappkit
