// Splits SQL at top-level semicolons. A single forward scan over the lexemes of
// script/sql_lexer: quoted text, dollar-quoted bodies and comments are skipped whole, and the
// first words of each statement tell whether it is a trigger or routine whose BEGIN … END body
// holds semicolons of its own.
#include "script/sql_splitter.h"

#include <algorithm>
#include <cctype>

#include "script/sql_lexer.h"

namespace fastappkit {

namespace {

constexpr std::size_t npos = std::string_view::npos;

bool is_blank(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) ==
                      std::toupper(static_cast<unsigned char>(y));
           });
}

std::string_view trim_end(std::string_view text) {
    while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
    return text;
}

// CREATE [OR REPLACE] [TEMP|TEMPORARY|CONSTRAINT] TRIGGER|FUNCTION|PROCEDURE: SQLite trigger
// bodies and PostgreSQL `BEGIN ATOMIC` bodies are BEGIN … END blocks holding semicolons.
bool has_block_body(const std::vector<std::string_view>& words) {
    if (words.empty() || !equals_ignoring_case(words[0], "CREATE")) return false;
    for (std::size_t i = 1; i < words.size(); ++i) {
        const auto word = words[i];
        for (const char* kind : {"TRIGGER", "FUNCTION", "PROCEDURE"}) {
            if (equals_ignoring_case(word, kind)) return true;
        }
        bool modifier = false;
        for (const char* name : {"OR", "REPLACE", "TEMP", "TEMPORARY", "CONSTRAINT"}) {
            modifier = modifier || equals_ignoring_case(word, name);
        }
        if (!modifier) return false;
    }
    return false;
}

class Splitter {
public:
    explicit Splitter(std::string_view sql) : sql_(sql) {}

    std::vector<Statement> run() {
        while (pos_ < sql_.size()) step();
        finish(sql_.size());
        return std::move(statements_);
    }

private:
    void step() {
        const SqlLexeme lexeme = scan_sql_lexeme(sql_, pos_, false);
        switch (lexeme.kind) {
            case SqlLexeme::Kind::blank:
                return advance_to(lexeme.end);
            case SqlLexeme::Kind::comment:
                return skip_comment(lexeme.end);
            case SqlLexeme::Kind::symbol:
                if (sql_[pos_] == ';' && block_depth_ == 0) return end_statement();
                break;
            case SqlLexeme::Kind::word:
                mark_code();
                track_blocks(sql_.substr(lexeme.begin, lexeme.end - lexeme.begin));
                return advance_to(lexeme.end);
            default:
                break;
        }
        mark_code();
        advance_to(lexeme.end);
    }

    // Advances to `target` (clamped to the end), counting the line breaks passed.
    void advance_to(std::size_t target) {
        target = std::min(target, sql_.size());
        line_ += static_cast<int>(std::count(sql_.begin() + pos_, sql_.begin() + target, '\n'));
        pos_ = target;
    }

    // A comment may open a statement (it is kept with it), except one that trails the previous
    // statement's semicolon on the same line: that one belongs to the previous statement.
    void skip_comment(std::size_t end) {
        if (start_ == npos && line_ != last_semicolon_line_) open_statement();
        advance_to(end);
    }

    void mark_code() {
        if (start_ == npos) open_statement();
        has_code_ = true;
    }

    void open_statement() {
        start_ = pos_;
        start_line_ = line_;
    }

    void end_statement() {
        finish(pos_);
        advance_to(pos_ + 1);
        last_semicolon_line_ = line_;
    }

    void finish(std::size_t end) {
        if (start_ != npos && has_code_) {
            statements_.push_back(
                {std::string(trim_end(sql_.substr(start_, end - start_))), start_line_});
        }
        start_ = npos;
        has_code_ = false;
        words_.clear();
        block_body_ = false;
        block_depth_ = 0;
    }

    void track_blocks(std::string_view word) {
        if (!block_body_ && words_.size() < 5) {
            words_.push_back(word);
            block_body_ = has_block_body(words_);
            return;
        }
        if (!block_body_) return;
        // CASE … END nests inside trigger bodies and must not close the BEGIN.
        if (equals_ignoring_case(word, "BEGIN") || equals_ignoring_case(word, "CASE")) {
            ++block_depth_;
        } else if (equals_ignoring_case(word, "END") && block_depth_ > 0) {
            --block_depth_;
        }
    }

    std::string_view sql_;
    std::size_t pos_ = 0;
    int line_ = 1;
    int last_semicolon_line_ = 0;

    // The statement being scanned.
    std::size_t start_ = npos;
    int start_line_ = 1;
    bool has_code_ = false;
    std::vector<std::string_view> words_;  // its first words, until the kind is known
    bool block_body_ = false;
    int block_depth_ = 0;

    std::vector<Statement> statements_;
};

}  // namespace

std::vector<Statement> split_sql(std::string_view sql) { return Splitter(sql).run(); }

Statement from_first_code(const Statement& statement) {
    const std::string_view text = statement.text;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const SqlLexeme lexeme = scan_sql_lexeme(text, pos, false);
        if (lexeme.kind != SqlLexeme::Kind::blank && lexeme.kind != SqlLexeme::Kind::comment) break;
        pos = lexeme.end;
    }
    const auto lines =
        std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n');
    return {std::string(text.substr(pos)), statement.line + static_cast<int>(lines)};
}

}  // namespace fastappkit
