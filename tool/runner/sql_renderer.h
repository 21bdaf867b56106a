// The statement of one version-row change; the SQL itself lives with the other statements of
// fastappkit's own tables, in db/schema_sql.h.
#pragma once

#include <string>

#include "runner/head_maintainer.h"

namespace fastappkit {

std::string render_version_op(const std::string& version_table, const VersionOp& op);

}  // namespace fastappkit
