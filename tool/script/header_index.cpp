// The header index file: a magic line, the versions directory it describes, then one record per
// file (name, stat key, parsed header), the history's summary (a flag, then the head, the heads
// and the revision ids; the flag is 0 when a file was too recent to index or the headers do not
// form a valid graph), and a checksum of everything before it. Any doubt (short read, bad
// checksum, another directory, a key that differs) falls back to the files.
#include "script/header_index.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "common/error.h"
#include "script/revision_graph.h"

namespace fastappkit {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kMagic = "fastappkit header index 5\n";

struct FileKey {
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    int64_t ctime_ns = 0;
    uint64_t inode = 0;
    uint64_t device = 0;

    bool operator==(const FileKey& other) const {
        return size == other.size && mtime_ns == other.mtime_ns && ctime_ns == other.ctime_ns &&
               inode == other.inode && device == other.device;
    }
};

struct Listed {
    std::string name;
    FileKey key;
};

// A record of the index: its header is parsed only when it is used (a summary uses none), into
// the vector the caller returns, so that no array of 2,000 headers is built only to be moved.
struct Entry {
    std::string_view name;  // into Index::bytes
    FileKey key;
    size_t header = 0;  // where the header starts in Index::records
};

struct Index {
    std::string bytes;
    std::string_view records;    // the bytes after the magic line, checksum excluded
    std::vector<Entry> entries;  // sorted by name
    std::optional<HistorySummary> summary;
};

}  // namespace

struct IndexRead {
    std::string versions_dir;
    std::string index_file;
    std::vector<Listed> files;
    std::string bytes;  // the index file's, checksum good
};

void IndexReadDeleter::operator()(IndexRead* read) const { delete read; }

// Eight bytes at a time (an index of 10,000 entries is some 2 MB): multiply, rotate, mix.
uint64_t header_index_checksum(std::string_view bytes) {
    uint64_t hash = 14695981039346656037ull ^ bytes.size();
    size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) {
        uint64_t word;
        std::memcpy(&word, bytes.data() + i, 8);
        hash = (hash ^ (word * 0x9E3779B97F4A7C15ull)) * 1099511628211ull;
        hash ^= hash >> 29;
    }
    for (; i < bytes.size(); ++i)
        hash = (hash ^ static_cast<unsigned char>(bytes[i])) * 1099511628211ull;
    return hash ^ (hash >> 32);
}

namespace {

int64_t nanoseconds(const struct timespec& time) {
    return static_cast<int64_t>(time.tv_sec) * 1'000'000'000 + time.tv_nsec;
}

// The *.sql regular files of `dir` (symbolic links followed), sorted by name; nothing for a
// missing directory (read_script_headers refuses that first). A directory that cannot be read,
// and a *.sql entry that is a broken or looping symbolic link, are usage errors: never an empty
// or shorter history.
std::vector<Listed> list_versions(const fs::path& dir) {
    // Named like a migration but not one (a directory x.sql): a sentence, not a skipped file.
    const auto not_a_migration_file = [](const std::string& path) {
        return usage_error(fmt::format(
            "{}: named like a migration file but not a regular file; rename or move it", path));
    };
    std::vector<Listed> files;
    std::unique_ptr<DIR, int (*)(DIR*)> handle(opendir(dir.c_str()), &closedir);
    if (!handle && errno == ENOENT) return files;
    if (!handle) {
        throw usage_error(fmt::format("{}: cannot read the versions directory: {}", dir.string(),
                                      std::strerror(errno)));
    }
    const int dir_fd = dirfd(handle.get());
    while (const struct dirent* entry = readdir(handle.get())) {
        const std::string_view name = entry->d_name;
        if (name.size() <= 4 || name.substr(name.size() - 4) != ".sql") continue;
        struct stat info {};
        if (fstatat(dir_fd, entry->d_name, &info, 0) != 0) {
            const std::string path = (dir / entry->d_name).string();
            if (errno == ENOENT) {
                throw usage_error(fmt::format(
                    "{}: the migration file is a symbolic link to a missing file", path));
            }
            throw usage_error(
                fmt::format("{}: cannot read the migration file: {}", path, std::strerror(errno)));
        }
        if (!S_ISREG(info.st_mode)) throw not_a_migration_file((dir / entry->d_name).string());
        files.push_back({std::string(name),
                         {static_cast<uint64_t>(info.st_size), nanoseconds(info.st_mtim),
                          nanoseconds(info.st_ctim), static_cast<uint64_t>(info.st_ino),
                          static_cast<uint64_t>(info.st_dev)}});
    }
    std::sort(files.begin(), files.end(),
              [](const Listed& a, const Listed& b) { return a.name < b.name; });
    return files;
}

class Writer {
public:
    void u64(uint64_t value) { bytes_.append(reinterpret_cast<const char*>(&value), sizeof value); }
    void text(std::string_view value) {
        u64(value.size());
        bytes_.append(value);
    }
    void list(const std::vector<std::string>& values) {
        u64(values.size());
        for (const auto& value : values) text(value);
    }
    std::string& bytes() { return bytes_; }

private:
    std::string bytes_;
};

// Reads what Writer wrote; every read checks the bounds and sets `ok` to false past the end.
class Reader {
public:
    explicit Reader(std::string_view bytes, size_t position = 0)
        : bytes_(bytes), position_(std::min(position, bytes.size())) {}

