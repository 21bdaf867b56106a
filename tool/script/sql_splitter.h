// Splits SQL text into statements at top-level semicolons, respecting '…' and "…" quoting,
// E'…' escapes, $$ / $tag$ dollar quoting, -- and /* */ comments, and SQLite trigger bodies
// (BEGIN … END).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fastappkit {

struct Statement {
    std::string text;  // trimmed, without the terminating semicolon; comments kept
    int line = 1;      // 1-based line of the statement's first character within the input
};

// Statements that are empty or only comments are dropped.
std::vector<Statement> split_sql(std::string_view sql);

// The statement from its first code on: the comments and blanks that open it dropped, `line`
// moved to that code's line. For errors, which name the line that failed, not a comment above.
Statement from_first_code(const Statement& statement);

}  // namespace fastappkit
