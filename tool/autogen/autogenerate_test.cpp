// The autogenerate commands on scratch projects (SQLite): which models and history they use,
// the file they write, and `migrate check`'s verdict.
#include <fstream>

#include <gtest/gtest.h>

#include "autogen/revision_file.h"
#include "cli/commands.h"
#include "common/error.h"
#include "script/migration_file.h"
#include "test_support/test_support.h"

namespace fastappkit {
namespace {

namespace fs = std::filesystem;
using test_support::message_of;

void write(const fs::path& file, const std::string& text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
}

std::vector<fs::path> files_in(const fs::path& dir) {
    std::vector<fs::path> files;
    if (!fs::is_directory(dir)) return files;
    for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

const char* kCoreModels =
    "CREATE TABLE account (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);\n";
const char* kBlogModels =
    "CREATE TABLE blog_post (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES account "
    "(id),\n"
    "    title TEXT NOT NULL);\n"
    "CREATE INDEX blog_post_author_id_idx ON blog_post (author_id);\n";

const std::string kPaymentsModels =
    "CREATE TABLE payments_charge (id INTEGER PRIMARY KEY, cents INTEGER);\n";

class Autogenerate : public ::testing::Test {
protected:
    void SetUp() override {
        write(
            root_ / "fastappkit.toml",
            "[tool.fastappkit]\napps = [\"apps.blog\", \"payments\"]\napp_path = [\"external\"]\n");
        write(root_ / "core" / "models.sql", kCoreModels);
        write(root_ / "apps" / "blog" / "models.sql", kBlogModels);
        fs::create_directories(versions());
        write(payments() / "fastappkit.toml",
              "[tool.fastappkit]\nname = \"payments\"\nversion = \"0.1.0\"\nmigrations = "
              "\"migrations\"\n"
              "models = \"models.sql\"\n");
        write(payments() / "models.sql", kPaymentsModels);
        write(payments() / "migrations" / "versions" / "111111111111_create_charges.sql",
              "-- revision: 111111111111\n-- down_revision: none\n\n-- migrate:upgrade\n" +
                  kPaymentsModels + "\n-- migrate:downgrade\nDROP TABLE payments_charge;\n");
    }

    fs::path versions() const { return root_ / "core" / "db" / "migrations" / "versions"; }
    fs::path payments() const { return root_ / "external" / "payments" / "payments"; }

    // A fresh session per command, as each command line is.
    Session session(const fs::path& root = {}) {
        GlobalOptions options;
        options.project_root = (root.empty() ? root_ : root).string();
        options.database_url = "sqlite:///app.db";
        options.quiet = true;
        return Session(options);
    }

    int autogenerate(const std::string& app, const std::string& message) {
        auto s = session();
        return migrate_autogenerate(s, app, message);
    }

    int check() {
        auto s = session();
        return migrate_check(s, {});
    }

    test_support::ScopedTempDir scratch_;
    const fs::path root_ = scratch_.path();
};

TEST_F(Autogenerate, WritesMigrationFromCoreAndInternalModels) {
    ASSERT_EQ(autogenerate("", "Initial schema!"), 0);
    const auto files = files_in(versions());
    ASSERT_EQ(files.size(), 1u);
    const auto script = read_migration_file(files[0], false);
    EXPECT_EQ(files[0].filename().string(), script.revision + "_initial_schema.sql");
    EXPECT_EQ(script.revision.size(), 12u);
    EXPECT_TRUE(script.down_revisions.empty());
    EXPECT_EQ(script.message, "Initial schema!");
    EXPECT_EQ(script.create_date.size(), 20u);
    const Section* upgrade = script.section(Direction::upgrade, "sqlite");
    const Section* downgrade = script.section(Direction::downgrade, "sqlite");
    ASSERT_TRUE(upgrade && downgrade);
    // Core first, then the app whose table refers to it; the downgrade in reverse.
    EXPECT_LT(upgrade->sql.find("CREATE TABLE account"),
              upgrade->sql.find("CREATE TABLE blog_post"));
    EXPECT_EQ(downgrade->sql, "DROP TABLE blog_post;\nDROP TABLE account;\n");
    EXPECT_EQ(check(), 0);
    EXPECT_FALSE(fs::exists(root_ / "app.db"));  // check opens no database on SQLite

    auto s = session();
    ASSERT_EQ(migrate_upgrade(s, {}), 0);
    EXPECT_TRUE(s.database(true).has_table("blog_post"));
}

TEST_F(Autogenerate, NoChangesWritesNoFile) {
    ASSERT_EQ(autogenerate("", "initial"), 0);
    ASSERT_EQ(autogenerate("", "again"), 0);
    EXPECT_EQ(files_in(versions()).size(), 1u);
}

TEST_F(Autogenerate, InternalAppMakemigrationsExtendsTheSharedHistory) {
    ASSERT_EQ(autogenerate("", "initial"), 0);
    const std::string first = read_migration_file(files_in(versions())[0], true).revision;
    write(root_ / "apps" / "blog" / "models.sql",
          std::string(kBlogModels) +
              "CREATE TABLE blog_tag (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n");
    EXPECT_EQ(check(), 1);
    ASSERT_EQ(autogenerate("blog", "add tags"), 0);
    const auto files = files_in(versions());
    ASSERT_EQ(files.size(), 2u);
    bool found = false;
    for (const auto& file : files) {
        const auto script = read_migration_file(file, false);
        if (script.message != "add tags") continue;
        found = true;
        EXPECT_EQ(script.down_revisions, std::vector<std::string>{first});
        EXPECT_EQ(script.section(Direction::downgrade, "sqlite")->sql, "DROP TABLE blog_tag;\n");
    }
    EXPECT_TRUE(found);
    EXPECT_EQ(check(), 0);
}

TEST_F(Autogenerate, RefusesSeveralHeads) {
    for (const char* revision : {"aaaaaaaaaaaa", "bbbbbbbbbbbb"}) {
        write(versions() / (std::string(revision) + "_x.sql"),
              std::string("-- revision: ") + revision +
                  "\n-- down_revision: none\n\n-- migrate:upgrade\n");
    }
    EXPECT_EQ(message_of(ExitCode::usage, [&] { autogenerate("", "next"); }),
              "core: the history has several heads (aaaaaaaaaaaa, bbbbbbbbbbbb); merge them "
              "first with "
              "'fastappkit migrate merge -m MESSAGE' so that the new migration has one parent");
    EXPECT_EQ(files_in(versions()).size(), 2u);
}

TEST_F(Autogenerate, RefusesExternalAppFromProject) {
    EXPECT_NE(message_of(ExitCode::usage, [&] { autogenerate("payments", "x"); })
                  .find("App 'payments' is an external app"),
              std::string::npos);
}

TEST_F(Autogenerate, ExternalAppInItsOwnCheckout) {
    ASSERT_EQ(autogenerate("", "initial"), 0);
    EXPECT_EQ(check(), 0);
    write(payments() / "models.sql",
          kPaymentsModels +
              "CREATE TABLE payments_refund (id INTEGER PRIMARY KEY, charge_id INTEGER "
              "NOT NULL REFERENCES payments_charge (id));\n");
    EXPECT_EQ(check(), 1);  // the project's check covers the app's history too
    auto standalone = session(root_ / "external" / "payments");
    ASSERT_EQ(migrate_autogenerate(standalone, "payments", "add refunds"), 0);
    const auto files = files_in(payments() / "migrations" / "versions");
    ASSERT_EQ(files.size(), 2u);
    const auto script = read_migration_file(
        files[1].filename().string() == "111111111111_create_charges.sql" ? files[0] : files[1],
        false);
    EXPECT_EQ(script.down_revisions, std::vector<std::string>{"111111111111"});
    EXPECT_NE(
        script.section(Direction::upgrade, "sqlite")->sql.find("CREATE TABLE payments_refund"),
        std::string::npos);
    EXPECT_EQ(files_in(versions()).size(), 1u);
    EXPECT_EQ(check(), 0);
}

TEST_F(Autogenerate, WithoutModelsAutogenerateIsRefusedAndCheckSkips) {
    fs::remove(root_ / "core" / "models.sql");
    fs::remove(root_ / "apps" / "blog" / "models.sql");
    EXPECT_EQ(message_of(ExitCode::usage, [&] { autogenerate("", "x"); }),
              "core: there are no models to compare; declare them in " +
                  (root_ / "core" / "models.sql").string() +
                  " (and apps/<name>/models.sql for internal apps)");
    EXPECT_EQ(check(), 0);  // core is skipped, payments agrees
}

TEST_F(Autogenerate, DialectVariantOfModelsFileWins) {
    write(root_ / "core" / "models.postgresql.sql",
          "CREATE TABLE account (id BIGSERIAL PRIMARY KEY) broken;\n");
    write(root_ / "core" / "models.sqlite.sql",
          std::string(kCoreModels) + "CREATE TABLE setting (name TEXT PRIMARY KEY);\n");
    ASSERT_EQ(autogenerate("", "initial"), 0);
    const auto files = files_in(versions());
    ASSERT_EQ(files.size(), 1u);
    EXPECT_NE(read_migration_file(files[0], false)
                  .section(Direction::upgrade, "sqlite")
                  ->sql.find("CREATE TABLE setting"),
              std::string::npos);
}

TEST_F(Autogenerate, BrokenModelsNameTheFileAndLine) {
    write(root_ / "apps" / "blog" / "models.sql",
          "\n\nCREATE TABLE broken (id INTEGER PRIMARY KEY,);\n");
    const std::string message = message_of(ExitCode::usage, [&] { autogenerate("", "x"); });
    EXPECT_EQ(message.rfind((root_ / "apps" / "blog" / "models.sql").string() + ":3: ", 0), 0u)
        << message;
}

}  // namespace
}  // namespace fastappkit
