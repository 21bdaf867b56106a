// Reads a SQLite schema: sqlite_master and the table_xinfo, index_list, index_info and
// foreign_key_list pragmas; CHECK clauses and column definitions from the stored CREATE TABLE.
#pragma once

#include <memory>

#include "autogen/introspector.h"

namespace fastappkit {

std::unique_ptr<Introspector> make_sqlite_introspector();

}  // namespace fastappkit
