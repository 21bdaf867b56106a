// `migrate preview` prints exactly what a run executes: each case previews a move, makes it
// through a database that records every statement it is made to write, and compares the two
// statement lists (the history row's applied_at and duration, which only the run knows, set
// aside). On SQLite, and on PostgreSQL when FASTAPPKIT_TEST_POSTGRES_URL names a server.
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "db/schema_sql.h"
#include "runner/history_migrator.h"
#include "test_support/recording_database.h"
#include "test_support/test_support.h"

namespace fastappkit {
namespace {

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

class Silent : public Progress {
public:
    void step_finished(const AppliedStep&) override {}
    void waiting(const std::string&) override {}
};

std::string trimmed(const std::string& text) {
    const auto begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos) return {};
    return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

// One statement as both lists hold it: trimmed, without its final ';', the times only the run
// knows (the history row's applied_at and duration_ms, the unfinished mark's started_at)
// replaced.
std::string normalised(const std::string& statement) {
    std::string text = trimmed(statement);
    if (!text.empty() && text.back() == ';') text = trimmed(text.substr(0, text.size() - 1));
    static const std::regex history_row(
        R"(^(INSERT INTO fastappkit_history \(.*\) VALUES \(.*'[0-9a-f]{64}'), '[^']*', .*\)$)");
    static const std::regex unfinished_mark(
        R"(^(INSERT INTO fastappkit_unfinished \(.*\) VALUES \('\w+', '\w+', '\w+'), '[^']*')");
    text = std::regex_replace(text, unfinished_mark, "$1, <started_at>");
    return std::regex_replace(text, history_row, "$1, <applied_at>, <duration_ms>)");
}

// A preview's statements: each ends with ";" and a blank line; "-- Running" lines dropped.
// A section's several statements stay one text, as the run sends them.
Strings preview_statements(const std::string& preview) {
    Strings out;
    std::string current;
    std::istringstream lines(preview);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("-- Running ", 0) == 0) continue;
        if (line.empty() && !current.empty() && trimmed(current).back() == ';') {
            out.push_back(normalised(current));
            current.clear();
            continue;
        }
        current += line + "\n";
    }
    if (!trimmed(current).empty()) out.push_back(normalised(current));
    return out;
}

Strings run_statements(const Strings& written) {
    Strings out;
    for (const auto& statement : written) out.push_back(normalised(statement));
    return out;
}

const char* kFiles[][2] = {
    {"a1_create.sql",
     "-- revision: a1\n-- down_revision: none\n-- message: create\n\n-- migrate:upgrade\n"
     "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(20));\n"
     "INSERT INTO items (id, name) VALUES (1, 'one');\n\n"
     "-- migrate:downgrade\nDROP TABLE items;\n"},
    {"b2_column.sql",
     "-- revision: b2\n-- down_revision: a1\n-- message: column\n-- lock_timeout: 2s\n"
     "-- statement_timeout: 1min\n\n-- migrate:upgrade\nALTER TABLE items ADD COLUMN n INTEGER;\n\n"
     "-- migrate:downgrade\nALTER TABLE items DROP COLUMN n;\n"},
    {"c3_index.sql",
     "-- revision: c3\n-- down_revision: b2\n-- message: index\n\n"
     "-- migrate:upgrade transaction:false\nCREATE INDEX items_n ON items (n);\n\n"
     "-- migrate:downgrade transaction:false\nDROP INDEX items_n;\n"},
    {"d4_more.sql",
     "-- revision: d4\n-- down_revision: c3\n-- message: more\n\n-- migrate:upgrade\n"
     "CREATE TABLE more_items (id INTEGER);\nCREATE TABLE other_items (id INTEGER);\n\n"
     "-- migrate:downgrade\nDROP TABLE other_items;\nDROP TABLE more_items;\n"},
    {"e5_last.sql",
     "-- revision: e5\n-- down_revision: d4\n-- message: last\n\n-- migrate:upgrade\n"
     "CREATE TABLE last_items (id INTEGER);\n\n-- migrate:downgrade\nDROP TABLE last_items;\n"},
};

