// The embedded API's only adapter: the histories a generated catalog holds
// (fastappkit/embedded_catalog.h), as the runner's History objects. Everything else the
// embedded front ends do goes through runner/.
#pragma once

#include <memory>
#include <vector>

#include "fastappkit/embedded_catalog.h"
#include "runner/history.h"

namespace fastappkit {

// The program's unnamed catalog (catalog::embedded).
const catalog::Catalog& default_catalog();

// What one run works on: a History per history of `c`, in `migrate all` order, sharing the
// graph read once per process (and per catalog) and loading the bodies it runs. Throws Error
// (exit code 2) for a catalog of another format version.
std::vector<std::unique_ptr<History>> histories_for_one_run(const catalog::Catalog& c);

// A standalone app's project has no core history: no shared version table to check.
bool is_standalone(const std::vector<std::unique_ptr<History>>& histories);

}  // namespace fastappkit
