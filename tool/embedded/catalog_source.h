// The C++ source `fastappkit embed` writes: every history as constant data in the layout of
// fastappkit/embedded_catalog.h. Strings go into one byte array, so any SQL text survives.
#pragma once

#include <string>
#include <vector>

#include "config/project.h"
#include "script/migration_file.h"

namespace fastappkit {

struct EmbeddedHistory {
    std::string name;
    std::string version_table;
    std::vector<MigrationScript> scripts;  // with their bodies; `file` as messages should show it
    MigrationSettings settings;
};

std::string render_catalog_source(const std::vector<EmbeddedHistory>& histories);

}  // namespace fastappkit