class PreviewMatchesRun : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        for (const auto& file : kFiles) scratch_.write(fs::path("versions") / file[0], file[1]);
        if (GetParam() == "postgresql") {
            const char* text = std::getenv("FASTAPPKIT_TEST_POSTGRES_URL");
            if (!text || !*text) GTEST_SKIP() << "FASTAPPKIT_TEST_POSTGRES_URL is not set";
            url_ = parse_database_url(text, scratch_.path());
            schema_ = fmt::format("fk_preview_{}_{}", getpid(),
                                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
            for (char& c : schema_) c = c == '/' ? '_' : static_cast<char>(std::tolower(c));
            open()->execute(
                fmt::format("DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0}", schema_));
        } else {
            url_ = parse_database_url("sqlite:///" + scratch_.str("app.db"), scratch_.path());
        }
    }
    void TearDown() override {
        if (!schema_.empty()) open()->execute(fmt::format("DROP SCHEMA {} CASCADE", schema_));
    }

    std::unique_ptr<Database> open() {
        OpenOptions options;
        options.lock_mode = LockMode::advisory;  // a direct connection: the session search_path
        auto db = open_database(url_, options);
        if (!schema_.empty()) db->execute("SET search_path TO " + schema_);
        return db;
    }

    // The preview of moving to `target`, then the statements the move itself wrote.
    std::pair<Strings, Strings> preview_then_run(Direction direction, const std::string& target) {
        History history("core", "alembic_version", scratch_.path() / "versions");
        auto db = open();
        const std::string preview = HistoryMigrator(history, *db, silent_).preview(direction, target);
        test_support::RecordingDatabase recording(open());
        HistoryMigrator migrator(history, recording, silent_);
        if (direction == Direction::upgrade) {
            migrator.upgrade(target);
        } else {
            migrator.downgrade(target);
        }
        return {preview_statements(preview), run_statements(recording.written())};
    }

    void upgrade(const std::string& target) {
        History history("core", "alembic_version", scratch_.path() / "versions");
        auto db = open();
        HistoryMigrator(history, *db, silent_).upgrade(target);
    }

    test_support::ScopedTempDir scratch_;
    DatabaseUrl url_;
    std::string schema_;
    Silent silent_;
};

TEST_P(PreviewMatchesRun, FreshDatabaseInBatches) {
    const auto [preview, run] = preview_then_run(Direction::upgrade, "head");
    EXPECT_EQ(preview, run);
    // What the list holds: the batch's savepoints (SQLite; PostgreSQL's batch has none), the
    // timeouts (PostgreSQL), the unfinished mark around the transaction:false section.
    const auto has = [&run = run](const std::string& prefix) {
        for (const auto& s : run) {
            if (s.rfind(prefix, 0) == 0) return true;
        }
        return false;
    };
    EXPECT_EQ(GetParam() == "sqlite", has("SAVEPOINT fastappkit_migration"));
    EXPECT_TRUE(has("INSERT INTO fastappkit_unfinished"));
    EXPECT_TRUE(has("DELETE FROM fastappkit_unfinished"));
    EXPECT_TRUE(has("UPDATE fastappkit_unfinished SET completed_statements = 1, statement_count = 1"));
    EXPECT_EQ(GetParam() == "postgresql", has("SET LOCAL lock_timeout = '2000ms'"));
    EXPECT_EQ(GetParam() == "postgresql", has("SET LOCAL statement_timeout = '60000ms'"));
}

// A fresh SQLite database is one commit, fastappkit_history included; on PostgreSQL that table
// is committed first (history_table_in_batch).
TEST_P(PreviewMatchesRun, AFreshSqliteDatabaseIsOneCommit) {
    const auto [preview, run] = preview_then_run(Direction::upgrade, "a1");
    EXPECT_EQ(preview, run);
    ASSERT_FALSE(run.empty());
    const auto created = std::find(run.begin(), run.end(), normalised(create_history_table_sql()));
    ASSERT_NE(run.end(), created);
    if (GetParam() == "sqlite") {
        EXPECT_EQ("BEGIN", run.front());
        EXPECT_EQ(1, std::count(run.begin(), run.end(), "BEGIN"));
        EXPECT_EQ(1, std::count(run.begin(), run.end(), "COMMIT"));
    } else {
        EXPECT_EQ(run.begin(), created);
    }
}

TEST_P(PreviewMatchesRun, DatabaseWithVersionRowsOneTransactionPerStep) {
    upgrade("a1");
    const auto [preview, run] = preview_then_run(Direction::upgrade, "head");
    EXPECT_EQ(preview, run);
    // Each step its own transaction: a BEGIN for each, and one more for the transaction:false
    // section's second transaction.
    EXPECT_EQ(5, std::count(run.begin(), run.end(), "BEGIN"));
}

TEST_P(PreviewMatchesRun, Downgrade) {
    upgrade("head");
    const auto [preview, run] = preview_then_run(Direction::downgrade, "base");
    EXPECT_EQ(preview, run);
    EXPECT_FALSE(run.empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, PreviewMatchesRun, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace fastappkit
