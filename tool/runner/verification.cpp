#include "runner/verification.h"

#include <sys/stat.h>

#include <ctime>
#include <map>

#include <fmt/format.h>

#include "runner/plan.h"
#include "script/checksum.h"

namespace fastappkit {

namespace {

// The file's modification time as history rows write applied_at (2026-11-26T10:00:00.123Z),
// so that the two compare as strings; empty when the file cannot be read.
std::string modified_at(const std::string& file) {
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0) return {};
    std::tm utc{};
    gmtime_r(&info.st_mtim.tv_sec, &utc);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                       utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                       info.st_mtim.tv_nsec / 1000000);
}

}  // namespace

Verification verify_history(History& history, Database& db, bool quick) {
    Verification result;
    if (!db.has_table(history.version_table())) return result;
    const auto& graph = history.graph();
    const auto applied =
        graph.ancestors(heads_from_versions(graph, db.read_versions(history.version_table())));
    std::map<std::string, HistoryRow> recorded;  // revision -> its last upgrade
    for (auto& row : db.read_history(history.version_table())) {
        if (row.direction == "upgrade") recorded[row.revision] = std::move(row);
    }
    const std::string dialect = to_string(db.dialect());
    for (RevisionGraph::Node n = 0; n < static_cast<RevisionGraph::Node>(graph.size()); ++n) {
        if (!applied[n]) continue;
        const auto it = recorded.find(graph.id(n));
        if (it == recorded.end()) {
            ++result.unverified;
            continue;
        }
        if (quick) {
            const std::string modified = modified_at(graph.script(n).file);
            if (!modified.empty() && modified < it->second.applied_at) {
                ++result.verified;
                continue;
            }
        }
        const Section* section = history.body(n).section(Direction::upgrade, dialect);
        const std::string now =
            section ? sql_checksum(section->sql) : std::string("(no upgrade section)");
        history.release_body(n);
        if (now == it->second.checksum) {
            ++result.verified;
            continue;
        }
        result.edited.push_back(
            {history.name(), graph.id(n), graph.script(n).file, it->second.checksum, now});
    }
    return result;
}

}  // namespace fastappkit
