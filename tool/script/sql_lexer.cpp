#include "script/sql_lexer.h"

#include <algorithm>
#include <cctype>

namespace fastappkit {

namespace {

constexpr std::size_t npos = std::string_view::npos;

// Identifier characters; bytes >= 0x80 are parts of UTF-8 identifiers.
bool is_word_start(char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalpha(u) || c == '_' || u >= 0x80;
}
bool is_word_char(char c) {
    return is_word_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$';
}
bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// The offset after a quoted run opened at `begin`: a doubled `close` stands for itself (not for
// ']'), and with `backslash_escapes` a backslash escapes the next character.
std::size_t after_quoted(std::string_view sql, std::size_t begin, char close,
                         bool backslash_escapes) {
    std::size_t i = begin + 1;
    while (i < sql.size()) {
        if (backslash_escapes && sql[i] == '\\') {
            i += 2;
        } else if (sql[i] == close) {
            if (close == ']' || i + 1 >= sql.size() || sql[i + 1] != close) return i + 1;
            i += 2;
        } else {
            ++i;
        }
    }
    return sql.size();
}

// The offset after $tag$…$tag$ opened at `begin`, or npos when the `$` opens no tag ($1
// parameters, for example). A tag follows the identifier rules, without `$`.
std::size_t after_dollar_quoted(std::string_view sql, std::size_t begin) {
    std::size_t i = begin + 1;
    if (i < sql.size() && is_word_start(sql[i])) {
        while (i < sql.size() && is_word_char(sql[i]) && sql[i] != '$') ++i;
    }
    if (i >= sql.size() || sql[i] != '$') return npos;
    const std::string_view tag = sql.substr(begin, i + 1 - begin);
    const std::size_t close = sql.find(tag, i + 1);
    return close == npos ? sql.size() : close + tag.size();
}

std::size_t after_number(std::string_view sql, std::size_t i) {
    while (i < sql.size()) {
        const char c = sql[i];
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_') {
            ++i;
        } else if ((c == '+' || c == '-') && (sql[i - 1] == 'e' || sql[i - 1] == 'E')) {
            ++i;
        } else {
            break;
        }
    }
    return i;
}

std::size_t after_symbol(std::string_view sql, std::size_t i) {
    static constexpr std::string_view pairs[] = {"::", "<=", ">=", "<>", "!=", "||", "==", "->"};
    const bool pair = std::any_of(std::begin(pairs), std::end(pairs),
                                  [&](std::string_view p) { return sql.compare(i, 2, p) == 0; });
    return i + (pair ? 2 : 1);
}

}  // namespace

SqlLexeme scan_sql_lexeme(std::string_view sql, std::size_t pos, bool bracket_identifiers) {
    using Kind = SqlLexeme::Kind;
    const char c = sql[pos];
    auto lexeme = [&](Kind kind, std::size_t end) {
        return SqlLexeme{kind, pos, std::min(end, sql.size())};
    };
    if (std::isspace(static_cast<unsigned char>(c))) {
        std::size_t end = pos + 1;
        while (end < sql.size() && std::isspace(static_cast<unsigned char>(sql[end]))) ++end;
        return lexeme(Kind::blank, end);
    }
    if (sql.compare(pos, 2, "--") == 0) return lexeme(Kind::comment, sql.find('\n', pos));
    if (sql.compare(pos, 2, "/*") == 0) {
        const std::size_t close = sql.find("*/", pos + 2);
        return lexeme(Kind::comment, close == npos ? npos : close + 2);
    }
    if (c == '\'') return lexeme(Kind::string, after_quoted(sql, pos, '\'', false));
    if ((c == 'E' || c == 'e') && pos + 1 < sql.size() && sql[pos + 1] == '\'') {
        return lexeme(Kind::string, after_quoted(sql, pos + 1, '\'', true));
    }
    if (c == '"' || c == '`')
        return lexeme(Kind::quoted_identifier, after_quoted(sql, pos, c, false));
    if (c == '[' && bracket_identifiers) {
        return lexeme(Kind::quoted_identifier, after_quoted(sql, pos, ']', false));
    }
    if (c == '$') {
        if (const std::size_t end = after_dollar_quoted(sql, pos); end != npos) {
            return lexeme(Kind::string, end);
        }
    }
    if (is_digit(c) || (c == '.' && pos + 1 < sql.size() && is_digit(sql[pos + 1]))) {
        return lexeme(Kind::number, after_number(sql, pos));
    }
    if (is_word_start(c)) {
        std::size_t end = pos + 1;
        while (end < sql.size() && is_word_char(sql[end])) ++end;
        return lexeme(Kind::word, end);
    }
    return lexeme(Kind::symbol, after_symbol(sql, pos));
}

}  // namespace fastappkit
