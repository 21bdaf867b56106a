// The rules of `migrate lint` (docs/safety.md): stable ids, a severity each, and the checks of one
// statement. A statement is read as tokens (autogen's SQL lexer over the statements the SQL
// splitter cut), never with patterns over the whole file.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "autogen/sql_text.h"
#include "config/database_url.h"
#include "script/migration_file.h"

namespace fastappkit {

enum class Severity { warning, error };
const char* to_string(Severity severity);  // "warning" / "error"

struct LintRule {
    std::string_view id;
    Severity severity;
    std::string_view summary;  // what the rule finds, for the README and --help
};

// Every rule, in a stable order. Errors fail `migrate lint`; warnings only with --strict.
const std::vector<LintRule>& lint_rules();
const LintRule* find_lint_rule(std::string_view id);

// What the checks know around one statement of one section.
struct StatementContext {
    Dialect dialect = Dialect::sqlite;
    Direction direction = Direction::upgrade;
    bool transactional = true;
    std::set<std::string> created_tables;  // created earlier in this section (lower case)
};

struct RuleHit {
    std::string_view rule;
    std::string message;  // one sentence with the safer way
};

// The rules `tokens` (one statement) breaks. Also records in `context` the tables it creates.
std::vector<RuleHit> check_statement(const std::vector<SqlToken>& tokens,
                                     StatementContext& context);

// The table an ALTER TABLE statement changes when that table existed before this section (not
// created in it), else empty: such statements take locks on live tables.
std::string altered_existing_table(const std::vector<SqlToken>& tokens,
                                   const StatementContext& context);

// True for `SET [LOCAL|SESSION] lock_timeout …`.
bool sets_lock_timeout(const std::vector<SqlToken>& tokens);

}  // namespace fastappkit
