// Just enough SQL lexing for autogenerate: tokens, a normal form to compare expressions
// written differently, identifier quoting, and the parts of CREATE TABLE / CREATE INDEX
// statements that SQLite keeps only as text (column definitions, CHECK clauses).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fastappkit {

struct SqlToken {
    enum class Kind { word, quoted_identifier, string, number, symbol };
    Kind kind = Kind::symbol;
    std::string text;       // words and symbols as written; identifiers unquoted; strings quoted
    std::size_t begin = 0;  // offsets of the token in the input
    std::size_t end = 0;
};

// Comments and blanks are skipped. Quotes: '…', "…", `…`, […], $tag$…$tag$.
std::vector<SqlToken> tokenize_sql(std::string_view sql);

// One spelling for equivalent text: tokens joined by single blanks, identifiers and keywords
// lower-cased (SQLite's and unquoted PostgreSQL identifiers are case-insensitive), string
// literals kept as written.
std::string normalize_sql(std::string_view sql);

// Case-insensitive (ASCII) comparison of two identifiers.
bool same_identifier(std::string_view a, std::string_view b);
std::string lower_ascii(std::string_view text);

// `name` bare when it is a plain lower-case identifier and no keyword, else double-quoted.
std::string quote_identifier(std::string_view name);
// "a, b, c" with each identifier quoted as needed.
std::string quote_identifiers(const std::vector<std::string>& names);

// The parts of a CREATE TABLE statement.
struct CreateTableText {
    std::size_t name_begin = 0, name_end = 0;  // the (possibly schema-qualified) table name
    std::vector<std::string> items;            // column definitions and table constraints
};
std::optional<CreateTableText> parse_create_table(std::string_view sql);

// The statement with its table renamed (the SQLite rebuild creates "_new_<table>" this way).
std::string rename_created_table(std::string_view sql, std::string_view new_name);

// The column a CREATE TABLE item defines, or nothing for a table constraint.
std::optional<std::string> defined_column(std::string_view item);

// Every CHECK (…) clause of the text (column or table constraint), normalised.
std::vector<std::string> check_clauses(std::string_view sql);

// True when `identifier` occurs as an identifier token in `sql`.
bool mentions_identifier(std::string_view sql, std::string_view identifier);

// The parts of a CREATE INDEX statement.
struct CreateIndexText {
    bool unique = false;
    std::string name;
    std::string table;
    std::string method;                // USING method; empty: not given
    std::vector<std::string> columns;  // the items between the parentheses, as written
    std::string where;                 // text after WHERE, as written; empty: none
};
std::optional<CreateIndexText> parse_create_index(std::string_view sql);

}  // namespace fastappkit
