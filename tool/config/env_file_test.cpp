#include "config/env_file.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "test_support/test_support.h"

namespace fastappkit {
namespace {

namespace fs = std::filesystem;
using Settings = std::map<std::string, std::string>;

Settings parse(const std::string& text) { return parse_env_text(text, ".env"); }

std::string error_of(const std::string& text) {
    return test_support::message_of(ExitCode::usage, [&] { parse(text); });
}

TEST(EnvFileTest, PlainLines) {
    EXPECT_EQ(
        (Settings{
            {"A", "1"}, {"B", "two words"}, {"C", ""}, {"D", "x"}, {"E", "y"}, {"lower_9", "z"}}),
        parse("A=1\nB = two words  \nC=\n\n   \nexport D=x\nexport\tE=y\r\nlower_9=z"));
}

TEST(EnvFileTest, Comments) {
    EXPECT_EQ(
        (Settings{{"A", "1"}, {"B", "a#b"}, {"C", ""}, {"D", "#x"}}),
        parse("# a comment\n  # indented\nA=1 # trailing\nB=a#b\nC= # only a comment\nD=#x\n"));
}

TEST(EnvFileTest, DoubleQuotes) {
    EXPECT_EQ((Settings{{"A", "two\nlines"},
                        {"B", "say \"hi\""},
                        {"C", "back\\slash"},
                        {"D", "C:\\temp"},
                        {"E", "# not a comment"},
                        {"F", "  padded  "}}),
              parse("A=\"two\\nlines\"\nB=\"say \\\"hi\\\"\"\nC=\"back\\\\slash\"\nD=\"C:\\temp\"\n"
                    "E=\"# not a comment\" # a comment\nF=\"  padded  \"\n"));
}

TEST(EnvFileTest, SingleQuotesAreLiteral) {
    EXPECT_EQ((Settings{{"A", "no \\n escapes"}, {"B", "with \"double\""}}),
              parse("A='no \\n escapes'\nB = 'with \"double\"'  # comment\n"));
}

TEST(EnvFileTest, LaterLineWins) { EXPECT_EQ((Settings{{"A", "2"}}), parse("A=1\nA=2\n")); }

TEST(EnvFileTest, DatabaseUrlWithQueryAndFragmentCharacters) {
    EXPECT_EQ((Settings{{"DATABASE_URL", "postgresql://u:p%23w@db:5432/app?sslmode=require"}}),
              parse("DATABASE_URL=postgresql://u:p%23w@db:5432/app?sslmode=require\n"));
}

TEST(EnvFileTest, Errors) {
    EXPECT_EQ(".env:2: expected KEY=VALUE", error_of("A=1\nDATABASE_URL sqlite:///app.db\n"));
    EXPECT_EQ(".env:1: expected KEY=VALUE", error_of("export NAME\n"));
    EXPECT_EQ(".env:1: invalid key '1A' (use letters, digits and underscores)", error_of("1A=x\n"));
    EXPECT_EQ(".env:1: invalid key 'MY-KEY' (use letters, digits and underscores)",
              error_of("MY-KEY=x\n"));
    EXPECT_EQ(".env:1: invalid key '' (use letters, digits and underscores)", error_of("=x\n"));
    EXPECT_EQ(".env:3: the value of A has no closing quote", error_of("\n\nA=\"open\n"));
    EXPECT_EQ(".env:1: the value of A has no closing quote",
              error_of("A=\"ends with escape\\\"\n"));
    EXPECT_EQ(".env:1: the value of B has no closing quote", error_of("B='open\n"));
    EXPECT_EQ(".env:1: unexpected text after the quoted value of A", error_of("A=\"x\"y\n"));
    EXPECT_EQ(".env:1: unexpected text after the quoted value of B", error_of("B='x' y\n"));
    EXPECT_EQ(
        ".env:1: invalid key 'postgresql://u:***@h/db?sslmode' (use letters, digits and "
        "underscores)",
        error_of("postgresql://u:secret@h/db?sslmode=require\n"));
}

// ---------------------------------------------------------------------------------------------
// Files and the environment

std::string error_reading(const fs::path& file) {
    return test_support::message_of(ExitCode::usage, [&] { read_env_file(file); });
}

class EnvFileDirTest : public ::testing::Test {
protected:
    EnvFileDirTest() { ::unsetenv(kVariable); }
    ~EnvFileDirTest() override { ::unsetenv(kVariable); }
    void write_env(const std::string& text) { scratch_.write(".env", text); }

    static constexpr const char* kVariable = "FASTAPPKIT_ENV_FILE_TEST_SETTING";
    test_support::ScopedTempDir scratch_;
    const fs::path dir_ = scratch_.path();
};

TEST_F(EnvFileDirTest, MissingFileIsEmpty) {
    EXPECT_TRUE(read_env_file(dir_ / ".env").empty());
    EXPECT_EQ(std::nullopt, lookup_setting(kVariable, dir_));
}

TEST_F(EnvFileDirTest, ReadsTheFileAndNamesItInErrors) {
    write_env("");
    EXPECT_TRUE(read_env_file(dir_ / ".env").empty());
    write_env(std::string(kVariable) + "=from-file\n");
    EXPECT_EQ((Settings{{kVariable, "from-file"}}), read_env_file(dir_ / ".env"));
    write_env("# settings\nbroken\n");
    EXPECT_EQ(fmt::format("{}:2: expected KEY=VALUE", (dir_ / ".env").string()),
              test_support::message_of([&] { read_env_file(dir_ / ".env"); }));
}

TEST_F(EnvFileDirTest, DirectoryOrSymlinkLoopIsASentenceNamingTheFile) {
    fs::create_directory(dir_ / ".env");
    EXPECT_EQ(
        fmt::format("Cannot read {}: it is a directory, not a file", (dir_ / ".env").string()),
        error_reading(dir_ / ".env"));
    fs::remove(dir_ / ".env");
    fs::create_symlink(dir_ / ".env", dir_ / ".env");
    EXPECT_EQ(
        fmt::format("Cannot read {}: Too many levels of symbolic links", (dir_ / ".env").string()),
        error_reading(dir_ / ".env"));
}

TEST_F(EnvFileDirTest, EnvironmentWinsOverTheFile) {
    write_env(std::string(kVariable) + "=from-file\n");
    EXPECT_EQ("from-file", lookup_setting(kVariable, dir_));
    ::setenv(kVariable, "from-environment", 1);
    EXPECT_EQ("from-environment", lookup_setting(kVariable, dir_));
    ::setenv(kVariable, "", 1);  // an empty variable does not hide the file
    EXPECT_EQ("from-file", lookup_setting(kVariable, dir_));
}

TEST_F(EnvFileDirTest, EnvironmentAloneIsEnough) {
    ::setenv(kVariable, "from-environment", 1);
    EXPECT_EQ("from-environment", lookup_setting(kVariable, dir_));
}

}  // namespace
}  // namespace fastappkit
