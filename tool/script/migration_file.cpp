// Parses migration files (docs/migration-files.md). The header is a run of `-- key: value` lines;
// the body is cut at `-- migrate:` marker lines, and each section keeps its SQL byte for byte so
// that its checksum matches what the user wrote.
#include "script/migration_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "common/error.h"

namespace fastappkit {

namespace {

constexpr std::string_view kBlanks = " \t\r\f\v";

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(kBlanks);
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(kBlanks);
    return text.substr(first, last - first + 1);
}

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

bool is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

Error error_at(const std::filesystem::path& file, int line, const std::string& message) {
    return usage_error(fmt::format("{}:{}: {}", file.string(), line, message));
}

// The text after `migrate:` when `line` is a section marker (`-- migrate:…`, leading blanks and
// blanks after `--` allowed, so an indented marker is never silently taken for SQL).
std::optional<std::string_view> marker_body(std::string_view line) {
    std::string_view rest = trim(line);
    if (!starts_with(rest, "--")) return std::nullopt;
    rest = trim(rest.substr(2));
    if (!starts_with(rest, "migrate:")) return std::nullopt;
    return trim(rest.substr(std::strlen("migrate:")));
}

const std::vector<std::string_view> kHeaderKeys = {
    "revision", "down_revision", "branch_labels",     "depends_on", "message",
    "create_date", "lock_timeout", "statement_timeout", "checkpoint", "replaces"};

bool is_header_key(std::string_view word) {
    return std::find(kHeaderKeys.begin(), kHeaderKeys.end(), word) != kHeaderKeys.end();
}

// `key` and `value` of a `-- key: value` line: a word directly followed by a colon. Unless the
// word is a known key, the colon must end the line or be followed by a blank, so that comments
// such as `-- see http://…` stay comments.
std::optional<std::pair<std::string_view, std::string_view>> header_pair(std::string_view comment) {
    std::size_t end = 0;
    while (end < comment.size() && is_word_char(comment[end])) ++end;
    if (end == 0 || end >= comment.size() || comment[end] != ':') return std::nullopt;
    const std::string_view key = comment.substr(0, end);
    const bool blank_follows =
        end + 1 == comment.size() || kBlanks.find(comment[end + 1]) != std::string_view::npos;
    if (!blank_follows && !is_header_key(key)) return std::nullopt;
    return std::make_pair(key, trim(comment.substr(end + 1)));
}

std::vector<std::string_view> split_commas(std::string_view value) {
    std::vector<std::string_view> items;
    if (value.empty()) return items;
    std::size_t begin = 0;
    while (true) {
        const auto comma = value.find(',', begin);
        items.push_back(trim(value.substr(begin, comma - begin)));
        if (comma == std::string_view::npos) return items;
        begin = comma + 1;
    }
}

// A branch label or a depends_on entry (a revision or a label): `@` would clash with the
// `label@head` syntax, blanks and commas with the list syntax.
bool is_valid_label(std::string_view label) {
    return !label.empty() && label.find_first_of(" \t@,") == std::string_view::npos;
}

// One line of the text: `text` without its line break, `next` the offset after the break.
struct Line {
    std::string_view text;
    std::size_t begin = 0;
    std::size_t next = 0;
    int number = 0;
};

class MigrationParser {
public:
    MigrationParser(std::string_view text, const std::filesystem::path& file)
        : text_(text), file_(file) {
        script_.file = file;
        // A UTF-8 byte order mark, as some Windows editors write, is not part of the header.
        if (starts_with(text_, "\xEF\xBB\xBF")) position_ = 3;
    }

    MigrationScript parse(bool header_only) {
        Line line;
        bool at_marker = false;
        while (next_line(line)) {
            if (marker_body(line.text)) {
                at_marker = true;
                break;
            }
            parse_header_line(line);
        }
        check_required_headers();
        if (header_only) return std::move(script_);
        if (at_marker) parse_sections(line);
        script_.body_loaded = true;
        if (!has_upgrade_section()) {
            throw error_at(file_, 1, "missing '-- migrate:upgrade' section");
        }
        return std::move(script_);
    }

private:
    bool next_line(Line& line) {
        if (position_ >= text_.size()) return false;
        const auto newline = text_.find('\n', position_);
        const auto end = newline == std::string_view::npos ? text_.size() : newline;
        line.text = text_.substr(position_, end - position_);
        line.begin = position_;
        line.next = newline == std::string_view::npos ? text_.size() : newline + 1;
        line.number = ++line_number_;
        position_ = line.next;
        return true;
    }

    void parse_header_line(const Line& line) {
        const std::string_view content = trim(line.text);
        if (content.empty()) return;
        if (!starts_with(content, "--")) {
            throw error_at(file_, line.number, "SQL before the first '-- migrate:' section marker");
        }
        if (const auto pair = header_pair(trim(content.substr(2)))) {
            set_header(std::string(pair->first), pair->second, line.number);
        }
    }

