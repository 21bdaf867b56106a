#include "cli/reporter.h"

#include <gtest/gtest.h>

namespace fastappkit {
namespace {

// A session opens a read-only and then a writing connection; each may wait for the same lock.
TEST(ReporterTest, WaitingIsAnnouncedOncePerRun) {
    Reporter reporter(false, Verbosity::normal);
    ::testing::internal::CaptureStderr();
    reporter.waiting("Waiting for another fastappkit runner to release the database lock on a.db.");
    reporter.waiting("Waiting for another fastappkit runner to release the database lock on a.db.");
    reporter.waiting("Waiting for another fastappkit runner to release the database lock on b.db.");
    EXPECT_EQ(
        "Waiting for another fastappkit runner to release the database lock on a.db.\n"
        "Waiting for another fastappkit runner to release the database lock on b.db.\n",
        ::testing::internal::GetCapturedStderr());
}

}  // namespace
}  // namespace fastappkit
