#include "script/header_index.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/error.h"
#include "test_support/test_support.h"

namespace fastappkit {
namespace {

namespace fs = std::filesystem;
using std::chrono::nanoseconds;

std::string migration(const std::string& revision, const std::string& down,
                      const std::string& message) {
    return fmt::format(
        "-- revision: {}\n-- down_revision: {}\n-- message: {}\n\n-- migrate:upgrade\nSELECT 1;\n",
        revision, down, message);
}

std::string read_bytes(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void write_bytes(const fs::path& file, const std::string& bytes) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

class HeaderIndexTest : public ::testing::Test {
protected:
    void SetUp() override {
        fs::create_directories(versions_);
        write("0001_a.sql", migration("aaa", "none", "first"));
        write("0002_b.sql", migration("bbb", "aaa", "second"));
    }

    void write(const std::string& name, const std::string& text) {
        write_bytes(versions_ / name, text);
    }

    // Indexes every file however recent (the tests write files and read them at once).
    std::vector<MigrationScript> read() {
        return read_indexed_headers(versions_, cache_, nanoseconds(0));
    }
    fs::path index_file() const { return header_index_file(versions_, cache_); }

    // Rewrites `from` into `to` (same length) inside the index and fixes its checksum: what the
    // next read returns shows whether the index was used.
    void patch_index(const std::string& from, const std::string& to) {
        ASSERT_EQ(from.size(), to.size());
        std::string bytes = read_bytes(index_file());
        const auto at = bytes.find(from);
        ASSERT_NE(std::string::npos, at) << "the index does not hold " << from;
        bytes.replace(at, from.size(), to);
        const uint64_t checksum =
            header_index_checksum(std::string_view(bytes).substr(0, bytes.size() - 8));
        std::memcpy(bytes.data() + bytes.size() - 8, &checksum, 8);
        write_bytes(index_file(), bytes);
    }

    test_support::ScopedTempDir scratch_;
    const fs::path root_ = scratch_.path();
    const fs::path versions_ = root_ / "versions";
    const fs::path cache_ = root_ / "cache";
};

TEST_F(HeaderIndexTest, ReturnsTheHeadersAndUsesTheIndexWhileFilesAreUnchanged) {
    auto first = read();
    ASSERT_EQ(2u, first.size());
    EXPECT_EQ("aaa", first[0].revision);
    EXPECT_EQ("first", first[0].message);
    EXPECT_EQ((versions_ / "0001_a.sql").string(), first[0].file);
    EXPECT_EQ(std::vector<std::string>{"aaa"}, first[1].down_revisions);
    ASSERT_TRUE(fs::exists(index_file()));

    patch_index("second", "SECOND");
    auto second = read();
    ASSERT_EQ(2u, second.size());
    EXPECT_EQ("SECOND", second[1].message);  // from the index
    EXPECT_EQ((versions_ / "0002_b.sql").string(), second[1].file);
    EXPECT_EQ(std::vector<std::string>{"aaa"}, second[1].down_revisions);
    EXPECT_FALSE(second[1].body_loaded);
}

TEST_F(HeaderIndexTest, KeepsTimeoutHeaders) {
    write("0003_c.sql",
          "-- revision: ccc\n-- down_revision: bbb\n-- lock_timeout: 2s\n"
          "-- statement_timeout: 1min\n\n-- migrate:upgrade\nSELECT 1;\n");
    read();
    patch_index("second", "SECOND");
    const auto indexed = read();
    ASSERT_EQ(3u, indexed.size());
    EXPECT_EQ("SECOND", indexed[1].message);  // from the index
    EXPECT_EQ(std::chrono::milliseconds(2000), indexed[2].timeouts.lock_timeout);
    EXPECT_EQ(std::chrono::milliseconds(60000), indexed[2].timeouts.statement_timeout);
    EXPECT_FALSE(indexed[1].timeouts.any());
}

TEST_F(HeaderIndexTest, AFileChangedUnderTheSameSizeAndModificationTimeIsReadAgain) {
    read();
    patch_index("second", "SECOND");
    const auto modified = fs::last_write_time(versions_ / "0002_b.sql");
    write("0002_b.sql", migration("bbb", "aaa", "sEcOnD"));  // same size
    fs::last_write_time(versions_ / "0002_b.sql", modified);
    auto scripts = read();
    ASSERT_EQ(2u, scripts.size());
    EXPECT_EQ("sEcOnD", scripts[1].message);
}

TEST_F(HeaderIndexTest, AddedAndRemovedFilesAreSeen) {
    read();
    write("0003_c.sql", migration("ccc", "bbb", "third"));
    auto added = read();
    ASSERT_EQ(3u, added.size());
    EXPECT_EQ("ccc", added[2].revision);

    fs::remove(versions_ / "0001_a.sql");
    auto removed = read();
    ASSERT_EQ(2u, removed.size());
    EXPECT_EQ("bbb", removed[0].revision);
    EXPECT_EQ("ccc", removed[1].revision);

    // The rewritten index holds exactly the remaining files.
    patch_index("third", "THIRD");
    auto again = read();
    ASSERT_EQ(2u, again.size());
    EXPECT_EQ("THIRD", again[1].message);
}

TEST_F(HeaderIndexTest, ACorruptIndexIsIgnoredAndRebuilt) {
    read();
    std::string bytes = read_bytes(index_file());
    const auto at = bytes.find("second");
    ASSERT_NE(std::string::npos, at);
    bytes[at] = 'S';  // checksum no longer matches
    write_bytes(index_file(), bytes);
    auto scripts = read();
    ASSERT_EQ(2u, scripts.size());
    EXPECT_EQ("second", scripts[1].message);

    write_bytes(index_file(), bytes.substr(0, bytes.size() / 2));  // truncated
    EXPECT_EQ("second", read()[1].message);
    write_bytes(index_file(), "garbage");
    EXPECT_EQ("second", read()[1].message);

    // Rebuilt: a valid index again.
    patch_index("second", "SECOND");
    EXPECT_EQ("SECOND", read()[1].message);
}

TEST_F(HeaderIndexTest, AnIndexOfAnotherDirectoryIsIgnored) {
    read();
    patch_index("second", "SECOND");
    const fs::path other = root_ / "other" / "versions";
    fs::create_directories(other);
    fs::copy(versions_ / "0001_a.sql", other / "0001_a.sql");
    fs::copy(versions_ / "0002_b.sql", other / "0002_b.sql");
    fs::copy_file(index_file(), header_index_file(other, cache_));
    auto scripts = read_indexed_headers(other, cache_, nanoseconds(0));
    ASSERT_EQ(2u, scripts.size());
    EXPECT_EQ("second", scripts[1].message);
}

TEST_F(HeaderIndexTest, RecentlyChangedFilesAreNotIndexed) {
    read_indexed_headers(versions_, cache_, std::chrono::hours(1));
    EXPECT_EQ(std::string::npos, read_bytes(index_file()).find("0001_a.sql"));
}

TEST_F(HeaderIndexTest, AnUnwritableCacheIsSkipped) {
    write_bytes(root_ / "file", "x");
    auto scripts = read_indexed_headers(versions_, root_ / "file" / "cache", nanoseconds(0));
    ASSERT_EQ(2u, scripts.size());
    EXPECT_EQ("second", scripts[1].message);
}

TEST_F(HeaderIndexTest, ABadFileStillFailsAfterItWasIndexed) {
    read();
    write("0002_b.sql", "-- revision: bbb\nSELECT 1;\n");
    const std::string message = test_support::message_of(ExitCode::usage, [&] { read(); });
    EXPECT_NE(std::string::npos, message.find("0002_b.sql:2: SQL before the first")) << message;
}

TEST_F(HeaderIndexTest, HoldsTheSummaryOfAValidHistory) {
    EXPECT_FALSE(read_indexed_summary(versions_, cache_));  // no index yet
    read();
    const auto summary = read_indexed_summary(versions_, cache_);
    ASSERT_TRUE(summary);
    EXPECT_EQ("bbb", summary->head);
    EXPECT_EQ(std::vector<std::string>{"bbb"}, summary->heads);
    EXPECT_TRUE(summary->contains("aaa"));
    EXPECT_TRUE(summary->contains("bbb"));
    EXPECT_FALSE(summary->contains("aa"));
    EXPECT_FALSE(summary->contains("ccc"));
}

TEST_F(HeaderIndexTest, TheSummaryListsTheFilesItVouchesFor) {
    read();
    std::vector<ListedFile> listed{{"stale.sql", 1}};
    ASSERT_TRUE(read_indexed_summary(versions_, cache_, &listed));
    ASSERT_EQ(2u, listed.size());
    EXPECT_EQ("0001_a.sql", listed[0].name);
    EXPECT_EQ("0002_b.sql", listed[1].name);
    struct stat info {};
    ASSERT_EQ(0, ::stat((versions_ / "0002_b.sql").c_str(), &info));
    EXPECT_EQ(static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec,
              listed[1].mtime_ns);
}

// Headers read from what a summary listed and read are those a new read gives; they are the
// files as the summary saw them (a file added since is not listed).
TEST_F(HeaderIndexTest, HeadersFromWhatASummaryRead) {
    const auto fresh = read();
    IndexReadPtr seen;
    ASSERT_TRUE(read_indexed_summary(versions_, cache_, nullptr, &seen));
    ASSERT_TRUE(seen);
    const auto from_summary =
        read_indexed_headers(versions_, cache_, nanoseconds(0), std::move(seen));
    ASSERT_EQ(fresh.size(), from_summary.size());
    for (size_t i = 0; i < fresh.size(); ++i) {
        EXPECT_EQ(fresh[i].revision, from_summary[i].revision);
        EXPECT_EQ(fresh[i].message, from_summary[i].message);
        EXPECT_EQ(fresh[i].file, from_summary[i].file);
    }
    ASSERT_TRUE(read_indexed_summary(versions_, cache_, nullptr, &seen));
    write("0003_c.sql", migration("ccc", "bbb", "third"));
    EXPECT_EQ(2u, read_indexed_headers(versions_, cache_, nanoseconds(0), std::move(seen)).size());
    EXPECT_EQ(3u, read().size());
    // What a summary of another directory read is not used.
    ASSERT_TRUE(read_indexed_summary(versions_, cache_, nullptr, &seen));
    EXPECT_TRUE(
        read_indexed_headers(versions_ / "elsewhere", cache_, nanoseconds(0), std::move(seen))
            .empty());
}

TEST_F(HeaderIndexTest, TheSummaryOfTwoBranchesHasNoSingleHead) {
    write("0003_c.sql", migration("ccc", "aaa", "branch"));
    read();
    const auto summary = read_indexed_summary(versions_, cache_);
    ASSERT_TRUE(summary);
    EXPECT_EQ("", summary->head);
    EXPECT_EQ((std::vector<std::string>{"bbb", "ccc"}), summary->heads);
}

TEST_F(HeaderIndexTest, NoSummaryOnceAFileChangesOrIsAddedOrRemoved) {
    read();
    write("0002_b.sql", migration("bbb", "aaa", "second, longer"));
    EXPECT_FALSE(read_indexed_summary(versions_, cache_));
    read();
    ASSERT_TRUE(read_indexed_summary(versions_, cache_));
    write("0003_c.sql", migration("ccc", "bbb", "third"));
    EXPECT_FALSE(read_indexed_summary(versions_, cache_));
    read();
    ASSERT_TRUE(read_indexed_summary(versions_, cache_));
    EXPECT_EQ("ccc", read_indexed_summary(versions_, cache_)->head);
    fs::remove(versions_ / "0003_c.sql");
    EXPECT_FALSE(read_indexed_summary(versions_, cache_));
}

TEST_F(HeaderIndexTest, NoSummaryForAnInvalidGraphOrARecentFile) {
    write("0003_c.sql", migration("ccc", "zzz", "dangling"));
    read();
    EXPECT_FALSE(read_indexed_summary(versions_, cache_));
    fs::remove(versions_ / "0003_c.sql");
    const fs::path fresh = root_ / "fresh-cache";
    read_indexed_headers(versions_, fresh, std::chrono::hours(1));  // nothing indexable
    EXPECT_FALSE(read_indexed_summary(versions_, fresh));
    read_indexed_headers(versions_, fresh, nanoseconds(0));
    EXPECT_TRUE(read_indexed_summary(versions_, fresh));
}

TEST_F(HeaderIndexTest, AMissingDirectoryIsAnEmptyHistory) {
    EXPECT_TRUE(read_indexed_headers(root_ / "missing", cache_, nanoseconds(0)).empty());
}

}  // namespace
}  // namespace fastappkit
