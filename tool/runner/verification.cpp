#include "runner/verification.h"

#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <utility>

#include "common/error.h"
#include "db/schema_sql.h"
#include "runner/plan.h"
#include "script/checksum.h"

namespace fastappkit {

namespace {

constexpr int64_t kUnknown = -1;

// Milliseconds since the epoch of an applied_at value (2026-11-26T10:00:00.123Z, the runner's
// clock in UTC); kUnknown when it is not of that form.
int64_t applied_at_ms(const std::string& text) {
    std::tm utc{};
    int millis = 0;
    char zone = 0;
    const int read =
        std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &utc.tm_year, &utc.tm_mon,
                    &utc.tm_mday, &utc.tm_hour, &utc.tm_min, &utc.tm_sec, &millis, &zone);
    if (read != 8 || zone != 'Z') return kUnknown;
    utc.tm_year -= 1900;
    utc.tm_mon -= 1;
    return static_cast<int64_t>(timegm(&utc)) * 1000 + millis;
}

// A file's modification time in milliseconds since the epoch; kUnknown when unreadable.
int64_t modified_ms(const std::string& file) {
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0) return kUnknown;
    return static_cast<int64_t>(info.st_mtim.tv_sec) * 1000 + info.st_mtim.tv_nsec / 1000000;
}

// The *.sql files of the history with their modification times (milliseconds since the epoch,
// kUnknown when unreadable): as the header index's check saw them when it vouches for the
// directory (no stat of ours), else listed and stat'ed; nullopt when the directory cannot be
// listed.
std::optional<std::vector<std::pair<std::string, int64_t>>> files_modified(History& history) {
    std::vector<std::pair<std::string, int64_t>> files;
    if (const auto* indexed = history.indexed_files()) {
        for (const auto& file : *indexed) files.emplace_back(file.name, file.mtime_ns / 1000000);
        return files;
    }
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(history.versions_dir(), error)) {
        const auto& path = entry.path();
        if (path.extension() != ".sql") continue;
        files.emplace_back(path.filename().string(), modified_ms(path.string()));
    }
    if (error) return std::nullopt;
    return files;
}

// Of each revision, when its last history row ran and whether it was an upgrade. `ambiguous`:
// two last rows at the same millisecond, of opposite directions.
struct LastRow {
    std::string applied_at;
    int64_t applied_ms = kUnknown;
    bool upgrade = false;
    bool ambiguous = false;
};
using LastRows = std::map<std::string, LastRow>;  // by revision

void record(LastRows& last, const std::string& revision, const std::string& direction,
            const std::string& applied_at) {
    LastRow& row = last[revision];
    const bool upgrade = direction == "upgrade" || direction == "checkpoint";
    if (applied_at == row.applied_at && upgrade != row.upgrade) row.ambiguous = true;
    if (applied_at >= row.applied_at)
        row = {applied_at, applied_at_ms(applied_at), upgrade, row.ambiguous};
}

// A database built through a checkpoint has no rows for the revisions it replaced: they count
// as applied when the checkpoint ran (the full check finds them unverified, not edited). Reads
// the header of each checkpoint file that ran, named after its revision as squash names it.
void record_checkpoints(History& history, const std::vector<LogEntry>& rows, LastRows& last) {
    for (const auto& row : rows) {
        if (row.direction != "checkpoint") continue;
        const auto file = history.versions_dir() / (row.revision + "_checkpoint.sql");
        std::error_code missing;
        if (!std::filesystem::is_regular_file(file, missing)) continue;
        MigrationScript header;
        try {
            header = read_migration_file(file, true);
        } catch (const Error&) {
            continue;  // the full check says what is wrong
        }
        for (const auto& replaced : header.replaces) {
            if (!last.count(replaced)) record(last, replaced, "upgrade", row.applied_at);
        }
    }
}

// The shortcut, which reads no header: every *.sql file of the history is named after a
// revision whose last history row is an upgrade (<revision>_<slug>.sql, as the runner writes
// them) and was last modified before that upgrade ran. Anything else (a pending revision, a
// renamed file, an edit) is left to the full check.
bool untouched_since_applied(History& history, const LastRows& last) {
    const auto files = files_modified(history);
    if (!files) return false;
    for (const auto& [name, modified] : *files) {
        const auto it = last.find(name.substr(0, name.find('_')));
        if (it == last.end() || !it->second.upgrade || it->second.ambiguous) return false;
        const int64_t applied = it->second.applied_ms;
        if (modified == kUnknown || applied == kUnknown || modified >= applied) return false;
    }
    return true;
}

}  // namespace

Verification verify_history(History& history, Database& db, bool quick) {
    Verification result;
    std::vector<LogEntry> rows = db.read_log(history.version_table());
    if (quick) {
        LastRows last;
        for (const auto& row : rows) record(last, row.revision, row.direction, row.applied_at);
        record_checkpoints(history, rows, last);
        if (untouched_since_applied(history, last)) return result;
    }
    const auto& graph = history.graph();
    const auto applied =
        graph.ancestors(heads_from_versions(graph, db.read_versions(history.version_table())));
    std::map<std::string, LogEntry> recorded;  // revision -> its last upgrade
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
            const int64_t modified = modified_ms(graph.script(n).file);
            const int64_t ran = applied_at_ms(it->second.applied_at);
            if (modified != kUnknown && ran != kUnknown && modified < ran) {
                ++result.verified;  // untouched since it ran
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

std::vector<EditedMigration> find_edited_migrations(const std::vector<History*>& histories,
                                                    Database& db) {
    // One read of every history's rows instead of one per history.
    std::map<std::string, LastRows> last;  // by version table
    bool read_all = false;
    try {
        for (const auto& row : db.query(select_history_times_sql())) {
            if (row.size() != 4 || !row[0] || !row[1] || !row[2] || !row[3]) continue;
            record(last[*row[0]], *row[1], *row[2], *row[3]);
        }
        read_all = true;
    } catch (const Error&) {
        // No fastappkit_history yet: each history is checked on its own below.
    }
    std::vector<EditedMigration> edited;
    for (History* history : histories) {
        if (read_all && untouched_since_applied(*history, last[history->version_table()])) continue;
        try {
            for (auto& e : verify_history(*history, db, true).edited)
                edited.push_back(std::move(e));
        } catch (const Error&) {
            // A state the run refuses with its own sentence (a revision no file defines).
        }
    }
    return edited;
}

}  // namespace fastappkit
