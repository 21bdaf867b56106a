#include "config/version_table.h"

#include <cctype>

namespace fastappkit {

std::string version_table_for(const std::string& app) {
    return app == "core" ? "alembic_version" : "alembic_version_" + app;
}

bool is_version_table(const std::string& table) {
    std::string name = table;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string core = version_table_for("core");
    return name == core || name.rfind(core + "_", 0) == 0;
}

}  // namespace fastappkit
