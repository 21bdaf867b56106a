// fastappkit::Error: the one exception type of fastappkit, shared by the runner and the
// embedded API. Its message is one sentence naming the file, app or revision involved; its
// exit code is the runner's (1: a migration or the database failed, or the database's state
// forbids the request; 2: bad usage, configuration or migration files).
#pragma once

#include <stdexcept>
#include <string>

namespace fastappkit {

enum class ExitCode : int {
    ok = 0,
    failure = 1,        // a migration or the database failed, or the database's state forbids it
    usage = 2,          // bad usage, configuration, or migration files
    interrupted = 130,  // the runner got Ctrl-C or SIGTERM (128 + SIGINT, as shells report it)
};

class Error : public std::runtime_error {
public:
    Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
    ExitCode code() const noexcept { return code_; }
    int exit_code() const noexcept { return static_cast<int>(code_); }

private:
    ExitCode code_;
};

}  // namespace fastappkit