    void set_header(const std::string& key, std::string_view value, int line) {
        if (!is_header_key(key)) {
            throw error_at(file_, line, fmt::format("unknown header key '{}'", key));
        }
        const auto seen = std::find_if(seen_keys_.begin(), seen_keys_.end(),
                                       [&](const auto& entry) { return entry.first == key; });
        if (seen != seen_keys_.end()) {
            throw error_at(file_, line,
                           fmt::format("duplicate header key '{}' (first given on line {})", key,
                                       seen->second));
        }
        seen_keys_.emplace_back(key, line);
        store_header(key, value, line);
    }

    void store_header(const std::string& key, std::string_view value, int line) {
        if (key == "revision" || key == "checkpoint") {
            if (!is_valid_revision_id(value)) {
                throw error_at(file_, line,
                               fmt::format("invalid revision id '{}'; expected 1-32 characters "
                                           "of [0-9A-Za-z_]",
                                           value));
            }
            if (!script_.revision.empty() && script_.revision != value) {
                throw error_at(file_, line,
                               fmt::format("a checkpoint's revision is the one it checkpoints: "
                                           "'{}' and '{}' differ",
                                           script_.revision, value));
            }
            script_.revision = std::string(value);
            if (key == "checkpoint") script_.checkpoint = script_.revision;
        } else if (key == "replaces") {
            for (const auto item : split_commas(value)) {
                if (!is_valid_revision_id(item)) {
                    throw error_at(file_, line,
                                   fmt::format("invalid replaces entry '{}'; expected revision "
                                               "ids separated by commas",
                                               item));
                }
                script_.replaces.emplace_back(item);
            }
        } else if (key == "down_revision") {
            script_.down_revisions = parse_down_revision(value, line);
        } else if (key == "branch_labels") {
            script_.branch_labels = parse_label_list(key, value, line);
        } else if (key == "depends_on") {
            script_.depends_on = parse_label_list(key, value, line);
        } else if (key == "message") {
            script_.message = std::string(value);
        } else if (key == "lock_timeout") {
            script_.timeouts.lock_timeout = parse_timeout(key, value, line);
        } else if (key == "statement_timeout") {
            script_.timeouts.statement_timeout = parse_timeout(key, value, line);
        } else {
            script_.create_date = std::string(value);
        }
    }

    std::chrono::milliseconds parse_timeout(const std::string& key, std::string_view value,
                                            int line) const {
        if (const auto duration = parse_duration(value)) return *duration;
        throw error_at(file_, line,
                       fmt::format("invalid {} '{}'; expected a whole number and a unit, such as "
                                   "500ms, 5s or 2min",
                                   key, value));
    }

    std::vector<std::string> parse_down_revision(std::string_view value, int line) const {
        if (equals_ignoring_case(value, "none")) return {};
        std::vector<std::string> revisions;
        for (const auto item : split_commas(value)) {
            if (!is_valid_revision_id(item)) {
                throw error_at(file_, line,
                               fmt::format("invalid down_revision '{}'; expected 'none', a "
                                           "revision id or a comma-separated list of them",
                                           value));
            }
            if (std::find(revisions.begin(), revisions.end(), item) != revisions.end()) {
                throw error_at(file_, line, fmt::format("down_revision lists '{}' twice", item));
            }
            revisions.emplace_back(item);
        }
        if (revisions.empty()) {
            throw error_at(file_, line,
                           "invalid down_revision ''; expected 'none', a revision id or a "
                           "comma-separated list of them");
        }
        return revisions;
    }

    std::vector<std::string> parse_label_list(const std::string& key, std::string_view value,
                                              int line) const {
        std::vector<std::string> items;
        for (const auto item : split_commas(value)) {
            if (!is_valid_label(item)) {
                throw error_at(file_, line,
                               fmt::format("invalid {} entry '{}'; entries are comma-separated "
                                           "and contain no blanks or '@'",
                                           key, item));
            }
            items.emplace_back(item);
        }
        return items;
    }

    void check_required_headers() const {
        if (script_.revision.empty()) {
            throw error_at(file_, 1, "missing required header 'revision'");
        }
        auto line_of = [this](std::string_view key) {
            const auto it = std::find_if(seen_keys_.begin(), seen_keys_.end(),
                                         [&](const auto& e) { return e.first == key; });
            return it == seen_keys_.end() ? 0 : it->second;
        };
        if (!script_.checkpoint.empty()) {
            // A checkpoint stands for base→REV: it starts a history and needs nothing else.
            for (const char* key : {"down_revision", "depends_on"}) {
                if (const int line = line_of(key)) {
                    throw error_at(file_, line,
                                   fmt::format("a checkpoint has no {} (it builds the schema "
                                               "from base)",
                                               key));
                }
            }
            return;
        }
        if (const int line = line_of("replaces")) {
            throw error_at(file_, line, "'replaces' belongs to a checkpoint's header only");
        }
        if (!line_of("down_revision"))
            throw error_at(file_, 1, "missing required header 'down_revision'");
    }

