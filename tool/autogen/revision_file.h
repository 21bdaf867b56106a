// A new migration file (docs/migration-files.md): header, then the upgrade and downgrade sections,
// written as versions/<revision>_<slug>.sql.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "autogen/renderer.h"

namespace fastappkit {

// 12 random hex digits.
std::string new_revision_id();

// "Add tags table!" -> "add_tags_table" (at most 40 characters; "revision" when empty).
std::string revision_slug(const std::string& message);

struct RevisionFile {
    std::string revision;
    std::vector<std::string> down_revisions;  // empty: none
    std::string message;
    std::string create_date;  // ISO 8601 UTC, e.g. 2026-11-26T10:00:00Z
    MigrationSql sql;
    std::vector<std::string> branch_labels = {};
    std::vector<std::string> depends_on = {};
};

std::string render_revision_file(const RevisionFile& file);

// Writes <versions_dir>/<revision>_<slug>.sql (creating the directory) and returns its path.
std::filesystem::path write_revision_file(const std::filesystem::path& versions_dir,
                                          const RevisionFile& file);

}  // namespace fastappkit
