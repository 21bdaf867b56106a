// The wall clock, as the runner writes it into history rows and new revision files.
#pragma once

#include <string>

namespace fastappkit {

// Current UTC time as ISO 8601 with milliseconds, e.g. 2026-11-26T10:00:00.123Z.
std::string utc_timestamp();

}  // namespace fastappkit
