#include "config/project.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "test_support/test_support.h"

namespace fastappkit {
namespace {

using test_support::message_of;
using test_support::ScopedTempDir;

std::string manifest_text(const std::string& name, const std::string& extra = "") {
    return fmt::format(
        "[tool.fastappkit]\nname = \"{}\"\nversion = \"0.1.0\"\nmigrations = \"migrations\"\n{}",
        name, extra);
}

// Keeps FASTAPPKIT_APP_PATH of the developer's shell out of the tests.
class ProjectTestBase : public ::testing::Test {
protected:
    void SetUp() override {
        if (const char* value = std::getenv("FASTAPPKIT_APP_PATH")) saved_app_path_ = value;
        ::unsetenv("FASTAPPKIT_APP_PATH");
    }
    void TearDown() override {
        if (saved_app_path_) {
            ::setenv("FASTAPPKIT_APP_PATH", saved_app_path_->c_str(), 1);
        } else {
            ::unsetenv("FASTAPPKIT_APP_PATH");
        }
    }

    // An external app in source layout: <dir>/<name>/<name>/fastappkit.toml + migrations/.
    void add_source_app(const std::string& dir, const std::string& name,
                        const std::string& extra = "") {
        scratch.write(fmt::format("{}/{}/{}/fastappkit.toml", dir, name, name),
                      manifest_text(name, extra));
        scratch.mkdir(fmt::format("{}/{}/{}/migrations", dir, name, name));
    }

    std::string config() const { return scratch.str("fastappkit.toml"); }
    std::string load_error(const std::string& toml) {
        scratch.write("fastappkit.toml", toml);
        return message_of(ExitCode::usage, [&] { load_project(scratch.path(), {}); });
    }

