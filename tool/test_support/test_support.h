// What the unit tests share: a scratch directory, and the error a call throws. One copy here
// instead of one per test file.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/error.h"

namespace fastappkit::test_support {

// A fresh directory named after the running test, removed with its contents at the end of the
// scope.
class ScopedTempDir {
public:
    ScopedTempDir() {
        static int count = 0;
        const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
        std::string name =
            fmt::format("fastappkit-{}-{}-{}-{}", test ? test->test_suite_name() : "test",
                        test ? test->name() : "none", ::getpid(), ++count);
        for (char& c : name) c = c == '/' ? '_' : c;  // parameterised tests: Suite/Name/0
        path_ = std::filesystem::temp_directory_path() / name;
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~ScopedTempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    ScopedTempDir(const ScopedTempDir&) = delete;
    ScopedTempDir& operator=(const ScopedTempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::filesystem::path& relative) const {
        return path_ / relative;
    }
    std::string str(const std::string& relative = "") const {
        return relative.empty() ? path_.string() : (path_ / relative).string();
    }
    // Writes `text` byte for byte to `relative`, creating its directories; returns the path.
    std::filesystem::path write(const std::filesystem::path& relative,
                                std::string_view text) const {
        const auto file = path_ / relative;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary) << text;
        return file;
    }
    void mkdir(const std::filesystem::path& relative) const {
        std::filesystem::create_directories(path_ / relative);
    }

private:
    std::filesystem::path path_;
};

// The exception of type `E` that `action` throws; nothing (and a test failure) when it throws
// none.
template <typename E, typename Action>
std::optional<E> thrown(Action&& action) {
    try {
        action();
    } catch (const E& error) {
        return error;
    }
    ADD_FAILURE() << "expected an exception";
    return std::nullopt;
}

// The message of the fastappkit::Error `action` throws, or "no error".
template <typename Action>
std::string message_of(Action&& action) {
    try {
        action();
    } catch (const Error& error) {
        return error.what();
    }
    return "no error";
}

// The same, and the error must carry `code` (usage: exit 2, failure: exit 1).
template <typename Action>
std::string message_of(ExitCode code, Action&& action) {
    try {
        action();
    } catch (const Error& error) {
        EXPECT_EQ(static_cast<int>(code), static_cast<int>(error.code())) << error.what();
        return error.what();
    }
    return "no error";
}

}  // namespace fastappkit::test_support
