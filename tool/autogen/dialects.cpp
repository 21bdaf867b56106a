#include "autogen/dialects.h"

#include "autogen/postgres_introspector.h"
#include "autogen/postgres_renderer.h"
#include "autogen/sqlite_introspector.h"
#include "autogen/sqlite_renderer.h"

namespace fastappkit {

std::unique_ptr<Introspector> make_introspector(Dialect dialect) {
    return dialect == Dialect::postgresql ? make_postgres_introspector()
                                          : make_sqlite_introspector();
}

std::unique_ptr<Renderer> make_renderer(Dialect dialect, bool online) {
    return dialect == Dialect::postgresql ? make_postgres_renderer(online) : make_sqlite_renderer();
}

}  // namespace fastappkit
