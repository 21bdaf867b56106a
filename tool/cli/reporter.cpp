#include "cli/reporter.h"

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

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

void Reporter::step_finished(const AppliedStep& step) {
    const std::string arrow = step.direction == Direction::upgrade ? "" : "(downgrade) ";
    std::string what = arrow + step.message;
    line(fmt::format("{} {} {}{}", bold(step.history), step.revision, what.empty() ? "" : what + " ",
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

}  // namespace fastappkit