    bool ok() const { return ok_; }
    bool at_end() const { return position_ == bytes_.size(); }
    size_t position() const { return position_; }

    uint64_t u64() {
        uint64_t value = 0;
        if (!take(sizeof value)) return 0;
        std::memcpy(&value, bytes_.data() + position_ - sizeof value, sizeof value);
        return value;
    }
    std::string_view view() {
        const uint64_t size = u64();
        if (!ok_ || size > bytes_.size() - position_ || !take(size)) return {};
        return bytes_.substr(position_ - size, size);
    }
    std::string text() { return std::string(view()); }
    void skip_list() {
        const uint64_t count = u64();
        if (!ok_ || count > (bytes_.size() - position_) / 8) {
            ok_ = false;
            return;
        }
        for (uint64_t i = 0; i < count && ok_; ++i) view();
    }
    std::vector<std::string> list() {
        const uint64_t count = u64();
        std::vector<std::string> values;
        // Each item takes at least its 8-byte length: a huge count is corruption.
        if (!ok_ || count > (bytes_.size() - position_) / 8) {
            ok_ = false;
            return values;
        }
        values.reserve(count);
        for (uint64_t i = 0; i < count && ok_; ++i) values.push_back(text());
        return values;
    }

private:
    bool take(uint64_t size) {
        if (!ok_ || size > bytes_.size() - position_) return ok_ = false;
        position_ += size;
        return true;
    }

    std::string_view bytes_;
    size_t position_ = 0;
    bool ok_ = true;
};

std::string read_whole_file(const fs::path& file) {
    std::string bytes;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file.c_str(), "rb"),
                                                       &std::fclose);
    struct stat info {};
    if (!in || fstat(fileno(in.get()), &info) != 0) return bytes;
    bytes.resize(static_cast<size_t>(info.st_size));
    if (std::fread(bytes.data(), 1, bytes.size(), in.get()) != bytes.size()) bytes.clear();
    return bytes;
}

// A header's optional duration: milliseconds, or all bits set for none.
constexpr uint64_t kNoDuration = ~uint64_t{0};

std::optional<std::chrono::milliseconds> read_duration(Reader& in) {
    const uint64_t value = in.u64();
    if (value == kNoDuration) return std::nullopt;
    return std::chrono::milliseconds(static_cast<int64_t>(value));
}

void write_duration(Writer& out, const std::optional<std::chrono::milliseconds>& value) {
    out.u64(value ? static_cast<uint64_t>(value->count()) : kNoDuration);
}

FileKey read_key(Reader& in) {
    FileKey key;
    key.size = in.u64();
    key.mtime_ns = static_cast<int64_t>(in.u64());
    key.ctime_ns = static_cast<int64_t>(in.u64());
    key.inode = in.u64();
    key.device = in.u64();
    return key;
}

void read_header(Reader& in, MigrationScript& header) {
    header.revision = in.text();
    header.down_revisions = in.list();
    header.branch_labels = in.list();
    header.depends_on = in.list();
    header.message = in.text();
    header.create_date = in.text();
    header.timeouts.lock_timeout = read_duration(in);
    header.timeouts.statement_timeout = read_duration(in);
    header.checkpoint = in.text();
    header.replaces = in.list();
}

void skip_header(Reader& in) {
    in.view();
    in.skip_list();
    in.skip_list();
    in.skip_list();
    in.view();
    in.view();
    in.u64();
    in.u64();
    in.view();
    in.skip_list();
}

std::optional<HistorySummary> read_summary(Reader& in) {
    if (in.u64() != 1) return std::nullopt;
    HistorySummary summary;
    summary.head = in.text();
    summary.heads = in.list();
    summary.revisions = in.text();
    return summary;
}

