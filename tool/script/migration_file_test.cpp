#include "script/migration_file.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "test_support/test_support.h"

namespace fastappkit {
namespace {

const std::filesystem::path kFile = "versions/1975ea83b712_create_account.sql";

const char* const kExample =
    "-- revision: 1975ea83b712\n"
    "-- down_revision: none\n"
    "-- branch_labels:\n"
    "-- depends_on:\n"
    "-- message: create account table\n"
    "-- create_date: 2026-11-26T10:00:00Z\n"
    "\n"
    "-- migrate:upgrade\n"
    "CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
    "\n"
    "-- migrate:downgrade\n"
    "DROP TABLE account;\n";

MigrationScript parse(const std::string& text, bool header_only = false) {
    return parse_migration_text(text, kFile, header_only);
}

// The message of the usage_error that parsing `text` throws.
std::string parse_error(const std::string& text, bool header_only = false) {
    return test_support::message_of(ExitCode::usage, [&] { parse(text, header_only); });
}

std::string with_header(const std::string& body) {
    return "-- revision: abc123\n-- down_revision: none\n" + body;
}

TEST(MigrationFileTest, ParsesTheDesignExample) {
    const MigrationScript script = parse(kExample);
    EXPECT_EQ(kFile, script.file);
    EXPECT_EQ("1975ea83b712", script.revision);
    EXPECT_TRUE(script.down_revisions.empty());
    EXPECT_TRUE(script.branch_labels.empty());
    EXPECT_TRUE(script.depends_on.empty());
    EXPECT_EQ("create account table", script.message);
    EXPECT_EQ("2026-11-26T10:00:00Z", script.create_date);
    EXPECT_TRUE(script.body_loaded);
    ASSERT_EQ(2u, script.sections.size());

    const Section& up = script.sections[0];
    EXPECT_EQ(Direction::upgrade, up.direction);
    EXPECT_EQ("", up.dialect);
    EXPECT_TRUE(up.transactional);
    EXPECT_EQ(8, up.marker_line);
    EXPECT_EQ("CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\n", up.sql);

    const Section& down = script.sections[1];
    EXPECT_EQ(Direction::downgrade, down.direction);
    EXPECT_EQ(11, down.marker_line);
    EXPECT_EQ("DROP TABLE account;\n", down.sql);
}

TEST(MigrationFileTest, CheckpointHeaders) {
    const auto checkpoint = parse(
        "-- checkpoint: c3\n-- replaces: a1, b2, c3\n-- message: checkpoint\n\n"
        "-- migrate:upgrade dialect:sqlite\nCREATE TABLE t (id INTEGER);\n");
    EXPECT_EQ(checkpoint.checkpoint, "c3");
    EXPECT_EQ(checkpoint.revision, "c3");
    EXPECT_TRUE(checkpoint.down_revisions.empty());
    EXPECT_EQ(checkpoint.replaces, (std::vector<std::string>{"a1", "b2", "c3"}));
    EXPECT_EQ(parse_error("-- checkpoint: c3\n-- down_revision: b2\n"),
              std::string(kFile) + ":2: a checkpoint has no down_revision (it builds the schema "
                                   "from base)");
    EXPECT_EQ(parse_error("-- checkpoint: c3\n-- revision: c4\n"),
              std::string(kFile) + ":2: a checkpoint's revision is the one it checkpoints: 'c3' "
                                   "and 'c4' differ");
    EXPECT_EQ(parse_error(with_header("-- replaces: a1\n")),
              std::string(kFile) + ":3: 'replaces' belongs to a checkpoint's header only");
    EXPECT_EQ(parse_error("-- checkpoint: c3\n-- replaces: a1, b-2\n"),
              std::string(kFile) + ":2: invalid replaces entry 'b-2'; expected revision ids "
                                   "separated by commas");
}

TEST(MigrationFileTest, HeaderOnlyStopsAtTheFirstMarker) {
    const MigrationScript script = parse(kExample, true);
    EXPECT_EQ("1975ea83b712", script.revision);
    EXPECT_FALSE(script.body_loaded);
    EXPECT_TRUE(script.sections.empty());
    // Errors after the header are not seen in header-only mode.
    EXPECT_NO_THROW(parse(with_header("-- migrate:sideways\n"), true));
}

TEST(MigrationFileTest, TimeoutHeaders) {
    const MigrationScript script = parse(
        "-- revision: abc\n-- down_revision: none\n-- lock_timeout: 2s\n-- statement_timeout: "
        "500ms\n"
        "-- lint:ignore drop-table a comment, not a header\n-- migrate:upgrade\nSELECT 1;\n",
        true);
    EXPECT_EQ(std::chrono::milliseconds(2000), script.timeouts.lock_timeout);
    EXPECT_EQ(std::chrono::milliseconds(500), script.timeouts.statement_timeout);
    EXPECT_FALSE(parse(kExample, true).timeouts.any());
    EXPECT_EQ(kFile.string() +
                  ":3: invalid statement_timeout '5'; expected a whole number and a unit, such "
                  "as 500ms, 5s or 2min",
              parse_error("-- revision: abc\n-- down_revision: none\n-- statement_timeout: 5\n"));
}

TEST(MigrationFileTest, ParsesListsAndMerges) {
    const MigrationScript script = parse(
        "-- revision: merge_1\n"
        "-- down_revision: aaa111, bbb222\n"
        "-- branch_labels: payments, billing\n"
        "-- depends_on: ccc333\n"
        "-- migrate:upgrade\n");
    EXPECT_EQ((std::vector<std::string>{"aaa111", "bbb222"}), script.down_revisions);
    EXPECT_EQ((std::vector<std::string>{"payments", "billing"}), script.branch_labels);
    EXPECT_EQ((std::vector<std::string>{"ccc333"}), script.depends_on);
    ASSERT_EQ(1u, script.sections.size());
    EXPECT_EQ("", script.sections[0].sql);
}

TEST(MigrationFileTest, AcceptsCommentsBlankLinesAndCrLf) {
    const MigrationScript script = parse(
        "-- A plain comment without a key.\r\n"
        "-- see http://example.com/docs\r\n"
        "\r\n"
        "-- revision:abc\r\n"
        "-- down_revision: None\r\n"
        "--migrate:upgrade\r\n"
        "SELECT 1;\r\n");
    EXPECT_EQ("abc", script.revision);
    EXPECT_TRUE(script.down_revisions.empty());
    ASSERT_EQ(1u, script.sections.size());
    EXPECT_EQ("SELECT 1;\r\n", script.sections[0].sql);
}

TEST(MigrationFileTest, SkipsAByteOrderMark) {
    EXPECT_EQ("abc123", parse("\xEF\xBB\xBF" + with_header("-- migrate:upgrade\n")).revision);
}

TEST(MigrationFileTest, KeepsSectionSqlByteForByte) {
    const std::string body = "  CREATE TABLE t (x TEXT DEFAULT '-- migrate:upgrade');\n\n\t\n";
    const MigrationScript script = parse(with_header("-- migrate:upgrade\n" + body));
    EXPECT_EQ(body, script.sections[0].sql);

    const MigrationScript no_newline = parse(with_header("-- migrate:upgrade\nSELECT 1;"));
    EXPECT_EQ("SELECT 1;", no_newline.sections[0].sql);
}

TEST(MigrationFileTest, ReadsSectionOptions) {
    const MigrationScript script =
        parse(with_header("-- migrate:upgrade transaction:false dialect:postgresql\n"
                          "CREATE INDEX CONCURRENTLY i ON t (x);\n"
                          "-- migrate:upgrade transaction:true\n"
                          "CREATE INDEX i ON t (x);\n"
                          "-- migrate:downgrade dialect:sqlite\n"
                          "DROP INDEX i;\n"));
    ASSERT_EQ(3u, script.sections.size());
    EXPECT_FALSE(script.sections[0].transactional);
    EXPECT_EQ("postgresql", script.sections[0].dialect);
    EXPECT_TRUE(script.sections[1].transactional);
    EXPECT_EQ("", script.sections[1].dialect);
    EXPECT_EQ("sqlite", script.sections[2].dialect);
    EXPECT_EQ(7, script.sections[2].marker_line);
}

TEST(MigrationFileTest, SectionPrefersTheDialectSpecificOne) {
    const MigrationScript script =
        parse(with_header("-- migrate:upgrade\ngeneric;\n"
                          "-- migrate:upgrade dialect:sqlite\nsqlite;\n"
                          "-- migrate:downgrade dialect:postgresql\npg;\n"));
    EXPECT_EQ("sqlite;\n", script.section(Direction::upgrade, "sqlite")->sql);
    EXPECT_EQ("generic;\n", script.section(Direction::upgrade, "postgresql")->sql);
    EXPECT_EQ("pg;\n", script.section(Direction::downgrade, "postgresql")->sql);
    EXPECT_EQ(nullptr, script.section(Direction::downgrade, "sqlite"));
}

TEST(MigrationFileTest, DirectionNames) {
    EXPECT_STREQ("upgrade", to_string(Direction::upgrade));
    EXPECT_STREQ("downgrade", to_string(Direction::downgrade));
}

TEST(MigrationFileTest, ValidRevisionIds) {
    EXPECT_TRUE(is_valid_revision_id("1975ea83b712"));
    EXPECT_TRUE(is_valid_revision_id("A_b_9"));
    EXPECT_TRUE(is_valid_revision_id(std::string(32, 'a')));
    EXPECT_FALSE(is_valid_revision_id(std::string(33, 'a')));
    EXPECT_FALSE(is_valid_revision_id(""));
    EXPECT_FALSE(is_valid_revision_id("abc-def"));
    EXPECT_FALSE(is_valid_revision_id("abc def"));
}

TEST(MigrationFileTest, HeaderErrors) {
    const std::string f = kFile.string();
    EXPECT_EQ(f + ":1: missing required header 'revision'",
              parse_error("-- down_revision: none\n-- migrate:upgrade\n"));
    EXPECT_EQ(f + ":1: missing required header 'down_revision'",
              parse_error("-- revision: abc\n-- migrate:upgrade\n", true));
    EXPECT_EQ(f + ":2: unknown header key 'author'",
              parse_error("-- revision: abc\n-- author: me\n-- down_revision: none\n"));
    EXPECT_EQ(f + ":3: duplicate header key 'revision' (first given on line 1)",
              parse_error("-- revision: abc\n-- down_revision: none\n-- revision: def\n"));
    EXPECT_EQ(f + ":1: invalid revision id 'abc-def'; expected 1-32 characters of [0-9A-Za-z_]",
              parse_error("-- revision: abc-def\n"));
    EXPECT_EQ(f + ":1: invalid revision id ''; expected 1-32 characters of [0-9A-Za-z_]",
              parse_error("-- revision:\n"));
    EXPECT_EQ(f + ":2: invalid down_revision 'a,,b'; expected 'none', a revision id or a "
                  "comma-separated list of them",
              parse_error("-- revision: abc\n-- down_revision: a,,b\n"));
    EXPECT_EQ(f + ":2: invalid down_revision ''; expected 'none', a revision id or a "
                  "comma-separated list of them",
              parse_error("-- revision: abc\n-- down_revision:\n"));
    EXPECT_EQ(f + ":2: down_revision lists 'a' twice",
              parse_error("-- revision: abc\n-- down_revision: a, a\n"));
    EXPECT_EQ(f + ":3: invalid branch_labels entry 'a@b'; entries are comma-separated and "
                  "contain no blanks or '@'",
              parse_error(with_header("-- branch_labels: a@b\n")));
    EXPECT_EQ(f + ":3: invalid depends_on entry ''; entries are comma-separated and contain no "
                  "blanks or '@'",
              parse_error(with_header("-- depends_on: x,\n")));
}

TEST(MigrationFileTest, BodyErrors) {
    const std::string f = kFile.string();
    EXPECT_EQ(f + ":3: SQL before the first '-- migrate:' section marker",
              parse_error(with_header("CREATE TABLE t (x INT);\n-- migrate:upgrade\n")));
    EXPECT_EQ(f + ":3: SQL before the first '-- migrate:' section marker",
              parse_error(with_header("CREATE TABLE t (x INT);\n"), true));
    EXPECT_EQ(f + ":3: unknown section 'migrate:up'; expected 'migrate:upgrade' or "
                  "'migrate:downgrade'",
              parse_error(with_header("-- migrate:up\n")));
    EXPECT_EQ(f + ":3: unknown section option 'transaction:no'; expected transaction:false, "
                  "transaction:true, dialect:sqlite or dialect:postgresql",
              parse_error(with_header("-- migrate:upgrade transaction:no\n")));
    EXPECT_EQ(f + ":3: unknown section option 'dialect:mysql'; expected transaction:false, "
                  "transaction:true, dialect:sqlite or dialect:postgresql",
              parse_error(with_header("-- migrate:upgrade dialect:mysql\n")));
    EXPECT_EQ(f + ":3: section option 'dialect' given twice",
              parse_error(with_header("-- migrate:upgrade dialect:sqlite dialect:postgresql\n")));
    EXPECT_EQ(f + ":5: duplicate '-- migrate:upgrade' section (the first is on line 3)",
              parse_error(with_header("-- migrate:upgrade\nA;\n-- migrate:upgrade\nB;\n")));
    EXPECT_EQ(f + ":6: duplicate '-- migrate:downgrade dialect:sqlite' section (the first is "
                  "on line 4)",
              parse_error(with_header("-- migrate:upgrade\n-- migrate:downgrade dialect:sqlite\n"
                                      "-- migrate:downgrade\n"
                                      "-- migrate:downgrade dialect:sqlite\n")));
    EXPECT_EQ(f + ":1: missing '-- migrate:upgrade' section",
              parse_error(with_header("-- migrate:downgrade\nDROP TABLE t;\n")));
    EXPECT_EQ(f + ":1: missing '-- migrate:upgrade' section", parse_error(with_header("")));
}

// A scratch directory removed when the test ends.
class MigrationFileOnDiskTest : public ::testing::Test {
protected:
    std::filesystem::path write(const std::string& name, const std::string& text) {
        return scratch_.write(name, text);
    }

