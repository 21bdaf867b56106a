#include "script/checksum.h"

#include <signal.h>

#include <gtest/gtest.h>

namespace fastappkit {
namespace {

TEST(ChecksumTest, KnownSha256Vectors) {
    EXPECT_EQ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
              sha256_hex("abc"));
    EXPECT_EQ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", sha256_hex(""));
}

TEST(ChecksumTest, HashesEmbeddedNulBytes) {
    EXPECT_NE(sha256_hex(std::string("a\0b", 3)), sha256_hex("a"));
}

TEST(ChecksumTest, SqlChecksumNormalisesLineEndings) {
    const std::string lf = "CREATE TABLE t (x INT);\nDROP TABLE t;\n";
    EXPECT_EQ(sha256_hex(lf), sql_checksum(lf));
    EXPECT_EQ(sql_checksum(lf), sql_checksum("CREATE TABLE t (x INT);\r\nDROP TABLE t;\r\n"));
    EXPECT_EQ(sql_checksum(lf), sql_checksum("CREATE TABLE t (x INT);\rDROP TABLE t;\r"));
    EXPECT_EQ(sql_checksum("a\n\nb"), sql_checksum("a\r\r\nb"));
}

TEST(ChecksumTest, SqlChecksumKeepsEverythingElse) {
    EXPECT_NE(sql_checksum("SELECT 1;\n"), sql_checksum("SELECT 1; \n"));
    EXPECT_NE(sql_checksum("SELECT 1;\n"), sql_checksum("SELECT 1;"));
}

// Each test runs in a process of its own (gtest_discover_tests): here libcrypto is still being
// loaded by the warm-up thread when the first checksum asks for it, and that checksum waits.
TEST(ChecksumTest, AChecksumDuringTheWarmUpIsRight) {
    sigset_t before;
    ASSERT_EQ(0, pthread_sigmask(SIG_SETMASK, nullptr, &before));
    const ChecksumWarmUp warm_up;
    sigset_t after;
    ASSERT_EQ(0, pthread_sigmask(SIG_SETMASK, nullptr, &after));
    for (int signal : {SIGINT, SIGTERM, SIGHUP}) {
        EXPECT_EQ(sigismember(&before, signal), sigismember(&after, signal)) << signal;
    }
    EXPECT_EQ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
              sha256_hex("abc"));
    const ChecksumWarmUp again;  // loaded: no thread
    EXPECT_EQ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", sha256_hex(""));
}

}  // namespace
}  // namespace fastappkit
