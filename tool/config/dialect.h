// The SQL dialects fastappkit speaks. Only db/ and autogen/'s renderers branch on them.
#pragma once

#include <string>

namespace fastappkit {

enum class Dialect { sqlite, postgresql };

const char* to_string(Dialect dialect);  // "sqlite" / "postgresql"
// "sqlite" / "postgresql" (also "postgres"); usage_error otherwise.
Dialect parse_dialect(const std::string& name);

}  // namespace fastappkit
