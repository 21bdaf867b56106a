// Renders a SchemaDiff as PostgreSQL SQL: CREATE/DROP TABLE and INDEX, ALTER TABLE for
// columns and named constraints; every statement has an exact undo.
#pragma once

#include <memory>

#include "autogen/renderer.h"

namespace fastappkit {

// `online` (migration files): indexes on existing tables build CONCURRENTLY and new foreign keys
// are validated apart, in a follow-up transaction:false migration (MigrationSql::then). Without
// it, plain statements that run in one transaction (the SQL `migrate drift` prints).
std::unique_ptr<Renderer> make_postgres_renderer(bool online = true);

}  // namespace fastappkit
