// An index of parsed revision headers, kept in a cache directory so that a no-op run does not
// read and parse every migration file again. Each entry is keyed by the file's name, size,
// modification and change times and inode; a file whose key differs, an added or removed
// file, or an index that is unreadable, corrupt or written for another directory means that
// file (or every file) is parsed again. The files always win: the index only saves parsing.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "script/migration_file.h"
#include "script/revision_graph.h"

namespace fastappkit {

// Where header indexes live: $FASTAPPKIT_CACHE_DIR (empty or "off": none), else
// $XDG_CACHE_HOME/fastappkit, else $HOME/.cache/fastappkit; nothing when none is set.
std::optional<std::filesystem::path> header_index_dir();

// Headers of every *.sql file in `versions_dir`, sorted by file name (a missing directory is an
// empty history), taken from the index in `index_dir` for files whose key matches and parsed
// for the others; the index is rewritten when anything was parsed. An index that cannot be
// written is skipped silently. A file changed less than `racy_window` ago is parsed but not
// indexed: it could change again within one timestamp tick.
// What read_indexed_summary() read when the index vouched for every file: the listing and the
// index's bytes. Given to read_indexed_headers(), they stand in for listing the files and
// reading the index again: a run with work asks for the summary and then, moments later, for
// the headers (at 2,000 files the two listings were a third of the start of a fresh database
// through a checkpoint). Whatever changes in between is a race with the run either way.
struct IndexRead;
struct IndexReadDeleter {
    void operator()(IndexRead* read) const;
};
using IndexReadPtr = std::unique_ptr<IndexRead, IndexReadDeleter>;

std::vector<MigrationScript> read_indexed_headers(
    const std::filesystem::path& versions_dir, const std::filesystem::path& index_dir,
    std::chrono::nanoseconds racy_window = std::chrono::seconds(2), IndexReadPtr seen = nullptr);

// A *.sql file of a versions directory and its modification time, as a check of the index saw it.
struct ListedFile {
    std::string name;
    int64_t mtime_ns = 0;  // since the epoch
};

// The summary the index holds for `versions_dir` (see HistorySummary), when it lists exactly the
// *.sql files there with matching keys; nullopt on any doubt, or for an empty directory. Reads
// no migration file and parses no header. With `listed`, a summary comes with the files it
// vouches for (from the same stat calls); with `read`, with what it read.
std::optional<HistorySummary> read_indexed_summary(const std::filesystem::path& versions_dir,
                                                   const std::filesystem::path& index_dir,
                                                   std::vector<ListedFile>* listed = nullptr,
                                                   IndexReadPtr* read = nullptr);

// The checksum that ends an index file, over everything before it (for tests).
uint64_t header_index_checksum(std::string_view bytes);

// The index file `read_indexed_headers` uses for `versions_dir` (for tests).
std::filesystem::path header_index_file(const std::filesystem::path& versions_dir,
                                        const std::filesystem::path& index_dir);

}  // namespace fastappkit
