// Splits SQL at top-level semicolons. A single forward scan: quoted text, dollar-quoted bodies
// and comments are skipped whole, and the first words of each statement tell whether it is a
// trigger or routine whose BEGIN … END body holds semicolons of its own.
#include "script/sql_splitter.h"

#include <algorithm>
#include <cctype>

namespace fastappkit {

namespace {

constexpr std::size_t npos = std::string_view::npos;

bool is_blank(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// Identifier characters; bytes >= 0x80 are parts of UTF-8 identifiers.
bool is_word_start(char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalpha(u) || c == '_' || u >= 0x80;
}
bool is_word_char(char c) {
    return is_word_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$';
}

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
        const char c = sql_[pos_];
        if (is_blank(c)) return advance_to(pos_ + 1);
        if (sql_.compare(pos_, 2, "--") == 0) return skip_comment(sql_.find('\n', pos_), 0);
        if (sql_.compare(pos_, 2, "/*") == 0) return skip_comment(sql_.find("*/", pos_ + 2), 2);
        if (c == ';' && block_depth_ == 0) return end_statement();
        mark_code();
        if (c == '\'') return skip_quoted('\'', false);
        if (c == '"' || c == '`') return skip_quoted(c, false);
        if (c == '$' && skip_dollar_quoted()) return;
        if (is_word_start(c)) return read_word();
        advance_to(pos_ + 1);
    }

    // Advances to `target` (clamped to the end), counting the line breaks passed.
    void advance_to(std::size_t target) {
        target = std::min(target, sql_.size());
        line_ += static_cast<int>(std::count(sql_.begin() + pos_, sql_.begin() + target, '\n'));
        pos_ = target;
    }

    // A comment may open a statement (it is kept with it), except one that trails the previous
    // statement's semicolon on the same line: that one belongs to the previous statement.
    void skip_comment(std::size_t end, std::size_t terminator_size) {
        if (start_ == npos && line_ != last_semicolon_line_) open_statement();
        advance_to(end == npos ? npos : end + terminator_size);
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
            statements_.push_back({std::string(trim_end(sql_.substr(start_, end - start_))),
                                   start_line_});
        }
        start_ = npos;
        has_code_ = false;
        words_.clear();
        block_body_ = false;
        block_depth_ = 0;
    }

    // '…', "…" and `…` with the quote doubled inside; E'…' also with backslash escapes.
    void skip_quoted(char quote, bool backslash_escapes) {
        std::size_t i = pos_ + 1;
        while (i < sql_.size()) {
            if (backslash_escapes && sql_[i] == '\\') {
                i += 2;
            } else if (sql_[i] == quote) {
                if (i + 1 < sql_.size() && sql_[i + 1] == quote) {
                    i += 2;
                } else {
                    break;
                }
            } else {
                ++i;
            }
        }
        advance_to(i + 1);
    }

    // $$…$$ or $tag$…$tag$; false when the `$` opens no tag ($1 parameters, for example).
    bool skip_dollar_quoted() {
        std::size_t i = pos_ + 1;
        if (i < sql_.size() && is_word_start(sql_[i])) {
            while (i < sql_.size() && is_word_char(sql_[i]) && sql_[i] != '$') ++i;
        }
        if (i >= sql_.size() || sql_[i] != '$') return false;
        const std::string_view tag = sql_.substr(pos_, i + 1 - pos_);
        const std::size_t close = sql_.find(tag, i + 1);
        advance_to(close == npos ? npos : close + tag.size());
        return true;
    }

    void read_word() {
        std::size_t end = pos_;
        while (end < sql_.size() && is_word_char(sql_[end])) ++end;
        const std::string_view word = sql_.substr(pos_, end - pos_);
        advance_to(end);
        if (equals_ignoring_case(word, "E") && pos_ < sql_.size() && sql_[pos_] == '\'') {
            return skip_quoted('\'', true);
        }
        track_blocks(word);
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

}  // namespace fastappkit
