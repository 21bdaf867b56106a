#include "lint/linter.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "common/error.h"
#include "runner/plan.h"
#include "script/sql_splitter.h"

namespace fastappkit {

namespace {

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

struct Ignores {
    std::map<std::string, int, std::less<>> rules;  // rule id -> line of its lint:ignore
    std::vector<LintFinding> invalid;               // lint:ignore lines that are themselves errors
};

LintFinding finding(const std::string& file, int line, std::string_view rule, std::string message) {
    const LintRule* known = find_lint_rule(rule);
    return {file, line, std::string(rule), known ? known->severity : Severity::error,
            std::move(message)};
}

// `-- lint:ignore <rule-id> <reason>` anywhere on a line.
Ignores read_ignores(std::string_view text, const std::string& file) {
    Ignores ignores;
    std::istringstream lines{std::string(text)};
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
        const auto comment = line.find("--");
        if (comment == std::string::npos) continue;
        std::string_view rest = trim(std::string_view(line).substr(comment + 2));
        constexpr std::string_view marker = "lint:ignore";
        if (rest.substr(0, marker.size()) != marker) continue;
        rest = trim(rest.substr(marker.size()));
        const auto blank = rest.find_first_of(" \t");
        const std::string rule(rest.substr(0, blank));
        const std::string_view reason =
            blank == std::string_view::npos ? "" : trim(rest.substr(blank));
        if (rule.empty()) {
            ignores.invalid.push_back(finding(
                file, number, "lint-ignore",
                "lint:ignore needs a rule id and a reason, as in '-- lint:ignore drop-table the "
                "data moved to archive in revision 1a2b'"));
        } else if (!find_lint_rule(rule) || rule == "lint-ignore") {
            ignores.invalid.push_back(finding(
                file, number, "lint-ignore",
                fmt::format("lint:ignore names '{}', which is not a rule; fastappkit migrate lint "
                            "--help lists the rules",
                            rule)));
        } else if (reason.empty()) {
            ignores.invalid.push_back(finding(
                file, number, "lint-ignore",
                fmt::format("lint:ignore {} needs a reason after the rule id, saying why the "
                            "statement is safe here",
                            rule)));
        } else {
            ignores.rules.emplace(rule, number);
        }
    }
    return ignores;
}

class FileLinter {
public:
    FileLinter(const MigrationScript& script, Dialect dialect, const MigrationSettings& settings)
        : script_(script),
          dialect_(dialect),
          lock_timeout_configured_(
              settings.timeouts.overridden_by(script.timeouts).lock_timeout.has_value()) {}

    std::vector<LintFinding> run() {
        const char* dialect = to_string(dialect_);
        const Section* upgrade = script_.section(Direction::upgrade, dialect);
        const Section* downgrade = script_.section(Direction::downgrade, dialect);
        if (upgrade) lint_section(*upgrade);
        if (downgrade) lint_section(*downgrade);
        if (!downgrade) {
            add(upgrade ? upgrade->marker_line : 1, "irreversible",
                fmt::format("revision {} has no downgrade section on {}, so it cannot be undone; "
                            "write one (an empty section if nothing needs undoing)",
                            script_.revision, dialect));
        }
        return std::move(findings_);
    }

private:
    void add(int line, std::string_view rule, std::string message) {
        findings_.push_back(finding(script_.file, line, rule, std::move(message)));
    }

    void lint_section(const Section& section) {
        StatementContext context;
        context.dialect = dialect_;
        context.direction = section.direction;
        context.transactional = section.transactional;
        bool lock_timeout = lock_timeout_configured_;
        for (const Statement& statement : split_sql(section.sql)) {
            const auto tokens = tokenize_sql(statement.text);
            if (tokens.empty()) continue;
            // The line of the first token: a statement's text starts with the comments before it.
            const int line =
                section.marker_line + statement.line +
                static_cast<int>(std::count(statement.text.begin(),
                                            statement.text.begin() + tokens.front().begin, '\n'));
            if (sets_lock_timeout(tokens)) lock_timeout = true;
            const std::string altered = altered_existing_table(tokens, context);
            for (auto& hit : check_statement(tokens, context))
                add(line, hit.rule, std::move(hit.message));
            if (!altered.empty() && !lock_timeout && dialect_ == Dialect::postgresql &&
                section.direction == Direction::upgrade) {
                add(line, "pg-no-lock-timeout",
                    fmt::format("ALTER TABLE {} waits for its lock with no limit, and every query "
                                "on the table queues behind it; set lock_timeout in "
                                "[tool.fastappkit.migration] or a '-- lock_timeout: 2s' header",
                                altered));
                lock_timeout = true;  // once per section
            }
        }
    }

    const MigrationScript& script_;
    Dialect dialect_;
    bool lock_timeout_configured_;
    std::vector<LintFinding> findings_;
};

std::string read_file(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw usage_error(fmt::format("{}: cannot read the migration file", file));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

std::string LintFinding::text() const {
    return fmt::format("{}:{}: {}: {}", file, line, rule, message);
}

std::vector<LintFinding> lint_migration_text(std::string_view text, const std::string& file,
                                             Dialect dialect, const MigrationSettings& settings) {
    const MigrationScript script = parse_migration_text(text, file, false);
    Ignores ignores = read_ignores(text, file);
    std::vector<LintFinding> findings = std::move(ignores.invalid);
    for (auto& f : FileLinter(script, dialect, settings).run()) {
        if (!ignores.rules.count(f.rule)) findings.push_back(std::move(f));
    }
    std::stable_sort(findings.begin(), findings.end(),
                     [](const LintFinding& a, const LintFinding& b) { return a.line < b.line; });
    return findings;
}

HistoryLint lint_history(History& history, Dialect dialect, const std::string& since) {
    HistoryLint result;
    const auto& graph = history.graph();
    if (graph.empty()) return result;
    const RevisionGraph::Nodes start =
        since.empty() ? RevisionGraph::Nodes{} : graph.resolve(since);
    for (const Step& step : plan_upgrade(graph, start, "heads")) {
        const std::string& file = graph.script(step.node).file;
        auto findings = lint_migration_text(read_file(file), file, dialect, history.settings());
        result.findings.insert(result.findings.end(), std::make_move_iterator(findings.begin()),
                               std::make_move_iterator(findings.end()));
        ++result.revisions;
    }
    return result;
}

}  // namespace fastappkit
