// `migrate lint` (docs/safety.md): checks the revisions of a history against the rules of
// lint_rules.h without opening a database. A `-- lint:ignore <rule-id> <reason>` line silences
// that rule in its file; one without a known rule id or without a reason is itself an error.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/database_url.h"
#include "config/project.h"
#include "lint/lint_rules.h"
#include "runner/history.h"

namespace fastappkit {

struct LintFinding {
    std::string file;
    int line = 0;
    std::string rule;
    Severity severity = Severity::warning;
    std::string message;

    // "path:line: rule-id: message"
    std::string text() const;
};

// One migration file's findings, in line order. `settings` are the history's (a configured
// lock_timeout satisfies pg-no-lock-timeout). A malformed file is a usage_error.
std::vector<LintFinding> lint_migration_text(std::string_view text, const std::string& file,
                                             Dialect dialect, const MigrationSettings& settings);

// Every revision of `history` in upgrade order, or only those after `since` when given.
struct HistoryLint {
    size_t revisions = 0;
    std::vector<LintFinding> findings;
};
HistoryLint lint_history(History& history, Dialect dialect, const std::string& since);

}  // namespace fastappkit