    test_support::ScopedTempDir scratch_;
    const std::filesystem::path dir_ = scratch_.path();
};

TEST_F(MigrationFileOnDiskTest, ReadsWholeFilesAndHeaders) {
    const auto path = write("1975ea83b712_create_account.sql", kExample);
    const MigrationScript whole = read_migration_file(path, false);
    EXPECT_EQ(path, whole.file);
    ASSERT_EQ(2u, whole.sections.size());
    EXPECT_EQ("DROP TABLE account;\n", whole.sections[1].sql);

    const MigrationScript header = read_migration_file(path, true);
    EXPECT_EQ("create account table", header.message);
    EXPECT_FALSE(header.body_loaded);
}

TEST_F(MigrationFileOnDiskTest, HeaderOnlyIgnoresAnUnparsableBody) {
    const auto path = write("a.sql", with_header("-- migrate:upgrade\n-- migrate:upgrade\n"));
    EXPECT_EQ("abc123", read_migration_file(path, true).revision);
    EXPECT_THROW(read_migration_file(path, false), Error);
}

TEST_F(MigrationFileOnDiskTest, ErrorsNameTheFile) {
    const auto path = write("bad.sql", "-- revision: abc\n-- colour: blue\n");
    EXPECT_EQ(path.string() + ":2: unknown header key 'colour'",
              test_support::message_of([&] { read_migration_file(path, true); }));
}

TEST_F(MigrationFileOnDiskTest, MissingFileIsAUsageError) {
    const auto path = dir_ / "missing.sql";
    EXPECT_EQ(path.string() + ": cannot read the migration file (No such file or directory)",
              test_support::message_of(ExitCode::usage, [&] { read_migration_file(path, false); }));
}

}  // namespace
}  // namespace fastappkit
