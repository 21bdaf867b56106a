// The one exception type of the runner. Every error carries the exit code it maps to and a
// message that is a complete sentence naming the file, app or revision involved. It is caught
// once, in main().
#pragma once

#include <stdexcept>
#include <string>

namespace fastappkit {

enum class ExitCode : int {
    ok = 0,
    failure = 1,  // a migration or the database failed, or the database's state forbids it
    usage = 2,    // bad usage, configuration, or migration files
    interrupted = 130,  // Ctrl-C or SIGTERM (128 + SIGINT, as shells report it)
};

class Error : public std::runtime_error {
public:
    Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
    ExitCode code() const noexcept { return code_; }

private:
    ExitCode code_;
};

// Bad usage, configuration or migration files: exit 2, nothing touched.
inline Error usage_error(const std::string& message) { return Error(ExitCode::usage, message); }
// A migration or the database failed, or the database's state forbids the request: exit 1.
inline Error failure(const std::string& message) { return Error(ExitCode::failure, message); }

}  // namespace fastappkit
