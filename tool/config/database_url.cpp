// Database URLs in SQLAlchemy's grammar (docs/configuration.md), so that the URL a fastappkit
// (Python) project already has in its .env works unchanged; and the masking that keeps passwords
// out of every message.
#include "config/database_url.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "common/error.h"

namespace fastappkit {

namespace {

constexpr std::size_t npos = std::string_view::npos;

// Where one part of a URL lies in its text; `pos == npos` when the part is absent.
struct Span {
    std::size_t pos = npos;
    std::size_t len = 0;
    bool present() const { return pos != npos; }
};

struct UrlParts {
    Span scheme, user, password, ipv6_host, host, port, database, query;
};

std::string part(std::string_view text, Span span) {
    return span.present() ? std::string(text.substr(span.pos, span.len)) : std::string();
}

bool is_scheme_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '.' || c == '-';
}

// SQLAlchemy's URL grammar (sqlalchemy/engine/url.py), read by hand in one pass: a regex
// would recurse once per character and overflow the stack on a long URL. The password runs
// to the first '@' after the user's ':', so an unencoded '/' or ':' in it still parses; without
// a password, the user runs to the last '@' before the first ':' or '/'.
std::optional<UrlParts> split_url(std::string_view text) {
    UrlParts parts;
    const std::size_t n = text.size();
    if (n == 0 || !std::isalpha(static_cast<unsigned char>(text[0]))) return std::nullopt;
    std::size_t p = 1;
    while (p < n && is_scheme_char(text[p])) ++p;
    if (text.substr(p, 3) != "://") return std::nullopt;
    parts.scheme = {0, p};
    p += 3;

    std::size_t user_end = text.find_first_of(":/", p);
    if (user_end == npos) user_end = n;
    const std::size_t password_end =
        user_end < n && text[user_end] == ':' ? text.find('@', user_end + 1) : npos;
    if (password_end != npos) {
        parts.user = {p, user_end - p};
        parts.password = {user_end + 1, password_end - user_end - 1};
        p = password_end + 1;
    } else if (const std::size_t at = text.substr(p, user_end - p).rfind('@'); at != npos) {
        parts.user = {p, at};
        p += at + 1;
    }

    std::size_t host_end = text.find_first_of("/?", p);
    if (host_end == npos) host_end = n;
    if (p < n && text[p] == '[') {
        // "[v6]" followed by ":port", "/", "?" or the end; the last such ']' wins.
        for (std::size_t close = host_end; close-- > p + 1;) {
            if (text[close] == ']' && close > p + 1 &&
                (close + 1 == host_end || text[close + 1] == ':')) {
                parts.ipv6_host = {p + 1, close - p - 1};
                p = close + 1;
                break;
            }
        }
    }
    if (!parts.ipv6_host.present()) {
        const std::size_t end = std::min(text.find_first_of("/:?", p), n);
        parts.host = {p, end - p};
        p = end;
    }
    if (p < n && text[p] == ':') {
        const std::size_t end = std::min(text.find_first_of("/?", p + 1), n);
        parts.port = {p + 1, end - p - 1};
        p = end;
    }
    if (p < n && text[p] == '/') {
        const std::size_t end = std::min(text.find('?', p + 1), n);
        parts.database = {p + 1, end - p - 1};
        p = end;
    }
    if (p < n && text[p] == '?') {
        // SQLAlchemy's pattern reads the query with '.', which stops at a line break.
        if (text.find_first_of("\r\n", p) != npos) return std::nullopt;
        parts.query = {p + 1, n - p - 1};
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
        if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
            hex_digit(text[i + 2]) >= 0) {
            decoded += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
            i += 2;
        } else {
            decoded += text[i];
        }
    }
    return decoded;
}

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return std::tolower(c); });
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
        params.emplace_back(
            percent_decode(item.substr(0, equals)),
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

std::string mask_url(const std::string& text);

bool is_token_break(char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == '\'' || c == '"' || c == '`' ||
           c == '<' || c == '>';
}

// Where the user of a `user:password@` in token[0, at) starts: after the last "://", else
// after a leading "scheme:/" (a URL missing a slash), else at the token's start.
std::size_t userinfo_start(std::string_view prefix) {
    if (const std::size_t slashes = prefix.rfind("://"); slashes != npos) return slashes + 3;
    std::size_t p = 0;
    if (!prefix.empty() && std::isalpha(static_cast<unsigned char>(prefix[0]))) {
        while (p < prefix.size() && is_scheme_char(prefix[p])) ++p;
        if (p + 1 < prefix.size() && prefix[p] == ':' && prefix[p + 1] == '/') {
            while (++p < prefix.size() && prefix[p] == '/') {
            }
            return p;
        }
    }
    return 0;
}

// Replaces the password of anything shaped like `user:password@host` with ***, whether or not
// it is a well-formed URL (postgresql:/u:pw@h, postgresql//u:pw@h, u:pw@h/db). A password
// holding '@' runs to the last '@' before the host's '/' or '?'.
std::string mask_userinfo(const std::string& text) {
    std::string out;
    std::size_t t = 0;
    while (t < text.size()) {
        if (is_token_break(text[t])) {
            out += text[t++];
            continue;
        }
        std::size_t e = t;
        while (e < text.size() && !is_token_break(text[e])) ++e;
        const std::string_view token(text.data() + t, e - t);
        t = e;
        const std::size_t at = token.find('@');
        if (at == npos) {
            out += token;
            continue;
        }
        const std::size_t user = userinfo_start(token.substr(0, at));
        const std::size_t colon = token.substr(0, at).find(':', user);
        if (colon == npos || colon + 1 == at) {
            out += token;
            continue;
        }
        const std::size_t host_end = std::min(token.find_first_of("/?", at), token.size());
        const std::size_t last_at = token.substr(0, host_end).rfind('@');
        out += token.substr(0, colon + 1);
        out += "***";
        out += token.substr(last_at);
    }
    return out;
}

bool equals_ignoring_case(std::string_view text, std::string_view lower) {
    if (text.size() != lower.size()) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[i])) != lower[i]) return false;
    }
    return true;
}

