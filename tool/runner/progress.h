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
    virtual void step_finished(const AppliedStep& step) = 0;
    virtual void waiting(const std::string& message) = 0;
};

}  // namespace fastappkit
