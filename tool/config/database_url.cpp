// Database URLs in SQLAlchemy's grammar (DESIGN 3.3), so that the URL a fastappkit (Python)
// project already has in its .env works unchanged; and the masking that keeps passwords out of
// every message.
#include "config/database_url.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <regex>

#include <fmt/format.h>

#include "common/error.h"

namespace fastappkit {

namespace {

// SQLAlchemy's URL pattern (sqlalchemy/engine/url.py): the password runs to the first '@', so
// an unencoded '/' or ':' in it still parses. Groups: 1 scheme, 2 user, 3 password, 4 IPv6
// host, 5 host, 6 port, 7 database, 8 query.
const std::regex& url_pattern() {
    static const std::regex pattern(R"(^([A-Za-z][A-Za-z0-9+.\-]*)://(?:([^:/]*)(?::([^@]*))?@)?)"
                                    R"((?:(?:\[([^/?]+)\]|([^/:?]*))(?::([^/?]*))?)?(?:/([^?]*))?(?:\?(.*))?$)");
    return pattern;
}

enum Group { kScheme = 1, kUser, kPassword, kIpv6Host, kHost, kPort, kDatabase, kQuery };

// The groups of url_pattern() that matched (nullopt: the group did not take part).
struct UrlParts {
    std::optional<std::string> groups[kQuery + 1];

    bool matched(Group index) const { return groups[index].has_value(); }
    std::string operator[](Group index) const { return groups[index].value_or(""); }
};

// The pattern's groups for `text`; nullopt when it does not match. A URL whose "://" is
// followed by '/' (every SQLite file URL) has only one way to match: no user or password, an
// empty host, no port, the database up to the first '?' and the query after it; that case is
// split by hand, so the common run never compiles the pattern.
std::optional<UrlParts> match_url(const std::string& text) {
    UrlParts parts;
    const auto scheme_end = text.find("://");
    const bool scheme_ok =
        scheme_end != std::string::npos && scheme_end > 0 && std::isalpha(static_cast<unsigned char>(text[0])) &&
        std::all_of(text.begin() + 1, text.begin() + static_cast<std::ptrdiff_t>(scheme_end), [](unsigned char c) {
            return std::isalnum(c) || c == '+' || c == '.' || c == '-';
        });
    // ('.' in the pattern stops at line breaks: such a text is left to the pattern.)
    if (scheme_ok && text.compare(scheme_end + 3, 1, "/") == 0 && text.find_first_of("\r\n") == std::string::npos) {
        parts.groups[kScheme] = text.substr(0, scheme_end);
        parts.groups[kHost] = "";
        const auto path_begin = scheme_end + 4;
        const auto question = text.find('?', path_begin);
        parts.groups[kDatabase] = text.substr(path_begin, question - path_begin);
        if (question != std::string::npos) parts.groups[kQuery] = text.substr(question + 1);
        return parts;
    }
    std::smatch match;
    if (!std::regex_match(text, match, url_pattern())) return std::nullopt;
    for (int index = kScheme; index <= kQuery; ++index) {
        if (match[index].matched) parts.groups[index] = match[index].str();
    }
    return parts;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// A '%' not followed by two hex digits is kept as written.
std::string percent_decode(const std::string& text) {
    std::string decoded;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 && hex_digit(text[i + 2]) >= 0) {
            decoded += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
            i += 2;
        } else {
            decoded += text[i];
        }
    }
    return decoded;
}

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

std::vector<std::string> split_query(const std::string& query) {
    std::vector<std::string> items;
    std::size_t start = 0;
    for (std::size_t end; (end = query.find('&', start)) != std::string::npos; start = end + 1) {
        items.push_back(query.substr(start, end - start));
    }
    items.push_back(query.substr(start));
    return items;
}

std::vector<std::pair<std::string, std::string>> parse_query(const std::string& query) {
    std::vector<std::pair<std::string, std::string>> params;
    if (query.empty()) return params;
    for (const std::string& item : split_query(query)) {
        if (item.empty()) continue;
        const std::size_t equals = item.find('=');
        params.emplace_back(percent_decode(item.substr(0, equals)),
                            equals == std::string::npos ? "" : percent_decode(item.substr(equals + 1)));
    }
    return params;
}

std::string mask_query(const std::string& query) {
    std::vector<std::string> items = split_query(query);
    for (std::string& item : items) {
        const std::size_t equals = item.find('=');
        if (equals != std::string::npos && equals + 1 < item.size() &&
            lowercase(percent_decode(item.substr(0, equals))) == "password") {
            item = item.substr(0, equals + 1) + "***";
        }
    }
    return fmt::format("{}", fmt::join(items, "&"));
}

// Masks by position in the matched text, so everything but the secrets reads as given.
std::string mask_url(const std::string& text) {
    std::smatch match;
    if (!std::regex_match(text, match, url_pattern())) return mask_passwords(text);
    std::string masked = text;
    // The query first: it lies after the password, so the password's position stays valid.
    if (match[kQuery].matched) {
        masked.replace(match.position(kQuery), match.length(kQuery), mask_query(match[kQuery].str()));
    }
    if (match[kPassword].matched && match.length(kPassword) > 0) {
        masked.replace(match.position(kPassword), match.length(kPassword), "***");
    }
    return masked;
}

[[noreturn]] void throw_unsupported(const std::string& url) {
    throw usage_error(fmt::format(
        "Unsupported database URL '{}': supported schemes are sqlite:// and postgresql:// (also postgres://, "
        "with an optional +driver suffix)",
        mask_url(url)));
}

std::filesystem::path absolute_normal(const std::filesystem::path& path) {
    return std::filesystem::absolute(path).lexically_normal();
}

void parse_sqlite(const UrlParts& match, const std::filesystem::path& root, DatabaseUrl& url) {
    if (match.matched(kUser) || match.matched(kPassword) || match.matched(kPort) || !match[kIpv6Host].empty() ||
        !match[kHost].empty()) {
        throw usage_error(
            fmt::format("Malformed SQLite URL '{}': use sqlite:///relative/path.db or sqlite:////absolute/path.db",
                        mask_url(url.text)));
    }
    const std::string path = match[kDatabase];
    if (path.empty() || path == ":memory:") {
        url.sqlite_path = ":memory:";
    } else {
        // root / path is path itself when path is absolute (sqlite:////abs/path.db).
        url.sqlite_path = absolute_normal(root / path);
    }
    url.params = parse_query(match[kQuery]);
}

void parse_postgresql(const UrlParts& match, DatabaseUrl& url) {
    url.user = percent_decode(match[kUser]);
    url.password = percent_decode(match[kPassword]);
    url.host = percent_decode(match.matched(kIpv6Host) ? match[kIpv6Host] : match[kHost]);
    url.database = percent_decode(match[kDatabase]);
    url.params = parse_query(match[kQuery]);
    const std::string port_text = match[kPort];
    if (port_text.empty()) return;
    const bool digits = port_text.size() <= 5 &&
                        std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; });
    const int number = digits ? std::stoi(port_text) : 0;
    if (number < 1 || number > 65535) {
        throw usage_error(fmt::format("Invalid port '{}' in database URL '{}'", port_text, mask_url(url.text)));
    }
    url.port = number;
}