// `password = value` (libpq's conninfo, a URL's query): the value, quoted or bare, becomes ***.
std::string mask_password_parameters(const std::string& text) {
    constexpr std::string_view key = "password";
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        if (!equals_ignoring_case(std::string_view(text).substr(i, key.size()), key)) {
            out += text[i++];
            continue;
        }
        std::size_t p = i + key.size();
        const auto skip_blanks = [&] {
            while (p < text.size() && std::isspace(static_cast<unsigned char>(text[p]))) ++p;
        };
        skip_blanks();
        if (p >= text.size() || text[p] != '=') {
            out += text.substr(i, key.size());
            i += key.size();
            continue;
        }
        ++p;
        skip_blanks();
        std::size_t end = p;
        if (p < text.size() && (text[p] == '\'' || text[p] == '"')) {
            const char quote = text[p];
            for (end = p + 1; end < text.size() && text[end] != quote; ++end) {
                if (text[end] == '\\') ++end;
            }
            end = end < text.size() ? end + 1 : p;  // an unclosed quote is not a value
        } else {
            while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) &&
                   std::string_view("&'\"").find(text[end]) == npos) {
                ++end;
            }
            // "…?password=x: message": the ': ' after a URL ends the sentence's subject.
            if (end > p + 1 && end < text.size() && text[end - 1] == ':') --end;
        }
        out += text.substr(i, p - i);
        if (end > p) out += "***";
        i = end > p ? end : p;
    }
    return out;
}

// SQLite's URI parameters (https://sqlite.org/uri.html) are passed to SQLite; the Python
// driver's connect arguments that SQLAlchemy accepts in a URL are accepted and have no effect
// on a migration. Anything else is refused, so that an option is never silently ignored.
void check_sqlite_options(const DatabaseUrl& url) {
    static const std::vector<std::pair<std::string, std::vector<std::string>>> sqlite_values = {
        {"mode", {"ro", "rw", "rwc", "memory"}},
        {"cache", {"shared", "private"}},
        {"immutable", {"0", "1"}},
        {"nolock", {"0", "1"}},
        {"psow", {"0", "1"}},
        {"vfs", {}}};
    static const std::vector<std::string> driver_options = {"uri",          "check_same_thread",
                                                            "timeout",      "isolation_level",
                                                            "detect_types", "cached_statements"};
    for (const auto& [key, value] : url.params) {
        if (std::find(driver_options.begin(), driver_options.end(), key) != driver_options.end())
            continue;
        const auto known =
            std::find_if(sqlite_values.begin(), sqlite_values.end(),
                         [&key = key](const auto& option) { return option.first == key; });
        if (known == sqlite_values.end()) {
            throw usage_error(
                fmt::format("Unknown SQLite URL option '{}' in '{}': supported are SQLite's mode, "
                            "cache, immutable, nolock, "
                            "psow and vfs, and the driver's uri, check_same_thread, timeout, "
                            "isolation_level, detect_types and "
                            "cached_statements",
                            mask_passwords(key), mask_url(url.text)));
        }
        const auto& values = known->second;
        if (!values.empty() && std::find(values.begin(), values.end(), value) == values.end()) {
            throw usage_error(fmt::format(
                "Invalid value '{}' of SQLite URL option '{}' in '{}': expected {}",
                mask_passwords(value), key, mask_url(url.text), fmt::join(values, ", ")));
        }
    }
}

// Masks by position in the parsed text, so everything but the secrets reads as given.
std::string mask_url(const std::string& text) {
    const std::optional<UrlParts> parts = split_url(text);
    if (!parts) return mask_passwords(text);
    std::string masked = text;
    // The query first: it lies after the password, so the password's position stays valid.
    if (parts->query.present()) {
        masked.replace(parts->query.pos, parts->query.len, mask_query(part(text, parts->query)));
    }
    if (parts->password.present() && parts->password.len > 0) {
        masked.replace(parts->password.pos, parts->password.len, "***");
    }
    return mask_passwords(masked);
}

[[noreturn]] void throw_unsupported(const std::string& url) {
    throw usage_error(
        fmt::format("Unsupported database URL '{}': supported schemes are sqlite:// and "
                    "postgresql:// (also postgres://, "
                    "with an optional +driver suffix)",
                    mask_url(url)));
}