    ScopedTempDir scratch;

private:
    std::optional<std::string> saved_app_path_;
};

using ProjectLoaderTest = ProjectTestBase;

TEST_F(ProjectLoaderTest, MissingConfigurationFileNamesTheNormalisedRoot) {
    EXPECT_EQ(
        fmt::format(
            "Configuration file not found: {}/fastappkit.toml (run from the project root or pass "
            "--project-root)",
            scratch.str()),
        message_of(ExitCode::usage,
                   [&] { load_project(scratch.path() / "sub" / ".." / ".", {}); }));
}

// toml++ 3.3 meets this with a failed assertion before its parse error (found by the fuzzer).
TEST_F(ProjectLoaderTest, ATableHeaderStartingWithACommentIsAParseError) {
    EXPECT_EQ(fmt::format("{}:1: Error while parsing key: expected bare key starting character or "
                          "string delimiter, saw '#'",
                          config()),
              load_error("[#t"));
}

// toml++ 3.3 passes one of its unreachable marks on U+FEBF after a value (found by the fuzzer).
TEST_F(ProjectLoaderTest, ANonAsciiCharacterAfterAnArrayItemIsAParseError) {
    EXPECT_EQ(fmt::format("{}:2: Error while parsing array: expected comma or closing ']', saw "
                          "'\xef\xba\xbf'",
                          config()),
              load_error("[tool.fastappkit]\napps = [\"apps.auth\"\xef\xba\xbf# \na\n"));
}

TEST_F(ProjectLoaderTest, EmptyAppsList) {
    scratch.write("fastappkit.toml", "[tool.fastappkit]\napps = []\n");
    const Project project = load_project(scratch.path() / ".", {});
    EXPECT_EQ(scratch.path(), project.root);
    EXPECT_EQ(scratch.path() / "fastappkit.toml", project.config_file);
    EXPECT_TRUE(project.apps.empty());
    EXPECT_EQ(std::vector<std::string>{"core"}, project.migration_order);
    EXPECT_EQ(scratch.path() / "core" / "db" / "migrations", project.core_migrations_dir());
}

TEST_F(ProjectLoaderTest, InternalApps) {
    scratch.mkdir("apps/auth");
    scratch.mkdir("apps/blog");
    scratch.write("fastappkit.toml", "[tool.fastappkit]\napps = [\"apps.auth\", \"apps.blog\"]\n");
    const Project project = load_project(scratch.path(), {});
    ASSERT_EQ(2u, project.apps.size());
    EXPECT_EQ("auth", project.apps[0].name);
    EXPECT_EQ(AppKind::internal, project.apps[0].kind);
    EXPECT_EQ(scratch.path() / "apps" / "auth", project.apps[0].dir);
    EXPECT_FALSE(project.apps[0].manifest);
    EXPECT_EQ((std::vector<std::string>{"core", "auth", "blog"}), project.migration_order);
    EXPECT_TRUE(project.external_apps().empty());
    EXPECT_EQ(&project.apps[1], project.find_app("blog"));
    EXPECT_EQ(nullptr, project.find_app("core"));
}

TEST_F(ProjectLoaderTest, MissingInternalAppDirectory) {
    EXPECT_EQ(fmt::format("{}:2: directory of internal app 'blog' not found: {}", config(),
                          scratch.str("apps/blog")),
              load_error("[tool.fastappkit]\napps = [\"apps.blog\"]\n"));
}

TEST_F(ProjectLoaderTest, ExternalAppInSourceLayout) {
    add_source_app("external", "payments");
    scratch.write("fastappkit.toml",
                  "[tool.fastappkit]\napps = [\"payments\"]\napp_path = [\"external\"]\n");
    const Project project = load_project(scratch.path(), {});
    ASSERT_EQ(1u, project.apps.size());
    const App& app = project.apps[0];
    EXPECT_EQ(AppKind::external, app.kind);
    EXPECT_EQ(scratch.path() / "external/payments/payments", app.dir);
    ASSERT_TRUE(app.manifest);
    EXPECT_EQ("payments", app.manifest->name);
    EXPECT_EQ("0.1.0", app.manifest->version);
    EXPECT_EQ(scratch.path() / "external/payments/payments/fastappkit.toml",
              app.manifest->manifest_file);
    EXPECT_EQ(scratch.path() / "external/payments/payments/migrations",
              app.manifest->migrations_dir);
    EXPECT_FALSE(app.manifest->requires_apps);
    EXPECT_FALSE(app.manifest->models_file);
    EXPECT_EQ(std::vector<fs::path>{scratch.path() / "external"}, project.app_search_path);
    EXPECT_EQ((std::vector<const App*>{&app}), project.external_apps());
    EXPECT_EQ(std::vector<std::string>{"core"}, project.migration_order);
}

TEST_F(ProjectLoaderTest, ExternalAppInInstalledLayoutFromExtraAppPath) {
    scratch.write("prefix/share/fastappkit/apps/payments/fastappkit.toml",
                  manifest_text("payments"));
    scratch.mkdir("prefix/share/fastappkit/apps/payments/migrations");
    scratch.write("project/fastappkit.toml", "[tool.fastappkit]\napps = [\"payments\"]\n");
    const Project project =
        load_project(scratch.path() / "project", {scratch.path() / "prefix/share/fastappkit/apps"});
    EXPECT_EQ(scratch.path() / "prefix/share/fastappkit/apps/payments", project.apps[0].dir);
    EXPECT_EQ(scratch.path() / "prefix/share/fastappkit/apps/payments/migrations",
              project.apps[0].manifest->migrations_dir);
}

TEST_F(ProjectLoaderTest, ExternalAppFromEnvironmentSearchPath) {
    add_source_app("env_b", "analytics");
    ::setenv("FASTAPPKIT_APP_PATH",
             fmt::format("{}::{}:", scratch.str("env_a"), scratch.str("env_b")).c_str(), 1);
    scratch.write("fastappkit.toml",
                  "[tool.fastappkit]\napps = [\"analytics\"]\napp_path = [\"external\"]\n");
    const Project project = load_project(scratch.path(), {scratch.path() / "extra"});
    EXPECT_EQ(scratch.path() / "env_b/analytics/analytics", project.apps[0].dir);
    EXPECT_EQ((std::vector<fs::path>{scratch.path() / "external", scratch.path() / "env_a",
                                     scratch.path() / "env_b", scratch.path() / "extra"}),
              project.app_search_path);
}

TEST_F(ProjectLoaderTest, SearchOrderIsAppPathThenEnvironmentThenExtraPaths) {
    add_source_app("first", "payments");
    add_source_app("second", "payments");
    add_source_app("third", "payments");
    ::setenv("FASTAPPKIT_APP_PATH", scratch.str("second").c_str(), 1);
    scratch.write("fastappkit.toml",
                  "[tool.fastappkit]\napps = [\"payments\"]\napp_path = [\"first\"]\n");
    EXPECT_EQ(scratch.path() / "first/payments/payments",
              load_project(scratch.path(), {"third"}).apps[0].dir);
    scratch.write("fastappkit.toml", "[tool.fastappkit]\napps = [\"payments\"]\n");
    EXPECT_EQ(scratch.path() / "second/payments/payments",
              load_project(scratch.path(), {"third"}).apps[0].dir);
}

TEST_F(ProjectLoaderTest, SourceLayoutWinsOverInstalledLayoutInOneDirectory) {
    add_source_app("external", "payments");
    scratch.write("external/payments/fastappkit.toml", "not read");
    scratch.write("fastappkit.toml",
                  "[tool.fastappkit]\napps = [\"payments\"]\napp_path = [\"external\"]\n");
    EXPECT_EQ(scratch.path() / "external/payments/payments",
              load_project(scratch.path(), {}).apps[0].dir);
}

TEST_F(ProjectLoaderTest, SymlinkedSearchDirectoryIsKept) {
    add_source_app("checkouts", "payments");
    fs::create_directory_symlink(scratch.path() / "checkouts", scratch.path() / "linked");
    scratch.write("fastappkit.toml",
                  "[tool.fastappkit]\napps = [\"payments\"]\napp_path = [\"./linked/\"]\n");
    EXPECT_EQ(scratch.path() / "linked/payments/payments",
              load_project(scratch.path(), {}).apps[0].dir);
}

TEST_F(ProjectLoaderTest, ExternalAppNotFoundListsTheSearchedDirectories) {
    EXPECT_EQ(
        fmt::format("{}:2: external app 'payments' not found (searched {}, {}); add its parent "
                    "directory to "
                    "app_path, FASTAPPKIT_APP_PATH or --app-path",
                    config(), scratch.str("external"), scratch.str("vendor")),
        load_error(
            "[tool.fastappkit]\napps = [\"payments\"]\napp_path = [\"external\", \"vendor\"]\n"));
}

TEST_F(ProjectLoaderTest, ExternalAppNotFoundWithEmptySearchPath) {
    EXPECT_EQ(
        fmt::format(
            "{}:3: external app 'payments' not found (searched nothing: the app search path is "
            "empty); add its parent directory to app_path, FASTAPPKIT_APP_PATH or --app-path",
            config()),
        load_error("[tool.fastappkit]\napps = [\n  \"payments\",\n]\n"));
}

TEST_F(ProjectLoaderTest, FilesystemPathAsAppEntry) {
    const std::string message =
        "{}:2: apps entry '{}' is a filesystem path; list an external app by name and put its "
        "parent directory in "
        "app_path";
    EXPECT_EQ(fmt::format(message, config(), "external/payments"),
              load_error("[tool.fastappkit]\napps = [\"external/payments\"]\n"));
    EXPECT_EQ(fmt::format(message, config(), "./payments"),
              load_error("[tool.fastappkit]\napps = [\"./payments\"]\n"));
    EXPECT_EQ(fmt::format(message, config(), "..\\payments"),
              load_error("[tool.fastappkit]\napps = ['..\\payments']\n"));
}

TEST_F(ProjectLoaderTest, InvalidAppNames) {
    const std::string rule = "(use [a-z_][a-z0-9_]*, at most 40 characters)";
    EXPECT_EQ(fmt::format("{}:2: app name 'Payments' in apps entry 'Payments' is not valid {}",
                          config(), rule),
              load_error("[tool.fastappkit]\napps = [\"Payments\"]\n"));
    EXPECT_EQ(fmt::format("{}:2: app name 'my-blog' in apps entry 'apps.my-blog' is not valid {}",
                          config(), rule),
              load_error("[tool.fastappkit]\napps = [\"apps.my-blog\"]\n"));
    EXPECT_EQ(
        fmt::format("{}:2: app name '' in apps entry 'apps.' is not valid {}", config(), rule),
        load_error("[tool.fastappkit]\napps = [\"apps.\"]\n"));
    const std::string long_name(41, 'a');
    EXPECT_EQ(fmt::format("{}:2: app name '{}' in apps entry '{}' is not valid {}", config(),
                          long_name, long_name, rule),
              load_error(fmt::format("[tool.fastappkit]\napps = [\"{}\"]\n", long_name)));
}

TEST_F(ProjectLoaderTest, CoreIsAReservedName) {
    EXPECT_EQ(fmt::format(
                  "{}:2: apps entry 'apps.core' uses the reserved name 'core' (the project's core)",
                  config()),
              load_error("[tool.fastappkit]\napps = [\"apps.core\"]\n"));
}

TEST_F(ProjectLoaderTest, DuplicateApps) {
    scratch.mkdir("apps/blog");
    add_source_app("external", "payments");
    EXPECT_EQ(
        fmt::format("{}:2: app 'payments' is listed twice in apps ('payments' and 'payments')",
                    config()),
        load_error(
            "[tool.fastappkit]\napps = [\"payments\", \"payments\"]\napp_path = [\"external\"]\n"));
    EXPECT_EQ(
        fmt::format("{}:3: app 'blog' is listed twice in apps ('apps.blog' and 'blog')", config()),
        load_error("[tool.fastappkit]\napps = [\"apps.blog\",\n\"blog\"]\n"));
}

TEST_F(ProjectLoaderTest, UnknownKeyInToolTable) {
    EXPECT_EQ(fmt::format("{}:3: unknown key 'app_paths' in [tool.fastappkit] (expected apps, "
                          "app_path, migration)",
                          config()),
              load_error("[tool.fastappkit]\napps = []\napp_paths = [\"external\"]\n"));
}

TEST_F(ProjectLoaderTest, OtherTablesAreIgnored) {
    scratch.write(
        "fastappkit.toml",
        "[project]\nname = \"shop\"\n[tool.other]\nx = 1\n[tool.fastappkit]\napps = []\n");
    EXPECT_TRUE(load_project(scratch.path(), {}).apps.empty());
}

TEST_F(ProjectLoaderTest, MissingToolTable) {
    EXPECT_EQ(fmt::format("{}: missing the [tool.fastappkit] table", config()),
              load_error("[tool.other]\napps = []\n"));
}

TEST_F(ProjectLoaderTest, MissingApps) {
    EXPECT_EQ(fmt::format("{}: [tool.fastappkit] is missing the required key 'apps' (an array of "
                          "app names, may be "
                          "empty)",
                          config()),
              load_error("[tool.fastappkit]\napp_path = []\n"));
}

TEST_F(ProjectLoaderTest, WrongTypes) {
    EXPECT_EQ(fmt::format("{}:2: 'apps' must be an array of strings", config()),
              load_error("[tool.fastappkit]\napps = \"payments\"\n"));
    EXPECT_EQ(fmt::format("{}:3: 'apps' must be an array of strings", config()),
              load_error("[tool.fastappkit]\napps = [\n1]\n"));
    EXPECT_EQ(fmt::format("{}:3: 'app_path' must be an array of strings", config()),
              load_error("[tool.fastappkit]\napps = []\napp_path = \"external\"\n"));
}

TEST_F(ProjectLoaderTest, TomlSyntaxErrorNamesFileAndLine) {
    EXPECT_EQ(fmt::format("{}:3: Error while parsing key-value pair: expected value, saw '\\n'",
                          config()),
              load_error("[tool.fastappkit]\napps = []\nbroken =\n"));
}

TEST_F(ProjectLoaderTest, MigrationOrderOverride) {
    for (const char* app : {"auth", "blog", "shop"}) scratch.mkdir(std::string("apps/") + app);
    const std::string apps =
        "[tool.fastappkit]\napps = [\"apps.auth\", \"apps.blog\", \"apps.shop\"]\n";
    scratch.write("fastappkit.toml",
                  apps + "[tool.fastappkit.migration]\norder = [\"core\", \"shop\"]\n");
    EXPECT_EQ((std::vector<std::string>{"core", "shop", "auth", "blog"}),
              load_project(scratch.path(), {}).migration_order);
    scratch.write("fastappkit.toml",
                  apps + "[tool.fastappkit.migration]\norder = [\"blog\", \"auth\"]\n");
    EXPECT_EQ((std::vector<std::string>{"core", "blog", "auth", "shop"}),
              load_project(scratch.path(), {}).migration_order);
    scratch.write("fastappkit.toml", apps + "[tool.fastappkit.migration]\n");
    EXPECT_EQ((std::vector<std::string>{"core", "auth", "blog", "shop"}),
              load_project(scratch.path(), {}).migration_order);
}

TEST_F(ProjectLoaderTest, MigrationOrderErrors) {
    scratch.mkdir("apps/auth");
    add_source_app("external", "payments");
    const std::string apps =
        "[tool.fastappkit]\napps = [\"apps.auth\", \"payments\"]\napp_path = [\"external\"]\n";
    EXPECT_EQ(fmt::format("{}:5: migration.order must list 'core' first, or not at all", config()),
              load_error(apps + "[tool.fastappkit.migration]\norder = [\"auth\", \"core\"]\n"));
    EXPECT_EQ(
        fmt::format("{}:5: migration.order names 'blog', which is not an internal app in apps",
                    config()),
        load_error(apps + "[tool.fastappkit.migration]\norder = [\"blog\"]\n"));
    EXPECT_EQ(
        fmt::format("{}:5: migration.order names 'payments', which is not an internal app in apps",
                    config()),
        load_error(apps + "[tool.fastappkit.migration]\norder = [\"payments\"]\n"));
    EXPECT_EQ(fmt::format("{}:5: migration.order lists 'auth' twice", config()),
              load_error(apps + "[tool.fastappkit.migration]\norder = [\"auth\", \"auth\"]\n"));
    EXPECT_EQ(
        fmt::format(
            "{}:5: unknown key 'ordr' in [tool.fastappkit.migration] (expected order, "
            "lock_timeout, statement_timeout, lock_retries, lock, lock_ttl, direct_url, verify)",
            config()),
        load_error(apps + "[tool.fastappkit.migration]\nordr = []\n"));
    EXPECT_EQ(
        fmt::format("{}:4: 'migration' must be a table ([tool.fastappkit.migration])", config()),
        load_error(apps + "migration = \"auth\"\n"));
}

TEST_F(ProjectLoaderTest, MigrationTimeouts) {
    const std::string apps = "[tool.fastappkit]\napps = []\n";
    scratch.write("fastappkit.toml", apps +
                                         "[tool.fastappkit.migration]\nlock_timeout = \"500ms\"\n"
                                         "statement_timeout = \"2min\"\nlock_retries = 0\n");
    const Project project = load_project(scratch.path(), {});
    EXPECT_EQ(project.migration.timeouts.lock_timeout, std::chrono::milliseconds(500));
    EXPECT_EQ(project.migration.timeouts.statement_timeout, std::chrono::minutes(2));
    EXPECT_EQ(project.migration.lock_retries, 0);
    scratch.write("fastappkit.toml", apps);
    EXPECT_FALSE(load_project(scratch.path(), {}).migration.timeouts.any());
    EXPECT_EQ(
        fmt::format(
            "{}:4: lock_timeout '5 s' is not a duration; write a whole number and a unit, such "
            "as \"500ms\", \"5s\" or \"2min\"",
            config()),
        load_error(apps + "[tool.fastappkit.migration]\nlock_timeout = \"5 s\"\n"));
    EXPECT_EQ(fmt::format("{}:4: lock_retries must be a whole number from 0 to 100", config()),
              load_error(apps + "[tool.fastappkit.migration]\nlock_retries = -1\n"));
}

TEST_F(ProjectLoaderTest, MigrationLockSettings) {
    const std::string apps = "[tool.fastappkit]\napps = []\n";
    scratch.write("fastappkit.toml",
                  apps +
                      "[tool.fastappkit.migration]\nlock = \"table\"\nlock_ttl = \"10s\"\n"
                      "direct_url = \"postgresql://app@db-primary/app\"\n");
    const Project project = load_project(scratch.path(), {});
    EXPECT_EQ(project.migration.lock, LockMode::table);
    EXPECT_EQ(project.migration.lock_ttl, std::chrono::seconds(10));
    EXPECT_EQ(project.migration.direct_url, "postgresql://app@db-primary/app");
    scratch.write("fastappkit.toml", apps);
    EXPECT_FALSE(load_project(scratch.path(), {}).migration.lock.has_value());
    EXPECT_EQ(fmt::format("{}:4: lock must be \"auto\", \"advisory\" or \"table\", not 'session'",
                          config()),
              load_error(apps + "[tool.fastappkit.migration]\nlock = \"session\"\n"));
    EXPECT_EQ(fmt::format("{}: lock_ttl must be at least 1s", config()),
              load_error(apps + "[tool.fastappkit.migration]\nlock_ttl = \"500ms\"\n"));
}

TEST_F(ProjectLoaderTest, ManifestErrorsSurfaceThroughTheProject) {
    add_source_app("external", "payments", "version_table = \"alembic_version\"\n");
    const std::string manifest = scratch.str("external/payments/payments/fastappkit.toml");
    EXPECT_EQ(fmt::format("{}:5: app 'payments' declares version_table 'alembic_version'; an "
                          "external app's version "
                          "table must be 'alembic_version_payments'",
                          manifest),
              load_error("[tool.fastappkit]\napps = [\"payments\"]\napp_path = [\"external\"]\n"));
}

TEST(ProjectAppNameTest, Rules) {
    EXPECT_TRUE(is_valid_app_name("payments"));
    EXPECT_TRUE(is_valid_app_name("_private2"));
    EXPECT_TRUE(is_valid_app_name(std::string(40, 'a')));
    EXPECT_FALSE(is_valid_app_name(std::string(41, 'a')));
    EXPECT_FALSE(is_valid_app_name(""));
    EXPECT_FALSE(is_valid_app_name("2fa"));
    EXPECT_FALSE(is_valid_app_name("Payments"));
    EXPECT_FALSE(is_valid_app_name("my-app"));
    EXPECT_FALSE(is_valid_app_name("my.app"));
    EXPECT_STREQ("core", to_string(AppKind::core));
    EXPECT_STREQ("internal", to_string(AppKind::internal));
    EXPECT_STREQ("external", to_string(AppKind::external));
}

// ---------------------------------------------------------------------------------------------
// Manifests

class ProjectManifestTest : public ProjectTestBase {
protected:
    std::string manifest() const { return scratch.str("payments/fastappkit.toml"); }
    std::string manifest_error(const std::string& toml) {
        scratch.write("payments/fastappkit.toml", toml);
        return message_of(ExitCode::usage, [&] {
            load_manifest(scratch.path() / "payments/fastappkit.toml", "payments");
        });
    }
    void SetUp() override {
        ProjectTestBase::SetUp();
        scratch.mkdir("payments/migrations");
    }
};

TEST_F(ProjectManifestTest, AllKeys) {
    scratch.write("payments/fastappkit.toml",
                  manifest_text("payments", R"(models = "schema/models.sql"
requires = ["analytics", "billing"]
entrypoint = "payments:register"
version_table = "alembic_version_payments"
)"));
    const AppManifest m = load_manifest(scratch.path() / "payments/./fastappkit.toml", "payments");
    EXPECT_EQ("payments", m.name);
    EXPECT_EQ("0.1.0", m.version);
    EXPECT_EQ(scratch.path() / "payments/fastappkit.toml", m.manifest_file);
    EXPECT_EQ(scratch.path() / "payments", m.dir);
    EXPECT_EQ(scratch.path() / "payments/migrations", m.migrations_dir);
    EXPECT_FALSE(fs::exists(m.migrations_dir / "versions"));  // an app with no migrations yet
    EXPECT_EQ(scratch.path() / "payments/schema/models.sql", m.models_file);
    EXPECT_EQ((std::vector<std::string>{"analytics", "billing"}), m.requires_apps);
    EXPECT_EQ("payments:register", m.entrypoint);
}

TEST_F(ProjectManifestTest, EmptyRequiresIsPresent) {
    scratch.write("payments/fastappkit.toml", manifest_text("payments", "requires = []\n"));
    const AppManifest m = load_manifest(scratch.path() / "payments/fastappkit.toml", "payments");
    ASSERT_TRUE(m.requires_apps);
    EXPECT_TRUE(m.requires_apps->empty());
}

TEST_F(ProjectManifestTest, MissingManifest) {
    EXPECT_EQ(fmt::format("App manifest not found: {}", scratch.str("billing/fastappkit.toml")),
              message_of(ExitCode::usage, [&] {
                  load_manifest(scratch.path() / "billing/fastappkit.toml", "billing");
              }));
}

TEST_F(ProjectManifestTest, MissingRequiredKeys) {
    const std::string message = "{}: [tool.fastappkit] is missing the required key '{}'";
    EXPECT_EQ(fmt::format(message, manifest(), "name"),
              manifest_error("[tool.fastappkit]\nversion = \"1\"\nmigrations = \"migrations\"\n"));
    EXPECT_EQ(
        fmt::format(message, manifest(), "version"),
        manifest_error("[tool.fastappkit]\nname = \"payments\"\nmigrations = \"migrations\"\n"));
    EXPECT_EQ(fmt::format(message, manifest(), "migrations"),
              manifest_error("[tool.fastappkit]\nname = \"payments\"\nversion = \"1\"\n"));
    EXPECT_EQ(fmt::format("{}: missing the [tool.fastappkit] table", manifest()),
              manifest_error("name = \"payments\"\n"));
}

TEST_F(ProjectManifestTest, WrongTypes) {
    EXPECT_EQ(
        fmt::format("{}:3: 'version' must be a string", manifest()),
        manifest_error(
            "[tool.fastappkit]\nname = \"payments\"\nversion = 1\nmigrations = \"migrations\"\n"));
    EXPECT_EQ(fmt::format("{}:5: 'requires' must be an array of strings", manifest()),
              manifest_error(manifest_text("payments", "requires = \"analytics\"\n")));
    EXPECT_EQ(fmt::format("{}:5: 'entrypoint' must be a string", manifest()),
              manifest_error(manifest_text("payments", "entrypoint = []\n")));
}

TEST_F(ProjectManifestTest, NameMustMatchDirectoryAndBeValid) {
    EXPECT_EQ(fmt::format("{}:2: app name 'billing' does not match its directory name 'payments'",
                          manifest()),
              manifest_error(manifest_text("billing")));
    EXPECT_EQ(
        fmt::format(
            "{}:2: app name 'Payments' is not valid (use [a-z_][a-z0-9_]*, at most 40 characters)",
            manifest()),
        manifest_error(manifest_text("Payments")));
}

TEST_F(ProjectManifestTest, UnknownKey) {
    EXPECT_EQ(
        fmt::format(
            "{}:5: unknown key 'require' in [tool.fastappkit] (expected name, version, migrations, "
            "models, requires, entrypoint, version_table, migration)",
            manifest()),
        manifest_error(manifest_text("payments", "require = []\n")));
}

TEST_F(ProjectManifestTest, MigrationsPathRules) {
    const std::string head = "[tool.fastappkit]\nname = \"payments\"\nversion = \"0.1.0\"\n";
    EXPECT_EQ(
        fmt::format(
            "{}:4: 'migrations' must be a path relative to the manifest's directory, not '/srv/m'",
            manifest()),
        manifest_error(head + "migrations = \"/srv/m\"\n"));
    EXPECT_EQ(fmt::format(
                  "{}:4: 'migrations' must be a path relative to the manifest's directory, not ''",
                  manifest()),
              manifest_error(head + "migrations = \"\"\n"));
    EXPECT_EQ(
        fmt::format(
            "{}:4: 'migrations' must not leave the app's directory ('..' in 'm/../../shared')",
            manifest()),
        manifest_error(head + "migrations = \"m/../../shared\"\n"));
    EXPECT_EQ(fmt::format("Migrations directory not found: {} (app 'payments', {})",
                          scratch.str("payments/db/migrations"), manifest()),
              manifest_error(head + "migrations = \"db/migrations\"\n"));
    EXPECT_EQ(
        fmt::format("{}:5: 'models' must not leave the app's directory ('..' in '../models.sql')",
                    manifest()),
        manifest_error(manifest_text("payments", "models = \"../models.sql\"\n")));
}

TEST_F(ProjectManifestTest, MigrationsDirectoryTrailingSlashIsNormalised) {
    scratch.write("payments/fastappkit.toml",
                  "[tool.fastappkit]\nname = \"payments\"\nversion = \"0.1.0\"\nmigrations = "
                  "\"./migrations/\"\n");
    EXPECT_EQ(
        scratch.path() / "payments/migrations",
        load_manifest(scratch.path() / "payments/fastappkit.toml", "payments").migrations_dir);
}

TEST_F(ProjectManifestTest, VersionTableMustBeTheAppsOwn) {
    const std::string message =
        "{}:5: app 'payments' declares version_table '{}'; an external app's version table must be "
        "'alembic_version_payments'";
    EXPECT_EQ(fmt::format(message, manifest(), "alembic_version"),
              manifest_error(manifest_text("payments", "version_table = \"alembic_version\"\n")));
    EXPECT_EQ(fmt::format(message, manifest(), "payments_version"),
              manifest_error(manifest_text("payments", "version_table = \"payments_version\"\n")));
}

TEST_F(ProjectManifestTest, InvalidRequiresEntry) {
    EXPECT_EQ(fmt::format("{}:5: requires entry 'Analytics' is not a valid app name (use "
                          "[a-z_][a-z0-9_]*, at most 40 "
                          "characters)",
                          manifest()),
              manifest_error(manifest_text("payments", "requires = [\"Analytics\"]\n")));
}

// ---------------------------------------------------------------------------------------------
// Standalone mode

using ProjectStandaloneTest = ProjectTestBase;

TEST_F(ProjectStandaloneTest, FindsTheOneAppManifest) {
    EXPECT_FALSE(find_standalone_manifest(scratch.path()));
    scratch.write("payments/fastappkit.toml", manifest_text("payments"));
    scratch.write("docs/readme.txt", "");
    EXPECT_EQ(scratch.path() / "payments/fastappkit.toml",
              find_standalone_manifest(scratch.path() / "."));
}

TEST_F(ProjectStandaloneTest, AProjectRootIsNeverStandalone) {
    scratch.write("fastappkit.toml", "[tool.fastappkit]\napps = []\n");
    scratch.write("payments/fastappkit.toml", manifest_text("payments"));
    EXPECT_FALSE(find_standalone_manifest(scratch.path()));
}

TEST_F(ProjectStandaloneTest, NestedProjectIsNotAnAppManifest) {
    scratch.write("example-project/fastappkit.toml", "[tool.fastappkit]\napps = []\n");
    EXPECT_FALSE(find_standalone_manifest(scratch.path()));
}

TEST_F(ProjectStandaloneTest, SeveralManifestsAreAnError) {
    scratch.write("payments/fastappkit.toml", manifest_text("payments"));
    scratch.write("billing/fastappkit.toml", manifest_text("billing"));
    EXPECT_EQ(fmt::format("{}: several app manifests found ({}, {}); a standalone app's checkout "
                          "holds exactly one",
                          scratch.str(), scratch.str("billing/fastappkit.toml"),
                          scratch.str("payments/fastappkit.toml")),
              message_of(ExitCode::usage, [&] { find_standalone_manifest(scratch.path()); }));
}

}  // namespace
}  // namespace fastappkit