// libpq conninfo quoting: bare when safe, else single quotes with ' and \ backslash-escaped.
std::string conninfo_value(const std::string& value) {
    const bool bare = !value.empty() && value.find_first_of(" \t\n\r\f\v'\\") == std::string::npos;
    if (bare) return value;
    std::string quoted = "'";
    for (char c : value) {
        if (c == '\'' || c == '\\') quoted += '\\';
        quoted += c;
    }
    return quoted + "'";
}

}  // namespace

const char* to_string(Dialect dialect) { return dialect == Dialect::sqlite ? "sqlite" : "postgresql"; }

Dialect parse_dialect(const std::string& name) {
    if (name == "sqlite") return Dialect::sqlite;
    if (name == "postgresql" || name == "postgres") return Dialect::postgresql;
    throw usage_error(fmt::format("Unknown dialect '{}' (expected sqlite or postgresql)", name));
}

DatabaseUrl parse_database_url(const std::string& text, const std::filesystem::path& root) {
    DatabaseUrl url;
    url.text = text;
    const std::optional<UrlParts> match = match_url(text);
    if (!match) throw_unsupported(text);
    const std::string scheme_text = lowercase((*match)[kScheme]);
    const std::string base_scheme = scheme_text.substr(0, scheme_text.find('+'));  // drop +asyncpg, +psycopg2…
    if (base_scheme == "sqlite") {
        url.dialect = Dialect::sqlite;
        parse_sqlite(*match, root, url);
    } else if (base_scheme == "postgresql" || base_scheme == "postgres") {
        url.dialect = Dialect::postgresql;
        parse_postgresql(*match, url);
    } else {
        throw_unsupported(text);
    }
    return url;
}

std::string DatabaseUrl::masked() const { return mask_url(text); }

std::string DatabaseUrl::libpq_conninfo() const {
    std::vector<std::pair<std::string, std::string>> settings;
    const auto set = [&settings](const std::string& key, const std::string& value) {
        const auto existing =
            std::find_if(settings.begin(), settings.end(), [&](const auto& s) { return s.first == key; });
        if (existing == settings.end()) {
            settings.emplace_back(key, value);
        } else {
            existing->second = value;  // a query parameter (?host=/socket) overrides the URL's part
        }
    };
    if (!host.empty()) set("host", host);
    if (port) set("port", std::to_string(*port));
    if (!database.empty()) set("dbname", database);
    if (!user.empty()) set("user", user);
    if (!password.empty()) set("password", password);
    for (const auto& [key, value] : params) set(key, value);

    std::vector<std::string> parts;
    for (const auto& [key, value] : settings) parts.push_back(key + "=" + conninfo_value(value));
    return fmt::format("{}", fmt::join(parts, " "));
}

std::string mask_passwords(const std::string& text) {
    static const std::regex userinfo(R"(([A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@]*:)[^\s@]+@)");
    static const std::regex parameter(R"((password\s*=\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s&'"]+))",
                                      std::regex::icase);
    const std::string without_userinfo = std::regex_replace(text, userinfo, "$1***@");
    return std::regex_replace(without_userinfo, parameter, "$1***");
}

}  // namespace fastappkit
