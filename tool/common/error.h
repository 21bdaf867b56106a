// The one exception type of the runner (fastappkit/error.h) and its two kinds. Every error is
// caught once, in main() (or returned to the program by the embedded API).
#pragma once

#include <string>

#include "fastappkit/error.h"

namespace fastappkit {

// Bad usage, configuration or migration files: exit 2, nothing touched.
inline Error usage_error(const std::string& message) { return Error(ExitCode::usage, message); }
// A migration or the database failed, or the database's state forbids the request: exit 1.
inline Error failure(const std::string& message) { return Error(ExitCode::failure, message); }

}  // namespace fastappkit
