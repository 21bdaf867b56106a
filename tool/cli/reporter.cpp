#include "cli/reporter.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

namespace fastappkit {

namespace {

bool colour_wanted(int fd) {
    const char* no_colour = std::getenv("NO_COLOR");
    return isatty(fd) && (no_colour == nullptr || *no_colour == '\0');
}

}  // namespace

Reporter::Reporter(bool json, Verbosity verbosity)
    : json_(json), verbosity_(verbosity), colour_(!json && colour_wanted(STDOUT_FILENO)) {}

void Reporter::step_started(const AppliedStep& step, bool transactional) {
    running_ = step;
    running_transactional_ = transactional;
    const std::string key = step.history + " " + step.revision;
    unfinished_.erase(std::find(unfinished_.begin(), unfinished_.end(), key), unfinished_.end());
    unfinished_.push_back(key);
}

void Reporter::step_abandoned(const AppliedStep& step) {
    running_.reset();
    const auto found =
        std::find(unfinished_.begin(), unfinished_.end(), step.history + " " + step.revision);
    if (found != unfinished_.end()) unfinished_.erase(found);
}

void Reporter::step_finished(const AppliedStep& step) {
    running_.reset();
    ++finished_count_;
    const auto found =
        std::find(unfinished_.begin(), unfinished_.end(), step.history + " " + step.revision);
    if (found != unfinished_.end()) unfinished_.erase(found);
    const std::string arrow = step.direction == Direction::upgrade ? "" : "(downgrade) ";
    std::string what = arrow + step.message;
    line(fmt::format("{} {} {}{}", bold(step.history), step.revision,
                     what.empty() ? "" : what + " ",
                     dim(fmt::format("… {} ms", step.duration_ms))));
}

// Once per run: a session opens a read-only connection before the writing one, and each
// would announce the same wait.
void Reporter::waiting(const std::string& message) {
    if (!announced_.insert(message).second) return;
    if (verbosity_ != Verbosity::quiet) fmt::print(stderr, "{}\n", yellow(message));
}

void Reporter::line(const std::string& text) {
    if (json_ || verbosity_ == Verbosity::quiet) return;
    fmt::print("{}\n", text);
    std::fflush(stdout);
}

void Reporter::output(const std::string& text) {
    if (json_) return;
    fmt::print("{}", text);
}

void Reporter::error(const std::string& message) {
    const bool colour = colour_wanted(STDERR_FILENO);
    fmt::print(stderr, "{}{}{}\n", colour ? "\033[31m" : "", message, colour ? "\033[0m" : "");
}

std::string Reporter::paint(const char* code, const std::string& text) const {
    return colour_ ? fmt::format("\033[{}m{}\033[0m", code, text) : text;
}

std::string Reporter::green(const std::string& text) const { return paint("32", text); }
std::string Reporter::yellow(const std::string& text) const { return paint("33", text); }
std::string Reporter::bold(const std::string& text) const { return paint("1", text); }
std::string Reporter::dim(const std::string& text) const { return paint("2", text); }

std::string Reporter::interruption_message() const {
    const std::string before =
        fmt::format("{} migration{} {} applied before it", finished_count_,
                    finished_count_ == 1 ? "" : "s", finished_count_ == 1 ? "was" : "were");
    if (!running_) {
        return fmt::format("Interrupted: no migration was running; {} migration{} {} applied",
                           finished_count_, finished_count_ == 1 ? "" : "s",
                           finished_count_ == 1 ? "was" : "were");
    }
    const auto& step = *running_;
    if (running_transactional_ && unfinished_.size() > 1) {
        const std::string& first = unfinished_.front();
        return fmt::format(
            "Interrupted: rolled back the upgrade of {} revisions {} to {}, which a fresh "
            "database runs in one transaction; {} migration{} {} applied before them",
            step.history, first.substr(first.find(' ') + 1), step.revision, finished_count_,
            finished_count_ == 1 ? "" : "s", finished_count_ == 1 ? "was" : "were");
    }
    if (running_transactional_) {
        return fmt::format("Interrupted: rolled back the {} of {} revision {}; {}",
                           to_string(step.direction), step.history, step.revision, before);
    }
    const std::string app = step.history == "core" ? "" : " --app " + step.history;
    return fmt::format(
        "Interrupted: the transaction:false {} section of {} revision {} was stopped part-way "
        "and is marked as started ({}); check the database, then run 'fastappkit migrate "
        "resolve {} --applied{}' or '--rolled-back'",
        to_string(step.direction), step.history, step.revision, before, step.revision, app);
}

}  // namespace fastappkit
