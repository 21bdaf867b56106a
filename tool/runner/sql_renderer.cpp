#include "runner/sql_renderer.h"

#include "db/schema_sql.h"

namespace fastappkit {

std::string render_version_op(const std::string& version_table, const VersionOp& op) {
    switch (op.kind) {
        case VersionOp::Kind::insert:
            return insert_version_sql(version_table, op.to);
        case VersionOp::Kind::remove:
            return delete_version_sql(version_table, op.from);
        case VersionOp::Kind::update:
            return update_version_sql(version_table, op.from, op.to);
    }
    return {};
}

}  // namespace fastappkit
