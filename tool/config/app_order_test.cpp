#include "config/app_order.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "test_support/test_support.h"

namespace fastappkit {
namespace {

using Requires = std::optional<std::vector<std::string>>;

// A manifest's `requires` key (present, possibly empty).
Requires needs(std::initializer_list<std::string> names) { return std::vector<std::string>(names); }

App external(const std::string& name, Requires requires_apps = std::nullopt) {
    AppManifest manifest;
    manifest.name = name;
    manifest.dir = fmt::format("/src/{}/{}", name, name);
    manifest.manifest_file = manifest.dir / "fastappkit.toml";
    manifest.requires_apps = std::move(requires_apps);
    return App{name, AppKind::external, manifest.dir, manifest};
}

App internal(const std::string& name) {
    return App{name, AppKind::internal, "/src/project/apps/" + name, std::nullopt};
}

Project project_of(std::vector<App> apps) {
    Project project;
    project.root = "/src/project";
    project.config_file = "/src/project/fastappkit.toml";
    project.apps = std::move(apps);
    return project;
}

// "name: dep, dep" per step, so a whole order reads as one comparable value.
std::vector<std::string> describe(const std::vector<AppStep>& steps) {
    std::vector<std::string> lines;
    for (const AppStep& step : steps) {
        lines.push_back(fmt::format("{}: {}", step.name, fmt::join(step.depends_on, ", ")));
    }
    return lines;
}

std::vector<std::string> order_of(std::vector<App> apps) {
    return describe(external_app_order(project_of(std::move(apps))));
}

std::string error_of(std::vector<App> apps) {
    return test_support::message_of(ExitCode::usage,
                                    [&] { external_app_order(project_of(std::move(apps))); });
}

TEST(AppOrderTest, NoExternalApps) { EXPECT_TRUE(order_of({internal("blog")}).empty()); }

TEST(AppOrderTest, WithoutRequiresEachAppFollowsThePreviousOne) {
    EXPECT_EQ((std::vector<std::string>{"a: ", "b: a", "c: b"}),
              order_of({internal("blog"), external("a"), internal("auth"), external("b"),
                        external("c")}));
}

TEST(AppOrderTest, EmptyRequiresMakesAnAppIndependent) {
    EXPECT_EQ((std::vector<std::string>{"a: ", "b: ", "c: b"}),
              order_of({external("a"), external("b", needs({})), external("c")}));
}

TEST(AppOrderTest, AnAppComesAfterWhatItRequires) {
    EXPECT_EQ((std::vector<std::string>{"analytics: ", "payments: analytics"}),
              order_of({external("payments", needs({"analytics"})), external("analytics")}));
}

// Stable: only the app that must wait moves; everything else keeps `apps` order, and an app
// without `requires` follows whichever app precedes it in the final order.
TEST(AppOrderTest, OrderIsStable) {
    EXPECT_EQ((std::vector<std::string>{"b: ", "c: b", "a: c", "d: a"}),
              order_of({external("a", needs({"c"})), external("b"), external("c"), external("d")}));
    EXPECT_EQ((std::vector<std::string>{"x: ", "y: ", "z: x, y"}),
              order_of({external("x", needs({})), external("y", needs({})),
                        external("z", needs({"x", "y"}))}));
}

TEST(AppOrderTest, DuplicateRequirementIsListedOnce) {
    EXPECT_EQ((std::vector<std::string>{"a: ", "b: a"}),
              order_of({external("a"), external("b", needs({"a", "a"}))}));
}

TEST(AppOrderTest, RequiredAppNotInApps) {
    EXPECT_EQ(
        "/src/payments/payments/fastappkit.toml: app 'payments' requires 'analytics', which is not "
        "an external "
        "app in apps of /src/project/fastappkit.toml",
        error_of({external("payments", needs({"analytics"}))}));
}

TEST(AppOrderTest, RequiredAppIsInternal) {
    EXPECT_EQ(
        "/src/payments/payments/fastappkit.toml: app 'payments' requires 'blog', which is not an "
        "external app "
        "in apps of /src/project/fastappkit.toml",
        error_of({internal("blog"), external("payments", needs({"blog"}))}));
}

TEST(AppOrderTest, Cycles) {
    EXPECT_EQ("/src/a/a/fastappkit.toml: external apps require each other in a cycle: a -> b -> a",
              error_of({external("a", needs({"b"})), external("b", needs({"a"}))}));
    EXPECT_EQ("/src/a/a/fastappkit.toml: external apps require each other in a cycle: a -> a",
              error_of({external("a", needs({"a"}))}));
    EXPECT_EQ(
        "/src/a/a/fastappkit.toml: external apps require each other in a cycle: a -> c -> b -> a",
        error_of({external("x"), external("a", needs({"c"})), external("b", needs({"a"})),
                  external("c", needs({"b"}))}));
    // d only leads into the cycle; it is not part of it.
    EXPECT_EQ("/src/a/a/fastappkit.toml: external apps require each other in a cycle: a -> b -> a",
              error_of({external("d", needs({"a"})), external("a", needs({"b"})),
                        external("b", needs({"a"}))}));
}

}  // namespace
}  // namespace fastappkit
