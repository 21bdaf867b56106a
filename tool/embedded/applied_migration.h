// The runner's AppliedStep as the embedded API's AppliedMigration.
#pragma once

#include "fastappkit/embedded.h"
#include "runner/progress.h"

namespace fastappkit {

inline AppliedMigration to_applied(const AppliedStep& step) {
    return {step.history, step.revision, step.message, step.direction == Direction::upgrade,
            step.duration_ms};
}

}  // namespace fastappkit