    // `marker` is the first marker line; every section runs from after its marker line up to
    // the next marker line.
    void parse_sections(Line marker) {
        Section current = parse_marker(marker);
        std::size_t sql_begin = marker.next;
        Line line;
        while (next_line(line)) {
            if (!marker_body(line.text)) continue;
            current.sql = std::string(text_.substr(sql_begin, line.begin - sql_begin));
            add_section(std::move(current));
            current = parse_marker(line);
            sql_begin = line.next;
        }
        current.sql = std::string(text_.substr(sql_begin));
        add_section(std::move(current));
    }

    Section parse_marker(const Line& line) const {
        std::istringstream words{std::string(*marker_body(line.text))};
        std::string word;
        words >> word;
        Section section;
        section.marker_line = line.number;
        if (word == "upgrade") {
            section.direction = Direction::upgrade;
        } else if (word == "downgrade") {
            section.direction = Direction::downgrade;
        } else {
            throw error_at(file_, line.number,
                           fmt::format("unknown section 'migrate:{}'; expected 'migrate:upgrade' "
                                       "or 'migrate:downgrade'",
                                       word));
        }
        while (words >> word) apply_option(section, word, line.number);
        return section;
    }

    void apply_option(Section& section, const std::string& option, int line) const {
        if (option == "transaction:false") {
            section.transactional = false;
        } else if (option == "transaction:true") {
            section.transactional = true;
        } else if (starts_with(option, "dialect:") && !section.dialect.empty()) {
            throw error_at(file_, line, "section option 'dialect' given twice");
        } else if (option == "dialect:sqlite") {
            section.dialect = "sqlite";
        } else if (option == "dialect:postgresql" || option == "dialect:postgres") {
            section.dialect = "postgresql";
        } else {
            throw error_at(file_, line,
                           fmt::format("unknown section option '{}'; expected transaction:false, "
                                       "transaction:true, dialect:sqlite or dialect:postgresql",
                                       option));
        }
    }

    void add_section(Section section) {
        for (const Section& other : script_.sections) {
            if (other.direction == section.direction && other.dialect == section.dialect) {
                const std::string dialect =
                    section.dialect.empty() ? "" : " dialect:" + section.dialect;
                throw error_at(
                    file_, section.marker_line,
                    fmt::format("duplicate '-- migrate:{}{}' section (the first is on "
                                "line {})",
                                to_string(section.direction), dialect, other.marker_line));
            }
        }
        script_.sections.push_back(std::move(section));
    }

    bool has_upgrade_section() const {
        return std::any_of(script_.sections.begin(), script_.sections.end(),
                           [](const Section& s) { return s.direction == Direction::upgrade; });
    }

    std::string_view text_;
    const std::filesystem::path& file_;
    std::size_t position_ = 0;
    int line_number_ = 0;
    std::vector<std::pair<std::string, int>> seen_keys_;  // key, line
    MigrationScript script_;
};

[[noreturn]] void throw_unreadable(const std::filesystem::path& file) {
    throw usage_error(fmt::format("{}: cannot read the migration file ({})", file.string(),
                                  std::strerror(errno)));
}

// The file's text; with `header_only`, the header and the first marker line only: with
// thousands of files, reading bodies that the revision graph never looks at would dominate the
// runner's start-up. Plain stdio in 4 KiB chunks: a header is usually one read.
std::string read_text(const std::filesystem::path& file, bool header_only) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file.c_str(), "rb"),
                                                       &std::fclose);
    if (!in) throw_unreadable(file);
    std::string text;
    char chunk[4096];
    size_t scanned = 0;  // text before this offset holds complete lines without a marker
    while (size_t n = std::fread(chunk, 1, sizeof chunk, in.get())) {
        text.append(chunk, n);
        for (size_t eol; header_only && (eol = text.find('\n', scanned)) != std::string::npos;) {
            std::string_view line(text.data() + scanned, eol - scanned);
            scanned = eol + 1;
            if (marker_body(line)) {
                text.resize(scanned);
                return text;
            }
        }
    }
    if (std::ferror(in.get())) throw_unreadable(file);
    return text;
}

}  // namespace

const char* to_string(Direction direction) {
    return direction == Direction::upgrade ? "upgrade" : "downgrade";
}

const Section* MigrationScript::section(Direction direction, std::string_view dialect) const {
    const Section* generic = nullptr;
    for (const Section& candidate : sections) {
        if (candidate.direction != direction) continue;
        if (candidate.dialect == dialect) return &candidate;
        if (candidate.dialect.empty()) generic = &candidate;
    }
    return generic;
}

MigrationScript parse_migration_text(std::string_view text, const std::filesystem::path& file,
                                     bool header_only) {
    return MigrationParser(text, file).parse(header_only);
}

MigrationScript read_migration_file(const std::filesystem::path& file, bool header_only) {
    return parse_migration_text(read_text(file, header_only), file, header_only);
}

bool is_valid_revision_id(std::string_view revision) {
    return !revision.empty() && revision.size() <= 32 &&
           std::all_of(revision.begin(), revision.end(), is_word_char);
}

}  // namespace fastappkit
