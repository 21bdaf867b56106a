// The one order in which histories are migrated: core first, then external apps in `apps`
// order, moved after everything they require. Used by `migrate all` and by the CMake targets.
#pragma once

#include <string>
#include <vector>

#include "config/project.h"

namespace fastappkit {

struct AppStep {
    std::string name;  // external app name
    std::vector<std::string>
        depends_on;  // external apps that must be migrated first (core is implied)
};

// An app with a `requires` key depends on exactly those apps; one without depends on the app
// placed just before it in the returned order (docs/configuration.md, "Migration order"),
// which is `apps` order unless a `requires` moved something.
// Throws usage_error for a `requires` cycle or a required app that is not in `apps`.
std::vector<AppStep> external_app_order(const Project& project);

}  // namespace fastappkit
