#include "autogen/scratch_schema.h"

#include "autogen/revision_file.h"

namespace fastappkit {

ScratchSchema::ScratchSchema(std::unique_ptr<Database> db, std::string drop_sql)
    : db_(std::move(db)), drop_sql_(std::move(drop_sql)) {}

ScratchSchema::~ScratchSchema() {
    if (drop_sql_.empty()) return;
    try {
        db_->execute(drop_sql_);
    } catch (...) {
        // A destructor must not throw; a schema left behind is named fastappkit_scratch_*.
    }
}

std::string scratch_schema_name() { return "fastappkit_scratch_" + new_revision_id(); }

}  // namespace fastappkit