// Fills `index` (empty before) with the entries of the index file whose contents are `bytes`,
// sorted by name, and its summary; leaves it without entries when the file is missing, corrupt
// or written for another directory. The headers are checked for their bounds and skipped:
// header_of() reads one. `checked`: the checksum was found good before.
void load_index(std::string bytes_read, const std::string& versions_dir, Index& index,
                bool checked = false) {
    index.bytes = std::move(bytes_read);
    const std::string& bytes = index.bytes;
    if (bytes.size() < kMagic.size() + sizeof(uint64_t) ||
        std::string_view(bytes).substr(0, kMagic.size()) != kMagic) {
        return index.entries.clear();
    }
    const std::string_view payload(bytes.data(), bytes.size() - sizeof(uint64_t));
    uint64_t checksum = 0;
    std::memcpy(&checksum, bytes.data() + payload.size(), sizeof checksum);
    if (!checked && checksum != header_index_checksum(payload)) return index.entries.clear();

    index.records = payload.substr(kMagic.size());
    Reader in(index.records);
    if (in.view() != versions_dir) return index.entries.clear();
    const uint64_t count = in.u64();
    if (!in.ok() || count > payload.size() / 64) return index.entries.clear();
    std::vector<Entry>& entries = index.entries;
    entries.resize(count);
    for (uint64_t i = 0; i < count && in.ok(); ++i) {
        Entry& entry = entries[i];
        entry.name = in.view();
        entry.key = read_key(in);
        entry.header = in.position();
        skip_header(in);
        if (i > 0 && entries[i - 1].name >= entry.name)
            return index.entries.clear();  // not sorted: corrupt
    }
    index.summary = read_summary(in);
    if (!in.ok() || !in.at_end()) {
        index.entries.clear();
        index.summary.reset();
    }
}

// The header of `entry`, whose bounds load_index() checked.
bool header_of(const Index& index, const Entry& entry, MigrationScript& header) {
    Reader in(index.records, entry.header);
    read_header(in, header);
    return in.ok();
}

// Writes the index through a temporary file and a rename, so that a concurrent reader sees the
// old index or the new one; any failure leaves things as they were. `scripts[i]` is the header
// of `files[i]`; only the files marked in `indexable` are written.
void store_index(const fs::path& file, const std::string& versions_dir,
                 const std::vector<Listed>& files, const std::vector<MigrationScript>& scripts,
                 const std::vector<char>& indexable, const HistorySummary* summary) {
    Writer out;
    out.bytes() = std::string(kMagic);
    out.text(versions_dir);
    out.u64(static_cast<uint64_t>(std::count(indexable.begin(), indexable.end(), 1)));
    for (size_t i = 0; i < files.size(); ++i) {
        if (!indexable[i]) continue;
        out.text(files[i].name);
        out.u64(files[i].key.size);
        out.u64(static_cast<uint64_t>(files[i].key.mtime_ns));
        out.u64(static_cast<uint64_t>(files[i].key.ctime_ns));
        out.u64(files[i].key.inode);
        out.u64(files[i].key.device);
        const MigrationScript& header = scripts[i];
        out.text(header.revision);
        out.list(header.down_revisions);
        out.list(header.branch_labels);
        out.list(header.depends_on);
        out.text(header.message);
        out.text(header.create_date);
        write_duration(out, header.timeouts.lock_timeout);
        write_duration(out, header.timeouts.statement_timeout);
        out.text(header.checkpoint);
        out.list(header.replaces);
    }
    out.u64(summary ? 1 : 0);
    if (summary) {
        out.text(summary->head);
        out.list(summary->heads);
        out.text(summary->revisions);
    }
    out.u64(header_index_checksum(out.bytes()));

    std::error_code error;
    fs::create_directories(file.parent_path(), error);
    if (error) return;
    const fs::path temporary = file.string() + fmt::format(".{}.tmp", getpid());
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> handle(std::fopen(temporary.c_str(), "wb"),
                                                           &std::fclose);
    if (!handle) return;
    const std::string& bytes = out.bytes();
    const bool written = std::fwrite(bytes.data(), 1, bytes.size(), handle.get()) == bytes.size() &&
                         std::fclose(handle.release()) == 0;
    if (!written || std::rename(temporary.c_str(), file.c_str()) != 0) {
        std::remove(temporary.c_str());
    }
}

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

std::optional<fs::path> header_index_dir() {
    if (const char* dir = std::getenv("FASTAPPKIT_CACHE_DIR")) {
        if (*dir == '\0' || std::string_view(dir) == "off") return std::nullopt;
        return fs::path(dir);
    }
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/') {
        return fs::path(xdg) / "fastappkit";
    }
    if (const char* home = std::getenv("HOME"); home && *home == '/') {
        return fs::path(home) / ".cache" / "fastappkit";
    }
    return std::nullopt;
}

