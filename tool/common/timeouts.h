// Lock and statement timeouts of migrations (docs/safety.md): set in [tool.fastappkit.migration]
// (or an external app's manifest), overridden by a migration file's `-- lock_timeout: 2s`
// header. Applied by the backend (PostgreSQL); SQLite has nothing to apply them to.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fastappkit {

struct Timeouts {
    std::optional<std::chrono::milliseconds> lock_timeout;
    std::optional<std::chrono::milliseconds> statement_timeout;

    bool any() const { return lock_timeout || statement_timeout; }
    // These, with every value `specific` sets taking precedence.
    Timeouts overridden_by(const Timeouts& specific) const {
        return {specific.lock_timeout ? specific.lock_timeout : lock_timeout,
                specific.statement_timeout ? specific.statement_timeout : statement_timeout};
    }
};

// How a PostgreSQL runner keeps other runners off a history ([tool.fastappkit.migration] lock,
// docs/databases.md "Behind a pooler"): `table`, a lease row in fastappkit_lock, renewed while
// the run lasts and checked in every migration's transaction; `advisory`, a session-level
// advisory lock, for direct connections only; `automatic` ("auto", the default): the lease,
// which holds on every connection, pooled or not.
enum class LockMode { automatic, advisory, table };

// A migration that hit the lock timeout runs again this many times by default.
constexpr int kDefaultLockRetries = 3;

// "500ms", "5s", "2min", "1h" (a whole number and a unit); nothing when malformed.
inline std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0 || digits > 9) return std::nullopt;
    const std::int64_t value = std::stoll(std::string(text.substr(0, digits)));
    const std::string_view unit = text.substr(digits);
    if (unit == "ms") return std::chrono::milliseconds(value);
    if (unit == "s") return std::chrono::seconds(value);
    if (unit == "min") return std::chrono::minutes(value);
    if (unit == "h") return std::chrono::hours(value);
    return std::nullopt;
}

// What a message or a SET statement says: "2000ms".
inline std::string duration_text(std::chrono::milliseconds value) {
    return std::to_string(value.count()) + "ms";
}

}  // namespace fastappkit
