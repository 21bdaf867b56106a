// `migrate fleet`: the project's histories applied to many databases (docs/fleet.md). The
// targets come from a file (or stdin), a glob of SQLite files, or a query on a control
// database; runner/fleet.h runs them; this file reads the targets and prints the results.
#include <glob.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "autogen/drift.h"
#include "cli/commands.h"
#include "cli/interruption.h"
#include "common/error.h"
#include "config/database_url.h"
#include "runner/fleet.h"

namespace fastappkit {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

std::string trimmed(const std::string& text) {
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

// One URL per line; blank lines and lines starting with # are skipped.
std::vector<std::string> read_target_lines(std::istream& in) {
    std::vector<std::string> targets;
    std::string line;
    while (std::getline(in, line)) {
        line = trimmed(line);
        if (!line.empty() && line[0] != '#') targets.push_back(line);
    }
    return targets;
}

std::vector<std::string> targets_from_file(const std::string& file, const fs::path& root) {
    if (file == "-") return read_target_lines(std::cin);
    const fs::path path = fs::path(file).is_absolute() ? fs::path(file) : root / file;
    std::ifstream in(path);
    if (!in)
        throw usage_error(fmt::format("Cannot read the fleet's targets file {}", path.string()));
    auto targets = read_target_lines(in);
    if (targets.empty())
        throw usage_error(
            fmt::format("The fleet's targets file {} names no database", path.string()));
    return targets;
}

// SQLite files matching `pattern` (relative to the project root), in name order.
std::vector<std::string> targets_from_glob(const std::string& pattern, const fs::path& root) {
    const std::string full = fs::path(pattern).is_absolute() ? pattern : (root / pattern).string();
    glob_t found{};
    const int status = glob(full.c_str(), GLOB_ERR, nullptr, &found);
    std::vector<std::string> targets;
    if (status == 0) {
        for (size_t i = 0; i < found.gl_pathc; ++i) {
            if (fs::is_regular_file(found.gl_pathv[i]))
                targets.push_back("sqlite:///" + fs::absolute(found.gl_pathv[i]).string());
        }
    }
    globfree(&found);
    if (status == GLOB_ABORTED)
        throw usage_error(
            fmt::format("Cannot read the directories of --targets-glob '{}'", pattern));
    if (targets.empty())
        throw usage_error(fmt::format("No SQLite file matches --targets-glob '{}'", pattern));
    return targets;
}

// The first column of every row of `sql` on the control database, read-only.
std::vector<std::string> targets_from_query(Session& session, const FleetArgs& args) {
    if (args.control_url.empty())
        throw usage_error("--targets-query needs --control-url, the database to run it on");
    OpenOptions open = session.open_options();
    open.read_only = true;
    auto control = open_database(parse_database_url(args.control_url, session.root()), open);
    std::vector<std::string> targets;
    for (const auto& row : control->query(args.targets_query)) {
        if (!row.empty() && row[0] && !trimmed(*row[0]).empty())
            targets.push_back(trimmed(*row[0]));
    }
    if (targets.empty()) {
        throw usage_error(
            fmt::format("--targets-query returned no database from {}",
                        parse_database_url(args.control_url, session.root()).masked()));
    }
    return targets;
}

std::vector<std::string> fleet_targets(Session& session, const FleetArgs& args) {
    const int given =
        !args.targets_file.empty() + !args.targets_glob.empty() + !args.targets_query.empty();
    if (given != 1) {
        throw usage_error(
            "migrate fleet needs exactly one of --targets FILE (or - for stdin), --targets-glob "
            "PATTERN, or --targets-query SQL with --control-url URL");
    }
    if (!args.targets_file.empty()) return targets_from_file(args.targets_file, session.root());
    if (!args.targets_glob.empty()) return targets_from_glob(args.targets_glob, session.root());
    return targets_from_query(session, args);
}

// Reads every history of the project and every migration file in full, once: a malformed
// file stops the fleet here, before any target is touched. Each target then gets Histories
// over these parsed graphs (read-only from here on, so the workers share them).
std::function<FleetHistories()> parsed_histories(Session& session) {
    std::vector<History*> masters = session.all_histories();
    for (History* history : masters) {
        const RevisionGraph& graph = history->graph();
        for (RevisionGraph::Node node = 0; node < static_cast<RevisionGraph::Node>(graph.size());
             ++node) {
            history->body(node);
        }
        for (size_t i = 0; i < graph.checkpoints().size(); ++i) {
            if (graph.checkpoints()[i].stands_in) continue;  // a node, read above
            Step step(graph.checkpoints()[i].node, Direction::upgrade);
            step.checkpoint = static_cast<int>(i);
            history->body(step);
        }
    }
    const bool project = !session.standalone();
    return [masters, project] {
        FleetHistories set;
        for (History* master : masters) {
            std::shared_ptr<const RevisionGraph> graph(std::shared_ptr<void>(), &master->graph());
            auto& added = set.histories.emplace_back(std::make_unique<History>(
                master->name(), master->version_table(), graph,
                [graph](RevisionGraph::Node index) { return graph->script_at(index).sections; }));
            added->set_settings(master->settings());
            if (project && master != masters.front()) set.conflict_checked.push_back(added.get());
        }
        return set;
    };
}

Json target_json(const TargetResult& result) {
    Json applied = Json::array();
    for (const auto& step : result.applied)
        applied.push_back({{"history", step.history}, {"revision", step.revision}});
    Json out{{"target", result.target}, {"status", to_string(result.status)}, {"applied", applied}};
    if (!result.drift.empty()) out["drift"] = result.drift;
    if (!result.pending.empty()) {
        Json pending = Json::array();
        for (const auto& p : result.pending)
            pending.push_back(
                {{"history", p.history}, {"revision", p.revision}, {"message", p.message}});
        out["pending"] = pending;
    }
    out["error"] = result.error.empty() ? Json(nullptr) : Json(result.error);
    out["duration_ms"] = result.duration_ms;
    return out;
}

Json summary_json(const FleetResult& report) {
    return {{"targets", report.targets.size()},
            {"applied", report.count(TargetStatus::applied)},
            {"unchanged", report.count(TargetStatus::unchanged)},
            {"pending", report.count(TargetStatus::pending)},
            {"drifted", report.count(TargetStatus::drifted)},
            {"failed", report.count(TargetStatus::failed)},
            {"skipped", report.count(TargetStatus::skipped)},
            {"duration_ms", report.duration_ms}};
}

std::string target_line(const TargetResult& result) {
    switch (result.status) {
        case TargetStatus::applied:
            return fmt::format("applied    {} ({} migration{}, {} ms)", result.target,
                               result.applied.size(), result.applied.size() == 1 ? "" : "s",
                               result.duration_ms);
        case TargetStatus::unchanged:
            return fmt::format("unchanged  {}", result.target);
        case TargetStatus::pending: {
            std::string revisions;
            for (const auto& p : result.pending)
                revisions += (revisions.empty() ? "" : ", ") + p.history + ":" + p.revision;
            return fmt::format("pending    {} ({})", result.target, revisions);
        }
        case TargetStatus::drifted: {
            std::string text =
                fmt::format("drifted    {} ({} difference{})", result.target, result.drift.size(),
                            result.drift.size() == 1 ? "" : "s");
            for (const auto& line : result.drift) text += "\n  " + line;
            return text;
        }
        case TargetStatus::failed:
            return fmt::format("failed     {}: {}", result.target, result.error);
        case TargetStatus::skipped:
            return fmt::format("skipped    {}: {}", result.target, result.error);
    }
    return {};
}

// What the user sees while the fleet runs: a line per target (or, with --report on a
// terminal, a progress line), JSON lines to the report file.
class FleetOutput {
public:
    FleetOutput(Session& session, const FleetArgs& args, size_t total)
        : reporter_(session.reporter()), total_(total) {
        if (!args.report.empty()) {
            const fs::path path = fs::path(args.report).is_absolute()
                                      ? fs::path(args.report)
                                      : session.root() / args.report;
            report_.open(path, std::ios::trunc);
            if (!report_)
                throw usage_error(fmt::format("Cannot write the fleet report {}", path.string()));
        }
        progress_ = !reporter_.json() && isatty(STDERR_FILENO);
    }

    void done(const TargetResult& result) {
        std::lock_guard<std::mutex> guard(mutex_);
        ++done_;
        if (result.status == TargetStatus::failed) ++failed_;
        if (report_.is_open()) report_ << target_json(result).dump() << "\n" << std::flush;
        if (progress_) std::fputs("\r\033[K", stderr);
        if (result.status != TargetStatus::unchanged || reporter_.verbose())
            reporter_.line(target_line(result));
        if (progress_) {
            std::fprintf(stderr, "%zu/%zu done, %zu failed", done_, total_, failed_);
            std::fflush(stderr);
        }
    }

    void finish(const FleetResult& report) {
        if (progress_) std::fputs("\r\033[K", stderr);
        for (const auto& target : report.targets) {
            if (target.status != TargetStatus::skipped) continue;
            if (report_.is_open()) report_ << target_json(target).dump() << "\n";
            if (reporter_.verbose()) reporter_.line(target_line(target));
        }
        const Json summary = summary_json(report);
        if (report_.is_open()) report_ << Json{{"summary", summary}}.dump() << "\n" << std::flush;
        if (reporter_.json()) {
            Json targets = Json::array();
            for (const auto& target : report.targets) targets.push_back(target_json(target));
            std::cout << Json{{"targets", targets}, {"summary", summary}}.dump(2) << "\n";
            return;
        }
        reporter_.line(fmt::format(
            "Fleet of {} target{}: {} applied, {} unchanged, {}{} failed, {} skipped in {} ms",
            report.targets.size(), report.targets.size() == 1 ? "" : "s",
            report.count(TargetStatus::applied), report.count(TargetStatus::unchanged),
            report.count(TargetStatus::pending) > 0
                ? fmt::format("{} pending, ", report.count(TargetStatus::pending))
            : report.count(TargetStatus::drifted) > 0
                ? fmt::format("{} drifted, ", report.count(TargetStatus::drifted))
                : "",
            report.count(TargetStatus::failed), report.count(TargetStatus::skipped),
            report.duration_ms));
    }

private:
    Reporter& reporter_;
    std::ofstream report_;
    std::mutex mutex_;
    size_t total_;
    size_t done_ = 0;
    size_t failed_ = 0;
    bool progress_ = false;
};

FleetOnError parse_on_error(const std::string& value) {
    if (value == "stop") return FleetOnError::stop;
    if (value == "continue") return FleetOnError::continue_running;
    throw usage_error(fmt::format("--on-error must be stop or continue, not '{}'", value));
}

}  // namespace

int migrate_fleet(Session& session, const FleetArgs& args) {
    FleetRun run;
    run.on_error = parse_on_error(args.on_error);
    if (args.parallel < 1) throw usage_error("--parallel must be at least 1");
    if (args.max_failures < 0) throw usage_error("--max-failures must be at least 1");
    run.parallel = static_cast<size_t>(args.parallel);
    run.canary = static_cast<size_t>(std::max(args.canary, 0));
    if (args.max_failures > 0) run.max_failures = static_cast<size_t>(args.max_failures);
    run.dry_run = args.dry_run;
    if (args.drift && args.dry_run)
        throw usage_error("--drift and --dry-run do not go together: --drift changes nothing");
    if (args.drift) {
        run.audit = [](Database& live, const DatabaseUrl& url,
                       const std::vector<History*>& histories) {
            std::vector<std::string> lines;
            for (const auto& history : check_drift(live, url, histories).histories) {
                for (const auto& finding : history.findings)
                    lines.push_back(history.history + ": " + finding.text());
            }
            return lines;
        };
    }
    run.root = session.root();
    run.targets = fleet_targets(session, args);
    run.histories = parsed_histories(session);

    // Waits and warnings come from several threads: one at a time to the reporter.
    auto reporter_mutex = std::make_shared<std::mutex>();
    run.open = session.open_options();
    // DATABASE_DIRECT_URL / direct_url name one database; each target is another. A target
    // reached directly says so itself (fastappkit_lock=advisory in its URL).
    run.open.direct_url.reset();
    auto say = [&session, reporter_mutex](const std::string& message) {
        std::lock_guard<std::mutex> guard(*reporter_mutex);
        session.reporter().waiting(message);
    };
    run.open.on_wait = say;
    run.open.on_warning = say;
    run.open_database = [](const DatabaseUrl& url, const OpenOptions& options) {
        return open_database(url, options);
    };
    FleetOutput output(session, args, run.targets.size());
    run.on_target_done = [&output](const TargetResult& result) { output.done(result); };
    if (!run.dry_run && !args.drift) Interruption::arm();
    run.on_connection = [](size_t, Database* database) {
        static thread_local Database* mine = nullptr;
        if (mine) Interruption::unwatch(mine);
        mine = database;
        if (database) Interruption::also_watch(database);
    };
    run.cancel = &Interruption::requested_flag();

    const FleetResult report = run_fleet(run);
    output.finish(report);
    if (Interruption::requested()) {
        session.reporter().error(fmt::format(
            "Interrupted: {} of {} targets finished, {} stopped (rolled back), {} not started; run "
            "the fleet again to resume",
            report.targets.size() - report.count(TargetStatus::skipped) -
                report.count(TargetStatus::failed),
            report.targets.size(), report.count(TargetStatus::failed),
            report.count(TargetStatus::skipped)));
        return static_cast<int>(ExitCode::interrupted);
    }
    return report.exit_code();
}

}  // namespace fastappkit
