// Reads a PostgreSQL schema from pg_catalog, limited to current_schema(); scratch schemas are
// temporary schemas (fastappkit_scratch_*) in the target database.
#pragma once

#include <memory>

#include "autogen/introspector.h"

namespace fastappkit {

std::unique_ptr<Introspector> make_postgres_introspector();

}  // namespace fastappkit
