// The one place that picks autogenerate's per-dialect introspector and renderer.
#pragma once

#include <memory>

#include "autogen/introspector.h"
#include "autogen/renderer.h"
#include "config/database_url.h"

namespace fastappkit {

std::unique_ptr<Introspector> make_introspector(Dialect dialect);
// `online`: for migration files (see make_postgres_renderer); false for SQL run as one script.
std::unique_ptr<Renderer> make_renderer(Dialect dialect, bool online = true);

}  // namespace fastappkit
