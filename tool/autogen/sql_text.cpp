#include "autogen/sql_text.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "script/sql_lexer.h"

namespace fastappkit {

namespace {

// The identifier a quoted-identifier lexeme names: without its quotes, doubled quotes undone.
std::string unquoted(std::string_view quoted) {
    const char close = quoted.front() == '[' ? ']' : quoted.front();
    std::string_view inner = quoted.substr(1);
    if (!inner.empty() && inner.back() == close) inner.remove_suffix(1);  // unterminated: no close
    std::string out;
    for (std::size_t i = 0; i < inner.size(); ++i) {
        out += inner[i];
        if (close != ']' && inner[i] == close && i + 1 < inner.size() && inner[i + 1] == close) ++i;
    }
    return out;
}

bool is_word(const SqlToken& token, std::string_view word) {
    return token.kind == SqlToken::Kind::word && same_identifier(token.text, word);
}

bool is_symbol(const SqlToken& token, std::string_view symbol) {
    return token.kind == SqlToken::Kind::symbol && token.text == symbol;
}

bool is_name(const SqlToken& token) {
    return token.kind == SqlToken::Kind::word || token.kind == SqlToken::Kind::quoted_identifier;
}

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

// Keywords that cannot be bare identifiers: PostgreSQL's reserved words and SQLite's keywords
// without an identifier fallback.
const std::set<std::string, std::less<>>& keywords() {
    // clang-format off
    static const std::set<std::string, std::less<>> words = {
        "add", "all", "alter", "analyse", "analyze", "and", "any", "array", "as", "asc",
        "asymmetric", "authorization", "autoincrement", "between", "binary", "both", "case",
        "cast", "check", "collate", "collation", "column", "commit", "concurrently",
        "constraint", "create", "cross", "current_catalog", "current_date", "current_role",
        "current_schema", "current_time", "current_timestamp", "current_user", "default",
        "deferrable", "delete", "desc", "distinct", "do", "drop", "else", "end", "escape",
        "except", "exists", "false", "fetch", "filter", "for", "foreign", "freeze", "from",
        "full", "glob", "grant", "group", "having", "ilike", "in", "index", "indexed",
        "initially", "inner", "insert", "intersect", "into", "is", "isnull", "join", "lateral",
        "leading", "left", "like", "limit", "localtime", "localtimestamp", "natural", "not",
        "nothing", "notnull", "null", "offset", "on", "only", "or", "order", "outer", "over",
        "overlaps", "placing", "primary", "references", "returning", "right", "rollback",
        "select", "session_user", "set", "similar", "some", "symmetric", "table", "tablesample",
        "then", "to", "trailing", "transaction", "true", "union", "unique", "update", "user",
        "using", "values", "variadic", "verbose", "when", "where", "window", "with"};
    // clang-format on
    return words;
}

// Items between the parenthesis at tokens[open] and its match, split at top-level commas;
// `close` receives the index of the matching parenthesis.
std::vector<std::pair<std::size_t, std::size_t>> parenthesised_items(
    const std::vector<SqlToken>& tokens, std::size_t open, std::size_t& close) {
    std::vector<std::pair<std::size_t, std::size_t>> items;  // token index ranges [first, last]
    int depth = 0;
    std::size_t first = open + 1;
    for (std::size_t i = open; i < tokens.size(); ++i) {
        if (is_symbol(tokens[i], "(")) {
            ++depth;
        } else if (is_symbol(tokens[i], ")")) {
            if (--depth == 0) {
                if (i > first) items.emplace_back(first, i - 1);
                close = i;
                return items;
            }
        } else if (depth == 1 && is_symbol(tokens[i], ",")) {
            if (i > first) items.emplace_back(first, i - 1);
            first = i + 1;
        }
    }
    close = tokens.size();
    return items;
}

std::string token_span(std::string_view sql, const std::vector<SqlToken>& tokens, std::size_t first,
                       std::size_t last) {
    return std::string(
        trim(sql.substr(tokens[first].begin, tokens[last].end - tokens[first].begin)));
}

// Steps `i` past tokens[i] when it is the keyword `word`.
bool take_word(const std::vector<SqlToken>& tokens, std::size_t& i, std::string_view word) {
    if (i >= tokens.size() || !is_word(tokens[i], word)) return false;
    ++i;
    return true;
}

}  // namespace

std::vector<SqlToken> tokenize_sql(std::string_view sql) {
    std::vector<SqlToken> tokens;
    for (std::size_t i = 0; i < sql.size();) {
        const SqlLexeme lexeme = scan_sql_lexeme(sql, i, true);
        i = lexeme.end;
        const std::string_view text = sql.substr(lexeme.begin, lexeme.end - lexeme.begin);
        SqlToken token;
        token.begin = lexeme.begin;
        token.end = lexeme.end;
        token.text = std::string(text);
        switch (lexeme.kind) {
            case SqlLexeme::Kind::blank:
            case SqlLexeme::Kind::comment:
                continue;
            case SqlLexeme::Kind::string:
                token.kind = SqlToken::Kind::string;
                break;
            case SqlLexeme::Kind::quoted_identifier:
                token.kind = SqlToken::Kind::quoted_identifier;
                token.text = unquoted(text);
                break;
            case SqlLexeme::Kind::number:
                token.kind = SqlToken::Kind::number;
                break;
            case SqlLexeme::Kind::word:
                token.kind = SqlToken::Kind::word;
                break;
            case SqlLexeme::Kind::symbol:
                token.kind = SqlToken::Kind::symbol;
                break;
        }
        tokens.push_back(std::move(token));
    }
    return tokens;
}

std::string normalize_sql(std::string_view sql) {
    std::string out;
    for (const auto& token : tokenize_sql(sql)) {
        if (!out.empty()) out += ' ';
        const bool name = is_name(token);
        out += name ? lower_ascii(token.text) : token.text;
    }
    return out;
}

bool same_identifier(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string lower_ascii(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string quote_identifier(std::string_view name) {
    const bool plain = !name.empty() &&
                       (std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                       std::all_of(name.begin(), name.end(), [](char c) {
                           return std::islower(static_cast<unsigned char>(c)) ||
                                  std::isdigit(static_cast<unsigned char>(c)) || c == '_';
                       });
    if (plain && keywords().count(name) == 0) return std::string(name);
    std::string quoted = "\"";
    for (const char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

std::string quote_identifiers(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + quote_identifier(name);
    return out;
}

std::optional<CreateTableText> parse_create_table(std::string_view sql) {
    const auto tokens = tokenize_sql(sql);
    std::size_t i = 0;
    auto word = [&](std::string_view w) { return take_word(tokens, i, w); };
    if (!word("create")) return std::nullopt;
    if (!word("temp")) word("temporary");
    if (!word("table")) return std::nullopt;
    if (word("if") && !(word("not") && word("exists"))) return std::nullopt;
    if (i >= tokens.size() || !is_name(tokens[i])) return std::nullopt;
    CreateTableText parsed;
    parsed.name_begin = tokens[i].begin;
    parsed.name_end = tokens[i].end;
    ++i;
    if (i + 1 < tokens.size() && is_symbol(tokens[i], ".") && is_name(tokens[i + 1])) {
        parsed.name_end = tokens[i + 1].end;
        i += 2;
    }
    if (i >= tokens.size() || !is_symbol(tokens[i], "(")) return std::nullopt;
    std::size_t close = 0;
    for (auto [first, last] : parenthesised_items(tokens, i, close)) {
        parsed.items.push_back(token_span(sql, tokens, first, last));
    }
    if (close >= tokens.size()) return std::nullopt;
    return parsed;
}

std::string rename_created_table(std::string_view sql, std::string_view new_name) {
    const auto parsed = parse_create_table(sql);
    if (!parsed) return std::string(sql);
    return std::string(sql.substr(0, parsed->name_begin)) + quote_identifier(new_name) +
           std::string(sql.substr(parsed->name_end));
}

std::optional<std::string> defined_column(std::string_view item) {
    const auto tokens = tokenize_sql(item);
    if (tokens.empty() || !is_name(tokens[0])) return std::nullopt;
    if (tokens[0].kind == SqlToken::Kind::word) {
        for (std::string_view keyword : {"constraint", "primary", "unique", "check", "foreign"}) {
            if (same_identifier(tokens[0].text, keyword)) return std::nullopt;
        }
    }
    return tokens[0].text;
}

std::vector<std::string> check_clauses(std::string_view sql) {
    std::vector<std::string> clauses;
    const auto tokens = tokenize_sql(sql);
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
        if (!is_word(tokens[i], "check") || !is_symbol(tokens[i + 1], "(")) continue;
        std::size_t close = 0;
        parenthesised_items(tokens, i + 1, close);
        if (close >= tokens.size()) break;
        clauses.push_back(
            normalize_sql(sql.substr(tokens[i].begin, tokens[close].end - tokens[i].begin)));
        i = close;
    }
    return clauses;
}

bool mentions_identifier(std::string_view sql, std::string_view identifier) {
    const auto tokens = tokenize_sql(sql);
    return std::any_of(tokens.begin(), tokens.end(), [&](const SqlToken& token) {
        return is_name(token) && same_identifier(token.text, identifier);
    });
}

std::optional<CreateIndexText> parse_create_index(std::string_view sql) {
    const auto tokens = tokenize_sql(sql);
    std::size_t i = 0;
    auto word = [&](std::string_view w) { return take_word(tokens, i, w); };
    CreateIndexText parsed;
    if (!word("create")) return std::nullopt;
    parsed.unique = word("unique");
    if (!word("index")) return std::nullopt;
    word("concurrently");
    if (word("if") && !(word("not") && word("exists"))) return std::nullopt;
    auto name = [&](std::string& out) {
        if (i >= tokens.size() || !is_name(tokens[i])) return false;
        out = tokens[i++].text;
        if (i + 1 < tokens.size() && is_symbol(tokens[i], ".") && is_name(tokens[i + 1])) {
            out = tokens[i + 1].text;
            i += 2;
        }
        return true;
    };
    if (!name(parsed.name) || !word("on")) return std::nullopt;
    word("only");
    if (!name(parsed.table)) return std::nullopt;
    if (word("using") && !name(parsed.method)) return std::nullopt;
    if (i >= tokens.size() || !is_symbol(tokens[i], "(")) return std::nullopt;
    std::size_t close = 0;
    for (auto [first, last] : parenthesised_items(tokens, i, close)) {
        parsed.columns.push_back(token_span(sql, tokens, first, last));
    }
    if (close >= tokens.size()) return std::nullopt;
    i = close + 1;
    // INCLUDE (…), WITH (…) and TABLESPACE come before WHERE; they are not compared.
    while (i < tokens.size() && !is_word(tokens[i], "where")) ++i;
    if (word("where") && i < tokens.size()) {
        std::size_t last = tokens.size() - 1;
        if (is_symbol(tokens[last], ";") && last > i) --last;
        parsed.where = token_span(sql, tokens, i, last);
    }
    return parsed;
}

}  // namespace fastappkit
