#include "autogen/renderer.h"

#include <algorithm>

namespace fastappkit {

namespace {

bool is_comment(const std::string& statement) { return statement.rfind("--", 0) == 0; }

bool spans_lines(const std::string& statement) {
    return !is_comment(statement) && statement.find('\n') != std::string::npos;
}

}  // namespace

std::string SectionSql::text() const {
    std::string out;
    for (std::size_t i = 0; i < statements.size(); ++i) {
        const std::string& statement = statements[i];
        if (i > 0 && spans_lines(statement) && !is_comment(statements[i - 1])) out += '\n';
        out += statement;
        out += is_comment(statement) ? "\n" : ";\n";
        if (spans_lines(statement) && i + 1 < statements.size()) out += '\n';
    }
    return out;
}

MigrationSql assemble(std::vector<ChangeSql> changes,
                      const std::vector<std::string>& review_notes) {
    std::stable_sort(changes.begin(), changes.end(),
                     [](const ChangeSql& a, const ChangeSql& b) { return a.phase < b.phase; });
    MigrationSql sql;
    for (const auto& note : review_notes) {
        sql.upgrade.statements.push_back("-- review: " + note);
        sql.downgrade.statements.push_back("-- review: " + note);
    }
    for (const auto& change : changes) {
        sql.upgrade.statements.insert(sql.upgrade.statements.end(), change.upgrade.begin(),
                                      change.upgrade.end());
    }
    for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
        sql.downgrade.statements.insert(sql.downgrade.statements.end(), it->downgrade.begin(),
                                        it->downgrade.end());
    }
    return sql;
}

}  // namespace fastappkit
