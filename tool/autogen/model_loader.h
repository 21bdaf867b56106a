// Builds the declared schema: runs models.sql files (CREATE TABLE / CREATE INDEX statements in
// the target dialect) into a scratch database, in the order given.
#pragma once

#include <filesystem>
#include <vector>

#include "db/database.h"

namespace fastappkit {

// A statement that fails is a usage error "<file>:<line>: <database message> (statement: …)".
void load_models(Database& db, const std::vector<std::filesystem::path>& files);

}  // namespace fastappkit
