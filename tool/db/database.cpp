#include "db/database.h"

#include <algorithm>

namespace fastappkit {

namespace {

bool same_rows(std::vector<std::string> a, std::vector<std::string> b) {
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    return a == b;
}

}  // namespace

bool Database::execute_transaction(std::string_view section, int first_line,
                                   const std::vector<std::string>& bookkeeping,
                                   const Timeouts& timeouts, const std::string& version_table,
                                   const std::vector<std::string>& expected_heads) {
    auto transaction = begin();
    limit_transaction(timeouts);
    fence(version_table);
    if (!same_rows(read_versions(version_table), expected_heads)) return false;  // rolled back
    execute(section, first_line);
    for (const auto& statement : bookkeeping) execute(statement);
    transaction->commit();
    return true;
}

}  // namespace fastappkit
