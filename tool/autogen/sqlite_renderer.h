// Renders a SchemaDiff as SQLite SQL. What ALTER TABLE cannot express (type, nullability and
// default changes, keys and constraints, most column changes) rebuilds the table with SQLite's
// documented procedure (https://www.sqlite.org/lang_altertable.html#otheralter), keeping its
// rows, indexes and foreign keys.
#pragma once

#include <memory>

#include "autogen/renderer.h"

namespace fastappkit {

std::unique_ptr<Renderer> make_sqlite_renderer();

}  // namespace fastappkit
