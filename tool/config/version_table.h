// The names of the version tables, as Alembic and the Python fastappkit give them.
#pragma once

#include <string>

namespace fastappkit {

// The version table of a history: "alembic_version" for core (and its internal apps),
// "alembic_version_<app>" for an external app.
std::string version_table_for(const std::string& app);
// True for a name version_table_for() gives (compared case-insensitively).
bool is_version_table(const std::string& table);

}  // namespace fastappkit
