#include "config/dialect.h"

#include <fmt/format.h>

#include "common/error.h"

namespace fastappkit {

const char* to_string(Dialect dialect) {
    return dialect == Dialect::sqlite ? "sqlite" : "postgresql";
}

Dialect parse_dialect(const std::string& name) {
    if (name == "sqlite") return Dialect::sqlite;
    if (name == "postgresql" || name == "postgres") return Dialect::postgresql;
    throw usage_error(fmt::format("Unknown dialect '{}' (expected sqlite or postgresql)", name));
}

}  // namespace fastappkit
