// Everything the CLI prints: progress lines with timings, summaries, errors, and --json
// documents. Colour only on a terminal and never under NO_COLOR; -q prints errors only.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runner/progress.h"

namespace fastappkit {

enum class Verbosity { quiet, normal, verbose };

class Reporter : public Progress {
public:
    Reporter(bool json, Verbosity verbosity);

    bool json() const { return json_; }
    bool verbose() const { return verbosity_ == Verbosity::verbose; }

    void step_started(const AppliedStep& step, bool transactional) override;
    void step_finished(const AppliedStep& step) override;
    void step_abandoned(const AppliedStep& step) override;
    // The one sentence of a command stopped by Ctrl-C or SIGTERM: which revision was rolled
    // back (or left half done by a transaction:false section), and how many ran before it.
    std::string interruption_message() const;
    void waiting(const std::string& message) override;

    // A normal line on stdout (suppressed by -q and --json).
    void line(const std::string& text);
    // Text that is the command's result (a preview's SQL, a listing); printed unless --json.
    void output(const std::string& text);
    // The one sentence of an error, on stderr.
    void error(const std::string& message);
    // Colour helpers; return the text unchanged when colour is off.
    std::string green(const std::string& text) const;
    std::string yellow(const std::string& text) const;
    std::string bold(const std::string& text) const;
    std::string dim(const std::string& text) const;

private:
    std::string paint(const char* code, const std::string& text) const;

    bool json_;
    Verbosity verbosity_;
    bool colour_;
    std::set<std::string> announced_;     // waiting messages already printed
    std::optional<AppliedStep> running_;  // started, not finished
    bool running_transactional_ = true;
    size_t finished_count_ = 0;
    // Revisions started and not finished, in order: more than one while a fresh database's
    // batch runs (its steps finish when its one transaction commits). A step started again
    // (a retry) replaces its earlier start.
    std::vector<std::string> unfinished_;
};

}  // namespace fastappkit
