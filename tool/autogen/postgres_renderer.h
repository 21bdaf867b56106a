// Renders a SchemaDiff as PostgreSQL SQL: CREATE/DROP TABLE and INDEX, ALTER TABLE for
// columns and named constraints; every statement has an exact undo.
#pragma once

#include <memory>

#include "autogen/renderer.h"

namespace fastappkit {

std::unique_ptr<Renderer> make_postgres_renderer();

}  // namespace fastappkit
