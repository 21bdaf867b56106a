// .env files as python-dotenv and docker compose read them, minus multi-line values and
// variable expansion, which migrations do not need.
#include "config/env_file.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "common/error.h"
#include "config/database_url.h"

namespace fastappkit {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_left(std::string_view text) {
    while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
    return text;
}

std::string_view trim(std::string_view text) {
    text = trim_left(text);
    while (!text.empty() && (is_blank(text.back()) || text.back() == '\r')) text.remove_suffix(1);
    return text;
}

bool is_key(std::string_view key) {
    const auto letter = [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    };
    if (key.empty() || !letter(key.front())) return false;
    for (char c : key) {
        if (!letter(c) && !(c >= '0' && c <= '9')) return false;
    }
    return true;
}

// After a closing quote only blanks and a comment may follow.
void expect_end_after_quote(std::string_view rest, std::string_view key, const std::string& at) {
    rest = trim(rest);
    if (!rest.empty() && rest.front() != '#') {
        throw usage_error(fmt::format("{}: unexpected text after the quoted value of {}", at, key));
    }
}

std::string double_quoted(std::string_view text, std::string_view key, const std::string& at) {
    std::string value;
    for (std::size_t i = 1; i < text.size(); ++i) {
        if (text[i] == '"') {
            expect_end_after_quote(text.substr(i + 1), key, at);
            return value;
        }
        const char next = i + 1 < text.size() ? text[i + 1] : '\0';
        if (text[i] == '\\' && (next == 'n' || next == '"' || next == '\\')) {
            value += next == 'n' ? '\n' : next;
            ++i;
        } else {
            value += text[i];  // other backslashes stay literal: Windows paths read as written
        }
    }
    throw usage_error(fmt::format("{}: the value of {} has no closing quote", at, key));
}

std::string single_quoted(std::string_view text, std::string_view key, const std::string& at) {
    const std::size_t close = text.find('\'', 1);
    if (close == std::string_view::npos) {
        throw usage_error(fmt::format("{}: the value of {} has no closing quote", at, key));
    }
    expect_end_after_quote(text.substr(close + 1), key, at);
    return std::string(text.substr(1, close - 1));
}

// Unquoted: a '#' after a blank starts a comment, so `KEY=a#b` keeps its '#'.
std::string unquoted(std::string_view text) {
    for (std::size_t i = 1; i < text.size(); ++i) {
        if (text[i] == '#' && is_blank(text[i - 1])) return std::string(trim(text.substr(0, i)));
    }
    return std::string(trim(text));
}

std::string parse_value(std::string_view raw, std::string_view key, const std::string& at) {
    const std::string_view text = trim_left(raw);
    if (!text.empty() && text.front() == '"') return double_quoted(text, key, at);
    if (!text.empty() && text.front() == '\'') return single_quoted(text, key, at);
    return unquoted(raw);
}

std::string_view strip_export(std::string_view line) {
    constexpr std::string_view prefix = "export";
    if (line.substr(0, prefix.size()) == prefix && line.size() > prefix.size() &&
        is_blank(line[prefix.size()])) {
        return trim_left(line.substr(prefix.size()));
    }
    return line;
}

}  // namespace

std::map<std::string, std::string> parse_env_text(const std::string& text,
                                                  const std::filesystem::path& file) {
    std::map<std::string, std::string> settings;
    std::istringstream lines(text);
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
        const std::string_view content = strip_export(trim(line));
        if (content.empty() || content.front() == '#') continue;
        const std::string at = fmt::format("{}:{}", file.string(), number);  // prefixes every error
        const std::size_t equals = content.find('=');
        if (equals == std::string_view::npos)
            throw usage_error(fmt::format("{}: expected KEY=VALUE", at));
        const std::string_view key = trim(content.substr(0, equals));
        if (!is_key(key)) {
            // A line holding a bare URL reads as a key: its password stays out of the message.
            throw usage_error(
                fmt::format("{}: invalid key '{}' (use letters, digits and underscores)", at,
                            mask_passwords(std::string(key))));
        }
        settings[std::string(key)] = parse_value(content.substr(equals + 1), key, at);
    }
    return settings;
}

std::map<std::string, std::string> read_env_file(const std::filesystem::path& file) {
    std::error_code error;
    const std::filesystem::file_status status = std::filesystem::status(file, error);
    if (status.type() == std::filesystem::file_type::not_found) return {};
    if (error) throw usage_error(fmt::format("Cannot read {}: {}", file.string(), error.message()));
    if (std::filesystem::is_directory(status)) {
        throw usage_error(
            fmt::format("Cannot read {}: it is a directory, not a file", file.string()));
    }
    std::ifstream stream(file, std::ios::binary);
    if (!stream) throw usage_error(fmt::format("Cannot read {}", file.string()));
    const std::string text{std::istreambuf_iterator<char>(stream),
                           std::istreambuf_iterator<char>()};
    return parse_env_text(text, file);
}

std::optional<std::string> lookup_setting(const std::string& key,
                                          const std::filesystem::path& dir) {
    // An empty variable counts as unset: `DATABASE_URL=` left in a shell should not hide .env.
    if (const char* value = std::getenv(key.c_str()); value && *value) return std::string(value);
    const std::map<std::string, std::string> settings = read_env_file(dir / ".env");
    const auto found = settings.find(key);
    if (found == settings.end()) return std::nullopt;
    return found->second;
}

}  // namespace fastappkit
