#include "runner/verification.h"

#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "runner/plan.h"
#include "script/checksum.h"

namespace fastappkit {

namespace {

// A modification time as history rows write applied_at (2026-11-26T10:00:00.123Z), so that the
// two compare as strings.
std::string timestamp(int64_t ns_since_epoch) {
    const std::time_t seconds = static_cast<std::time_t>(ns_since_epoch / 1000000000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                       utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                       (ns_since_epoch / 1000000) % 1000);
}

// The file's modification time as timestamp() writes it; empty when the file cannot be read.
std::string modified_at(const std::string& file) {
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0) return {};
    return timestamp(static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec);
}

// The *.sql files of the history with their modification times: as the header index's check
// saw them when it vouches for the directory (no stat of ours), else listed and stat'ed;
// nullopt when the directory cannot be listed.
std::optional<std::vector<std::pair<std::string, std::string>>> files_modified(History& history) {
    std::vector<std::pair<std::string, std::string>> files;
    if (const auto* indexed = history.indexed_files()) {
        for (const auto& file : *indexed) files.emplace_back(file.name, timestamp(file.mtime_ns));
        return files;
    }
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(history.versions_dir(), error)) {
        const auto& path = entry.path();
        if (path.extension() == ".sql")
            files.emplace_back(path.filename().string(), modified_at(path.string()));
    }
    if (error) return std::nullopt;
    return files;
}

// `quick`'s shortcut, which reads no header: every *.sql file of the history is named after a
// revision whose last history row is an upgrade (<revision>_<slug>.sql, as the runner writes
// them) and was last modified before that upgrade ran. Anything else (a pending revision, a
// renamed file, an edit) is left to the full check.
bool untouched_since_applied(History& history, const std::vector<HistoryRow>& rows) {
    std::map<std::string, const HistoryRow*> last;  // revision -> its last row
    for (const auto& row : rows) last[row.revision] = &row;
    const auto files = files_modified(history);
    if (!files) return false;
    for (const auto& [name, modified] : *files) {
        const auto it = last.find(name.substr(0, name.find('_')));
        if (it == last.end() || it->second->direction != "upgrade") return false;
        if (modified.empty() || modified >= it->second->applied_at) return false;
    }
    return true;
}

}  // namespace

Verification verify_history(History& history, Database& db, bool quick) {
    Verification result;
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
