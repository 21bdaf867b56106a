// One migration file (docs/migration-files.md): a `-- key: value` header, then `-- migrate:upgrade`
// and `-- migrate:downgrade` sections with options on the marker line.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/timeouts.h"

namespace fastappkit {

enum class Direction { upgrade, downgrade };
const char* to_string(Direction direction);  // "upgrade" / "downgrade"

struct Section {
    Direction direction = Direction::upgrade;
    std::string dialect;        // empty: generic; else "sqlite" or "postgresql"
    bool transactional = true;  // false with `transaction:false`
    int marker_line = 0;        // 1-based line of the `-- migrate:` marker
    std::string sql;            // the text after the marker line up to the next marker
};

struct MigrationScript {
    std::string file;  // the path as read; a string, not a path: 10,000 of them stay in memory
    std::string revision;
    std::vector<std::string> down_revisions;  // empty for a base
    std::vector<std::string> branch_labels;
    std::vector<std::string> depends_on;
    std::string message;
    std::string create_date;
    Timeouts timeouts;              // `-- lock_timeout:` / `-- statement_timeout:` headers
    // A checkpoint file (`-- checkpoint: REV`, docs/checkpoints.md) holds the schema that
    // base→REV builds. Its revision is REV, it has no down revision, and `replaces` lists the
    // revisions of that range. Empty for an ordinary migration.
    std::string checkpoint;
    std::vector<std::string> replaces;
    bool body_loaded = false;       // false when only the header was read
    std::vector<Section> sections;  // in file order; empty until the body is read

    // The section that runs for `direction` on `dialect`: the dialect-specific one, else the
    // generic one; nullptr when there is none (a missing downgrade: irreversible).
    const Section* section(Direction direction, std::string_view dialect) const;
};

// Parses a whole file, or only its header (stopping at the first section marker) when
// `header_only`. Errors are usage_error "path:line: message".
MigrationScript parse_migration_text(std::string_view text, const std::filesystem::path& file,
                                     bool header_only);
MigrationScript read_migration_file(const std::filesystem::path& file, bool header_only);

// True for 1-32 characters of [0-9A-Za-z_].
bool is_valid_revision_id(std::string_view revision);

}  // namespace fastappkit