fs::path header_index_file(const fs::path& versions_dir, const fs::path& index_dir) {
    std::error_code error;
    fs::path absolute = fs::absolute(versions_dir, error).lexically_normal();
    if (error) absolute = versions_dir;
    return index_dir / "headers" /
           fmt::format("{:016x}.idx", header_index_checksum(absolute.string()));
}

// A file changed close to the moment it was looked at may change again within the same
// timestamp tick without its key changing: it is parsed every time until it is older.
std::vector<MigrationScript> read_indexed_headers(const fs::path& versions_dir,
                                                  const fs::path& index_dir,
                                                  std::chrono::nanoseconds racy_window,
                                                  IndexReadPtr seen) {
    const fs::path index_file = header_index_file(versions_dir, index_dir);
    const std::string dir_text = versions_dir.string();
    if (seen && (seen->versions_dir != dir_text || seen->index_file != index_file.string()))
        seen.reset();
    const std::vector<Listed> files = seen ? std::move(seen->files) : list_versions(versions_dir);
    std::vector<MigrationScript> scripts;
    if (files.empty()) return scripts;
    Index index;
    if (seen) {
        load_index(std::move(seen->bytes), dir_text, index, true);
    } else {
        load_index(read_whole_file(index_file), dir_text, index);
    }
    std::vector<Entry>& indexed = index.entries;
    // What `versions_dir / name` gives, without building a path per file.
    std::string prefix = (versions_dir / "x").string();
    prefix.pop_back();

    // Both lists are sorted by name: walk them together.
    std::vector<char> indexable(files.size(), 1);
    bool changed = false;
    const int64_t racy_after = now_ns() - racy_window.count();
    auto cached = indexed.begin();
    scripts.reserve(files.size());
    for (size_t i = 0; i < files.size(); ++i) {
        const Listed& file = files[i];
        while (cached != indexed.end() && cached->name < file.name) {
            ++cached;
            changed = true;  // a file that is gone
        }
        const bool known = cached != indexed.end() && cached->name == file.name;
        if (known && cached->key == file.key) {
            MigrationScript& script = scripts.emplace_back();
            if (header_of(index, *cached, script)) {
                script.file = prefix + file.name;
                ++cached;
                continue;
            }
            scripts.pop_back();  // cannot happen after load_index's checks: parse the file
        }
        if (known) ++cached;
        changed = true;
        scripts.push_back(read_migration_file(prefix + file.name, true));
        indexable[i] = std::max(file.key.mtime_ns, file.key.ctime_ns) < racy_after;
    }
    if (cached != indexed.end()) changed = true;
    if (changed) {
        // Summarised only when every file is indexed and the headers form a valid graph (the
        // graph's errors are the caller's to report, from the files).
        std::optional<HistorySummary> summary;
        if (std::count(indexable.begin(), indexable.end(), 0) == 0) {
            try {
                summary = summarize(RevisionGraph("", scripts));
            } catch (const Error&) {
            }
        }
        store_index(index_file, dir_text, files, scripts, indexable, summary ? &*summary : nullptr);
    }
    return scripts;
}

std::optional<HistorySummary> read_indexed_summary(const fs::path& versions_dir,
                                                   const fs::path& index_dir,
                                                   std::vector<ListedFile>* listed,
                                                   IndexReadPtr* read) {
    if (read) read->reset();
    std::vector<Listed> files;
    try {
        files = list_versions(versions_dir);
    } catch (const Error&) {
        return std::nullopt;  // reading the headers words it
    }
    if (files.empty()) return std::nullopt;
    Index index;
    const fs::path index_file = header_index_file(versions_dir, index_dir);
    load_index(read_whole_file(index_file), versions_dir.string(), index);
    if (!index.summary || index.entries.size() != files.size()) return std::nullopt;
    for (size_t i = 0; i < files.size(); ++i) {
        if (index.entries[i].name != files[i].name || !(index.entries[i].key == files[i].key))
            return std::nullopt;
    }
    if (listed) {
        listed->clear();
        for (const Listed& file : files) listed->push_back({file.name, file.key.mtime_ns});
    }
    std::optional<HistorySummary> summary = std::move(index.summary);
    if (read) {
        index.entries.clear();  // views into the bytes, which move now
        read->reset(new IndexRead{versions_dir.string(), index_file.string(), std::move(files),
                                  std::move(index.bytes)});
    }
    return summary;
}

}  // namespace fastappkit
