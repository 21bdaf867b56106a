// What the runner tells the user while it works; the CLI implements it (text or JSON).
#pragma once

#include <string>

#include "script/migration_file.h"

namespace fastappkit {

struct AppliedStep {
    std::string history;
    std::string revision;
    std::string message;
    Direction direction = Direction::upgrade;
    long long duration_ms = 0;
};

class Progress {
public:
    virtual ~Progress() = default;
    // A step's transaction began (`step.duration_ms` is 0); `transactional` is false for a
    // transaction:false section, which an interruption leaves half done. In a fresh
    // database's batch several steps start in one transaction.
    virtual void step_started(const AppliedStep& /*step*/, bool /*transactional*/) {}
    // A started step was rolled back, no error, because another runner had moved the heads
    // first: the run plans again from them.
    virtual void step_abandoned(const AppliedStep& /*step*/) {}
    // A step committed (a batch's steps all at once, when the batch commits).
    virtual void step_finished(const AppliedStep& step) = 0;
    virtual void waiting(const std::string& message) = 0;
};

}  // namespace fastappkit