std::filesystem::path absolute_normal(const std::filesystem::path& path) {
    return std::filesystem::absolute(path).lexically_normal();
}

void parse_sqlite(const UrlParts& parts, const std::filesystem::path& root, DatabaseUrl& url) {
    const std::string& text = url.text;
    if (parts.user.present() || parts.port.present() || parts.ipv6_host.present() ||
        parts.host.len > 0) {
        throw usage_error(
            fmt::format("Malformed SQLite URL '{}': use sqlite:///relative/path.db or "
                        "sqlite:////absolute/path.db",
                        mask_url(text)));
    }
    const std::string path = part(text, parts.database);
    if (path.empty() || path == ":memory:") {
        url.sqlite_path = ":memory:";
    } else {
        // root / path is path itself when path is absolute (sqlite:////abs/path.db).
        url.sqlite_path = absolute_normal(root / path);
    }
    url.params = parse_query(part(text, parts.query));
    check_sqlite_options(url);
}

void parse_postgresql(const UrlParts& parts, DatabaseUrl& url) {
    const std::string& text = url.text;
    url.user = percent_decode(part(text, parts.user));
    url.password = percent_decode(part(text, parts.password));
    url.host = percent_decode(parts.ipv6_host.present() ? part(text, parts.ipv6_host)
                                                        : part(text, parts.host));
    url.database = percent_decode(part(text, parts.database));
    url.params = parse_query(part(text, parts.query));
    // An '@' in the host means an unencoded '@' in the password: libpq would try to resolve
    // the password's tail as a host name and print it.
    if (url.host.find('@') != std::string::npos) {
        throw usage_error(fmt::format(
            "The database URL '{}' has an '@' in its password (or user name): percent-encode it "
            "as %40",
            mask_url(url.text)));
    }
    for (const auto& [key, value] : url.params) {
        if (key == "schema" && (value.empty() || value.size() > 63)) {
            throw usage_error(
                fmt::format("Invalid schema '{}' in '{}': a schema name has 1 to 63 characters",
                            mask_passwords(value), mask_url(url.text)));
        }
        if (key == "fastappkit_lock" && value != "auto" && value != "advisory" &&
            value != "table") {
            throw usage_error(fmt::format(
                "Invalid value '{}' of URL parameter fastappkit_lock in '{}': expected auto, "
                "advisory or table",
                mask_passwords(value), mask_url(url.text)));
        }
    }
    const std::string port_text = part(text, parts.port);
    if (port_text.empty()) return;
    const bool digits =
        port_text.size() <= 5 && std::all_of(port_text.begin(), port_text.end(),
                                             [](char c) { return c >= '0' && c <= '9'; });
    const int number = digits ? std::stoi(port_text) : 0;
    if (number < 1 || number > 65535) {
        throw usage_error(fmt::format("Invalid port '{}' in database URL '{}'",
                                      mask_passwords(port_text), mask_url(url.text)));
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

DatabaseUrl parse_database_url(const std::string& text, const std::filesystem::path& root) {
    DatabaseUrl url;
    url.text = text;
    // Not echoed: the URL would break the one-line message (and may hold a password).
    const auto control = std::find_if(text.begin(), text.end(),
                                      [](unsigned char c) { return c < 0x20 || c == 0x7f; });
    if (control != text.end()) {
        throw usage_error(
            fmt::format("Unsupported database URL: it holds a control character at position {}",
                        control - text.begin() + 1));
    }
    const std::optional<UrlParts> parts = split_url(text);
    if (!parts) throw_unsupported(text);
    const std::string scheme_text = lowercase(part(text, parts->scheme));
    const std::string base_scheme =
        scheme_text.substr(0, scheme_text.find('+'));  // drop +asyncpg, +psycopg2…
    if (base_scheme == "sqlite") {
        url.dialect = Dialect::sqlite;
        parse_sqlite(*parts, root, url);
    } else if (base_scheme == "postgresql" || base_scheme == "postgres") {
        url.dialect = Dialect::postgresql;
        parse_postgresql(*parts, url);
    } else {
        throw_unsupported(text);
    }
    return url;
}

std::string DatabaseUrl::masked() const { return mask_url(text); }

std::string DatabaseUrl::libpq_conninfo() const {
    std::vector<std::pair<std::string, std::string>> settings;
    const auto set = [&settings](const std::string& key, const std::string& value) {
        const auto existing = std::find_if(settings.begin(), settings.end(),
                                           [&](const auto& s) { return s.first == key; });
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
    for (const auto& [key, value] : params) {
        // fastappkit's own (fastappkit_lock, the schema of a fleet's target), not libpq's
        if (key.rfind("fastappkit_", 0) != 0 && key != "schema") set(key, value);
    }

    std::vector<std::string> parts;
    for (const auto& [key, value] : settings) parts.push_back(key + "=" + conninfo_value(value));
    return fmt::format("{}", fmt::join(parts, " "));
}

std::string mask_passwords(const std::string& text) {
    return mask_password_parameters(mask_userinfo(text));
}

}  // namespace fastappkit
