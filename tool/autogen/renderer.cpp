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

namespace {

void accept_lint_rules(MigrationSql& sql, const std::vector<std::string>& accepted) {
    for (const auto& entry : accepted) {
        const std::string rule = "lint:ignore " + entry.substr(0, entry.find(' ')) + " ";
        const bool present = std::any_of(sql.header.begin(), sql.header.end(),
                                         [&](const auto& h) { return h.rfind(rule, 0) == 0; });
        if (!present) sql.header.push_back("lint:ignore " + entry);
    }
}

MigrationSql assemble_one(const std::vector<ChangeSql>& changes,
                          const std::vector<std::string>& review_notes) {
    MigrationSql sql;
    for (const auto& note : review_notes) {
        sql.upgrade.statements.push_back("-- review: " + note);
        sql.downgrade.statements.push_back("-- review: " + note);
    }
    for (const auto& change : changes) {
        sql.upgrade.statements.insert(sql.upgrade.statements.end(), change.upgrade.begin(),
                                      change.upgrade.end());
        accept_lint_rules(sql, change.lint_accepted);
    }
    for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
        sql.downgrade.statements.insert(sql.downgrade.statements.end(), it->downgrade.begin(),
                                        it->downgrade.end());
    }
    return sql;
}

}  // namespace

MigrationSql assemble(std::vector<ChangeSql> changes,
                      const std::vector<std::string>& review_notes) {
    std::stable_sort(changes.begin(), changes.end(),
                     [](const ChangeSql& a, const ChangeSql& b) { return a.phase < b.phase; });
    std::vector<ChangeSql> inside, outside;
    for (auto& change : changes)
        (change.outside_transaction ? outside : inside).push_back(std::move(change));
    MigrationSql sql = assemble_one(inside, review_notes);
    if (!outside.empty()) {
        MigrationSql then = assemble_one(outside, {});
        then.upgrade.options = then.downgrade.options = "transaction:false";
        sql.then.push_back(std::move(then));
    }
    return sql;
}

}  // namespace fastappkit
