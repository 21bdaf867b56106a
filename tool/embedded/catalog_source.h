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

// Which symbol the source defines: the program's unnamed catalog (fastappkit::catalog::embedded,
// at most one per program), or a function `const fastappkit::catalog::Catalog& function()` of
// its own (any number per program, one per embedding library).
struct CatalogSymbol {
    std::string function;  // empty: the unnamed catalog
    // The unnamed catalog also defines this extern "C" symbol, so that a static library's
    // catalog is always linked (and two unnamed ones collide instead of one being dropped).
    std::string anchor;
};

// Throws usage_error unless the names are C identifiers.
void check_catalog_symbol(const CatalogSymbol& symbol);

std::string render_catalog_source(const std::vector<EmbeddedHistory>& histories,
                                  const CatalogSymbol& symbol = {});

}  // namespace fastappkit
