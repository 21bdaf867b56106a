// The one lexical scan of SQL text, shared by the statement splitter (script/sql_splitter) and
// autogenerate's tokens (autogen/sql_text): blanks, comments, quoted text and dollar-quoted
// bodies are recognised the same way everywhere.
#pragma once

#include <cstddef>
#include <string_view>

namespace fastappkit {

struct SqlLexeme {
    enum class Kind {
        blank,              // a run of white space
        comment,            // -- to the end of the line (the line break excluded), or /* … */
        string,             // '…', E'…' (backslash escapes), $$…$$ or $tag$…$tag$
        quoted_identifier,  // "…", `…`, and […] when asked for
        number,             // 12, 1.5e-3, .5
        word,               // keywords and bare identifiers ($ allowed after the first character)
        symbol,             // one character, or one of :: <= >= <> != || == ->
    };
    Kind kind = Kind::symbol;
    std::size_t begin = 0;
    std::size_t end = 0;  // one past the last character; unterminated quotes run to the end
};

// The lexeme that starts at `pos` (< sql.size()). `bracket_identifiers`: read [name] as a quoted
// identifier (SQLite accepts it; on PostgreSQL brackets are array subscripts).
SqlLexeme scan_sql_lexeme(std::string_view sql, std::size_t pos, bool bracket_identifiers);

}  // namespace fastappkit
