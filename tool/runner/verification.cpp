#include "runner/verification.h"

#include <sys/stat.h>

#include <ctime>
#include <filesystem>
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

// `quick`'s shortcut, which reads no header: every *.sql file of the history is named after a
// revision whose last history row is an upgrade (<revision>_<slug>.sql, as the runner writes
// them) and was last modified before that upgrade ran. Anything else (a pending revision, a
// renamed file, an edit) is left to the full check.
bool untouched_since_applied(const History& history, const std::vector<HistoryRow>& rows) {
    std::map<std::string, const HistoryRow*> last;  // revision -> its last row
    for (const auto& row : rows) last[row.revision] = &row;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(history.versions_dir(), error)) {
        const auto& path = entry.path();
        if (path.extension() != ".sql") continue;
        const std::string name = path.filename().string();
        const auto it = last.find(name.substr(0, name.find('_')));
        if (it == last.end() || it->second->direction != "upgrade") return false;
        const std::string modified = modified_at(path.string());
        if (modified.empty() || modified >= it->second->applied_at) return false;
    }
    return !error;
}

}  // namespace

Verification verify_history(History& history, Database& db, bool quick) {
    Verification result;
    if (!db.has_table(history.version_table())) return result;
    std::vector<HistoryRow> rows = db.read_history(history.version_table());
    if (quick && untouched_since_applied(history, rows)) return result;
    const auto& graph = history.graph();
    const auto applied =
        graph.ancestors(heads_from_versions(graph, db.read_versions(history.version_table())));
    std::map<std::string, HistoryRow> recorded;  // revision -> its last upgrade
    for (auto& row : rows) {
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
            if (!modified.empty() && modified < it->second.applied_at) {  // untouched since
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
