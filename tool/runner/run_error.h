// A run that failed part-way: the error of the failing step, and the steps applied before it
// (each committed: they stay applied).
#pragma once

#include <utility>
#include <vector>

#include "common/error_reason.h"
#include "runner/progress.h"

namespace fastappkit {

class RunError : public ReasonedError {
public:
    RunError(const Error& cause, std::vector<AppliedStep> applied)
        : ReasonedError(reason_of(cause), cause), applied_(std::move(applied)) {}
    const std::vector<AppliedStep>& applied() const { return applied_; }

private:
    std::vector<AppliedStep> applied_;
};

}  // namespace fastappkit
