// Reads fastappkit.toml and external app manifests (docs/configuration.md). This is the only file
// that includes toml++: the header is heavy, and TOML is parsed in one place only.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <initializer_list>
#include <map>
#include <string_view>

#include <fmt/format.h>
// toml++ is compiled here (header-only). Its internal assertions stay off, as in a release build
// of the library: 3.3 asserts on input that it then rejects with a proper parse error ("[#t"
// reaches its key parser with '#'), which would abort a debug build instead.
#define TOML_ASSERT(expr) static_assert(true)
#include <toml++/toml.h>

#include "common/error.h"
#include "config/project.h"

namespace fastappkit {

namespace {

constexpr const char* kConfigFileName = "fastappkit.toml";
constexpr const char* kAppNameRule = "[a-z_][a-z0-9_]*, at most 40 characters";

// A string from a TOML file with the `path:line` it came from, ready to prefix an error.
struct Located {
    std::string value;
    std::string where;
};

// Absolute and lexically normal, not canonical: symlinked checkouts keep the path users gave.
fs::path absolute_normal(const fs::path& path) {
    fs::path normal =
        fs::absolute(path.empty() ? "." : path).lexically_normal();  // absolute("") throws
    // lexically_normal turns "/x/." into "/x/"; drop the trailing separator so joins read well.
    if (normal.has_relative_path() && normal.filename().empty()) normal = normal.parent_path();
    return normal;
}

std::string where(const fs::path& file, const toml::source_region& region) {
    if (region.begin.line == 0) return file.string();
    return fmt::format("{}:{}", file.string(), region.begin.line);
}

toml::table parse_toml(const fs::path& file) {
    try {
        return toml::parse_file(file.string());
    } catch (const toml::parse_error& error) {
        throw usage_error(fmt::format("{}: {}", where(file, error.source()), error.description()));
    }
}

const toml::table& fastappkit_table(const toml::table& document, const fs::path& file) {
    const toml::table* table = document["tool"]["fastappkit"].as_table();
    if (!table)
        throw usage_error(fmt::format("{}: missing the [tool.fastappkit] table", file.string()));
    return *table;
}

// Unknown keys are errors so that a typo ("app_paths") does not silently do nothing.
void reject_unknown_keys(const toml::table& table, std::initializer_list<std::string_view> known,
                         const fs::path& file, std::string_view table_name) {
    for (auto&& [key, node] : table) {
        if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
        throw usage_error(fmt::format("{}: unknown key '{}' in [{}] (expected {})",
                                      where(file, key.source()), key.str(), table_name,
                                      fmt::join(known, ", ")));
    }
}

std::optional<Located> optional_string(const toml::table& table, std::string_view key,
                                       const fs::path& file) {
    const toml::node* node = table.get(key);
    if (!node) return std::nullopt;
    const auto* text = node->as_string();
    if (!text)
        throw usage_error(
            fmt::format("{}: '{}' must be a string", where(file, node->source()), key));
    return Located{text->get(), where(file, node->source())};
}

Located required_string(const toml::table& table, std::string_view key, const fs::path& file) {
    if (auto value = optional_string(table, key, file)) return *value;
    throw usage_error(
        fmt::format("{}: [tool.fastappkit] is missing the required key '{}'", file.string(), key));
}

std::optional<std::vector<Located>> optional_string_array(const toml::table& table,
                                                          std::string_view key,
                                                          const fs::path& file) {
    const toml::node* node = table.get(key);
    if (!node) return std::nullopt;
    const toml::array* array = node->as_array();
    if (!array) {
        throw usage_error(
            fmt::format("{}: '{}' must be an array of strings", where(file, node->source()), key));
    }
    std::vector<Located> values;
    for (const toml::node& element : *array) {
        const auto* text = element.as_string();
        if (!text) {
            throw usage_error(fmt::format("{}: '{}' must be an array of strings",
                                          where(file, element.source()), key));
        }
        values.push_back({text->get(), where(file, element.source())});
    }
    return values;
}

// ---------------------------------------------------------------------------------------------
// Apps of the project

struct AppEntry {
    std::string name;
    AppKind kind = AppKind::external;
};

bool looks_like_path(const std::string& entry) {
    return entry.find_first_of("/\\") != std::string::npos ||
           (!entry.empty() && entry.front() == '.');
}

AppEntry parse_app_entry(const Located& entry) {
    if (looks_like_path(entry.value)) {
        throw usage_error(
            fmt::format("{}: apps entry '{}' is a filesystem path; list an external app by name "
                        "and put its parent "
                        "directory in app_path",
                        entry.where, entry.value));
    }
    const std::string internal_prefix = "apps.";
    const bool internal = entry.value.rfind(internal_prefix, 0) == 0;
    AppEntry app{internal ? entry.value.substr(internal_prefix.size()) : entry.value,
                 internal ? AppKind::internal : AppKind::external};
    if (!is_valid_app_name(app.name)) {
        throw usage_error(fmt::format("{}: app name '{}' in apps entry '{}' is not valid (use {})",
                                      entry.where, app.name, entry.value, kAppNameRule));
    }
    // "core" names the shared history (migrate_core, migration.order), so no app may take it.
    if (app.name == "core") {
        throw usage_error(
            fmt::format("{}: apps entry '{}' uses the reserved name 'core' (the project's core)",
                        entry.where, entry.value));
    }
    return app;
}

// ':'-separated like PATH; empty entries are skipped, relative ones are relative to the current
// directory.
std::vector<fs::path> split_search_path_variable(const char* value) {
    std::vector<fs::path> dirs;
    std::string_view rest = value ? value : "";
    while (!rest.empty()) {
        const std::size_t colon = rest.find(':');
        const std::string_view entry = rest.substr(0, colon);
        if (!entry.empty()) dirs.push_back(absolute_normal(std::string(entry)));
        rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    }
    return dirs;
}

std::vector<fs::path> app_search_path(const fs::path& root, const std::vector<Located>& app_path,
                                      const std::vector<fs::path>& extra_app_paths) {
    std::vector<fs::path> dirs;
    for (const Located& entry : app_path) dirs.push_back(absolute_normal(root / entry.value));
    for (const fs::path& dir : split_search_path_variable(std::getenv("FASTAPPKIT_APP_PATH")))
        dirs.push_back(dir);
    for (const fs::path& dir : extra_app_paths) dirs.push_back(absolute_normal(dir));
    return dirs;
}

// Source layout (D/<name>/<name>/fastappkit.toml) first, then installed (D/<name>/fastappkit.toml).
std::optional<fs::path> find_external_manifest(const std::string& name,
                                               const std::vector<fs::path>& search_path) {
    for (const fs::path& dir : search_path) {
        for (const fs::path& candidate :
             {dir / name / name / kConfigFileName, dir / name / kConfigFileName}) {
            if (fs::is_regular_file(candidate)) return candidate;
        }
    }
    return std::nullopt;
}

std::string join_paths(const std::vector<fs::path>& paths) {
    std::vector<std::string> texts;
    for (const fs::path& path : paths) texts.push_back(path.string());
    return fmt::format("{}", fmt::join(texts, ", "));
}

App resolve_external_app(const AppEntry& entry, const Located& located, const Project& project) {
    const std::optional<fs::path> manifest_file =
        find_external_manifest(entry.name, project.app_search_path);
    if (!manifest_file) {
        const std::string searched = project.app_search_path.empty()
                                         ? "nothing: the app search path is empty"
                                         : join_paths(project.app_search_path);
        throw usage_error(fmt::format(
            "{}: external app '{}' not found (searched {}); add its parent directory to app_path, "
            "FASTAPPKIT_APP_PATH or --app-path",
            located.where, entry.name, searched));
    }
    App app{entry.name, AppKind::external, {}, load_manifest(*manifest_file, entry.name)};
    app.dir = app.manifest->dir;
    return app;
}

App resolve_internal_app(const AppEntry& entry, const Located& located, const Project& project) {
    const fs::path dir = project.root / "apps" / entry.name;
    if (!fs::is_directory(dir)) {
        throw usage_error(fmt::format("{}: directory of internal app '{}' not found: {}",
                                      located.where, entry.name, dir.string()));
    }
    return App{entry.name, AppKind::internal, dir, std::nullopt};
}

std::vector<App> resolve_apps(const std::vector<Located>& entries, const Project& project) {
    std::vector<App> apps;
    std::map<std::string, std::string> entry_of_name;  // to quote both entries of a duplicate
    for (const Located& located : entries) {
        const AppEntry entry = parse_app_entry(located);
        const auto [previous, inserted] = entry_of_name.emplace(entry.name, located.value);
        if (!inserted) {
            throw usage_error(fmt::format("{}: app '{}' is listed twice in apps ('{}' and '{}')",
                                          located.where, entry.name, previous->second,
                                          located.value));
        }
        apps.push_back(entry.kind == AppKind::internal
                           ? resolve_internal_app(entry, located, project)
                           : resolve_external_app(entry, located, project));
    }
    return apps;
}

// ---------------------------------------------------------------------------------------------
// [tool.fastappkit.migration] order, lock_timeout, statement_timeout, lock_retries

const toml::table* migration_table(const toml::table& settings, const fs::path& file,
                                   std::initializer_list<std::string_view> known) {
    const toml::node* node = settings.get("migration");
    if (!node) return nullptr;
    const toml::table* migration = node->as_table();
    if (!migration) {
        throw usage_error(
            fmt::format("{}: 'migration' must be a table ([tool.fastappkit.migration])",
                        where(file, node->source())));
    }
    reject_unknown_keys(*migration, known, file, "tool.fastappkit.migration");
    return migration;
}

std::vector<Located> migration_order_setting(const toml::table* migration, const fs::path& file) {
    if (!migration) return {};
    return optional_string_array(*migration, "order", file).value_or(std::vector<Located>{});
}

std::optional<std::chrono::milliseconds> timeout_setting(const toml::table& migration,
                                                         std::string_view key,
                                                         const fs::path& file) {
    const auto text = optional_string(migration, key, file);
    if (!text) return std::nullopt;
    if (const auto duration = parse_duration(text->value)) return duration;
    throw usage_error(
        fmt::format("{}: {} '{}' is not a duration; write a whole number and a unit, such as "
                    "\"500ms\", \"5s\" or \"2min\"",
                    text->where, key, text->value));
}

MigrationSettings migration_settings(const toml::table* migration, const fs::path& file) {
    MigrationSettings result;
    if (!migration) return result;
    result.timeouts.lock_timeout = timeout_setting(*migration, "lock_timeout", file);
    result.timeouts.statement_timeout = timeout_setting(*migration, "statement_timeout", file);
    if (const toml::node* node = migration->get("lock_retries")) {
        const auto* number = node->as_integer();
        if (!number || number->get() < 0 || number->get() > 100) {
            throw usage_error(fmt::format("{}: lock_retries must be a whole number from 0 to 100",
                                          where(file, node->source())));
        }
        result.lock_retries = static_cast<int>(number->get());
    }
    if (const auto lock = optional_string(*migration, "lock", file)) {
        if (lock->value == "auto") {
            result.lock = LockMode::automatic;
        } else if (lock->value == "advisory") {
            result.lock = LockMode::advisory;
        } else if (lock->value == "table") {
            result.lock = LockMode::table;
        } else {
            throw usage_error(
                fmt::format("{}: lock must be \"auto\", \"advisory\" or \"table\", not '{}'",
                            lock->where, lock->value));
        }
    }
    result.lock_ttl = timeout_setting(*migration, "lock_ttl", file);
    if (result.lock_ttl && *result.lock_ttl < std::chrono::seconds(1)) {
        throw usage_error(fmt::format("{}: lock_ttl must be at least 1s", file.string()));
    }
    if (const auto direct = optional_string(*migration, "direct_url", file))
        result.direct_url = direct->value;
    return result;
}

void check_order_entry(const Located& entry, std::size_t index, const Project& project) {
    if (entry.value == "core") {
        if (index == 0) return;
        throw usage_error(
            fmt::format("{}: migration.order must list 'core' first, or not at all", entry.where));
    }
    const App* app = project.find_app(entry.value);
    if (!app || app->kind != AppKind::internal) {
        throw usage_error(
            fmt::format("{}: migration.order names '{}', which is not an internal app in apps",
                        entry.where, entry.value));
    }
}

std::vector<std::string> migration_order(const std::vector<Located>& order,
                                         const Project& project) {
    std::vector<std::string> result{"core"};
    const auto listed = [&result](const std::string& name) {
        return std::find(result.begin(), result.end(), name) != result.end();
    };
    for (std::size_t index = 0; index < order.size(); ++index) {
        check_order_entry(order[index], index, project);
        if (index == 0 && order[index].value == "core") continue;
        if (listed(order[index].value)) {
            throw usage_error(fmt::format("{}: migration.order lists '{}' twice",
                                          order[index].where, order[index].value));
        }
        result.push_back(order[index].value);
    }
    for (const App& app : project.apps) {
        if (app.kind == AppKind::internal && !listed(app.name)) result.push_back(app.name);
    }
    return result;
}

// ---------------------------------------------------------------------------------------------
// Manifest fields

// Manifest paths stay inside the app so that an installed app is self-contained.
fs::path app_relative_path(const Located& setting, std::string_view key) {
    const fs::path path(setting.value);
    if (setting.value.empty() || path.has_root_path()) {
        throw usage_error(
            fmt::format("{}: '{}' must be a path relative to the manifest's directory, not '{}'",
                        setting.where, key, setting.value));
    }
    for (const fs::path& component : path) {
        if (component == "..") {
            throw usage_error(
                fmt::format("{}: '{}' must not leave the app's directory ('..' in '{}')",
                            setting.where, key, setting.value));
        }
    }
    return path;
}

std::string manifest_name(const toml::table& settings, const fs::path& file,
                          const std::string& expected_name) {
    const Located name = required_string(settings, "name", file);
    if (!is_valid_app_name(name.value)) {
        throw usage_error(fmt::format("{}: app name '{}' is not valid (use {})", name.where,
                                      name.value, kAppNameRule));
    }
    if (name.value != expected_name) {
        throw usage_error(fmt::format("{}: app name '{}' does not match its directory name '{}'",
                                      name.where, name.value, expected_name));
    }
    return name.value;
}

fs::path manifest_migrations_dir(const toml::table& settings, const AppManifest& manifest) {
    const Located setting = required_string(settings, "migrations", manifest.manifest_file);
    const fs::path dir = absolute_normal(manifest.dir / app_relative_path(setting, "migrations"));
    if (!fs::is_directory(dir)) {
        throw usage_error(fmt::format("Migrations directory not found: {} (app '{}', {})",
                                      dir.string(), manifest.name,
                                      manifest.manifest_file.string()));
    }
    return dir;
}

std::optional<std::vector<std::string>> manifest_requires(const toml::table& settings,
                                                          const fs::path& file) {
    const std::optional<std::vector<Located>> entries =
        optional_string_array(settings, "requires", file);
    if (!entries) return std::nullopt;  // absent and empty differ: see AppManifest::requires_apps
    std::vector<std::string> names;
    for (const Located& entry : *entries) {
        if (!is_valid_app_name(entry.value)) {
            throw usage_error(
                fmt::format("{}: requires entry '{}' is not a valid app name (use {})", entry.where,
                            entry.value, kAppNameRule));
        }
        names.push_back(entry.value);
    }
    return names;
}

// The shared `alembic_version` would mix the app's history into core's (the seed's trouble).
void check_version_table(const toml::table& settings, const AppManifest& manifest) {
    const std::optional<Located> table =
        optional_string(settings, "version_table", manifest.manifest_file);
    const std::string expected = version_table_for(manifest.name);
    if (!table || table->value == expected) return;
    throw usage_error(fmt::format(
        "{}: app '{}' declares version_table '{}'; an external app's version table must be '{}'",
        table->where, manifest.name, table->value, expected));
}

// A subdirectory's fastappkit.toml is an app manifest unless it lists apps (a nested project).
bool is_app_manifest(const fs::path& file) {
    try {
        const toml::table document = toml::parse_file(file.string());
        return !document["tool"]["fastappkit"]["apps"];
    } catch (const toml::parse_error&) {
        return true;  // let load_manifest report the syntax error with its line
    }
}

}  // namespace

const char* to_string(AppKind kind) {
    switch (kind) {
        case AppKind::core:
            return "core";
        case AppKind::internal:
            return "internal";
        case AppKind::external:
            return "external";
    }
    return "unknown";
}

const App* Project::find_app(const std::string& name) const {
    for (const App& app : apps) {
        if (app.name == name) return &app;
    }
    return nullptr;
}

std::vector<const App*> Project::external_apps() const {
    std::vector<const App*> result;
    for (const App& app : apps) {
        if (app.kind == AppKind::external) result.push_back(&app);
    }
    return result;
}

bool is_valid_app_name(const std::string& name) {
    if (name.empty() || name.size() > 40) return false;
    const auto lower_or_underscore = [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; };
    if (!lower_or_underscore(name.front())) return false;
    return std::all_of(name.begin(), name.end(),
                       [&](char c) { return lower_or_underscore(c) || (c >= '0' && c <= '9'); });
}

namespace {

VerifyMode verify_setting(const toml::table* migration, const fs::path& file) {
    if (!migration) return VerifyMode::warn;
    const auto verify = optional_string(*migration, "verify", file);
    if (!verify || verify->value == "warn") return VerifyMode::warn;
    if (verify->value == "error") return VerifyMode::error;
    if (verify->value == "off") return VerifyMode::off;
    throw usage_error(fmt::format("{}: verify must be \"warn\", \"error\" or \"off\", not '{}'",
                                  verify->where, verify->value));
}

// fastappkit.toml read and checked, apps not resolved yet.
struct ProjectSettings {
    Project project;  // root, config_file and app_search_path set
    std::vector<Located> apps;
    std::vector<Located> migration_order;
};

ProjectSettings read_project_settings(const fs::path& root,
                                      const std::vector<fs::path>& extra_app_paths) {
    ProjectSettings result;
    Project& project = result.project;
    project.root = absolute_normal(root);
    project.config_file = project.root / kConfigFileName;
    if (!fs::is_regular_file(project.config_file)) {
        throw usage_error(fmt::format(
            "Configuration file not found: {} (run from the project root or pass --project-root)",
            project.config_file.string()));
    }
    const toml::table document = parse_toml(project.config_file);
    const toml::table& settings = fastappkit_table(document, project.config_file);
    reject_unknown_keys(settings, {"apps", "app_path", "migration"}, project.config_file,
                        "tool.fastappkit");

    std::optional<std::vector<Located>> apps =
        optional_string_array(settings, "apps", project.config_file);
    if (!apps) {
        throw usage_error(
            fmt::format("{}: [tool.fastappkit] is missing the required key 'apps' (an array of app "
                        "names, may be empty)",
                        project.config_file.string()));
    }
    result.apps = std::move(*apps);
    const auto app_path = optional_string_array(settings, "app_path", project.config_file);
    project.app_search_path =
        app_search_path(project.root, app_path.value_or(std::vector<Located>{}), extra_app_paths);
    const toml::table* migration =
        migration_table(settings, project.config_file,
                        {"order", "lock_timeout", "statement_timeout", "lock_retries", "lock",
                         "lock_ttl", "direct_url", "verify"});
    result.migration_order = migration_order_setting(migration, project.config_file);
    project.migration = migration_settings(migration, project.config_file);
    project.verify = verify_setting(migration, project.config_file);
    return result;
}

}  // namespace

Project load_project(const fs::path& root, const std::vector<fs::path>& extra_app_paths) {
    ProjectSettings settings = read_project_settings(root, extra_app_paths);
    Project& project = settings.project;
    project.apps = resolve_apps(settings.apps, project);
    project.migration_order = migration_order(settings.migration_order, project);
    return std::move(project);
}

Project load_project_app(const fs::path& root, const std::vector<fs::path>& extra_app_paths,
                         const std::string& name) {
    ProjectSettings settings = read_project_settings(root, extra_app_paths);
    Project& project = settings.project;
    std::map<std::string, std::string> entry_of_name;
    for (const Located& located : settings.apps) {
        const AppEntry entry = parse_app_entry(located);
        const auto [previous, inserted] = entry_of_name.emplace(entry.name, located.value);
        if (!inserted) {
            throw usage_error(fmt::format("{}: app '{}' is listed twice in apps ('{}' and '{}')",
                                          located.where, entry.name, previous->second,
                                          located.value));
        }
        if (entry.name != name) continue;
        project.apps.push_back(entry.kind == AppKind::internal
                                   ? resolve_internal_app(entry, located, project)
                                   : resolve_external_app(entry, located, project));
    }
    return std::move(project);
}

AppManifest load_manifest(const fs::path& manifest_file, const std::string& expected_name) {
    AppManifest manifest;
    manifest.manifest_file = absolute_normal(manifest_file);
    manifest.dir = manifest.manifest_file.parent_path();
    if (!fs::is_regular_file(manifest.manifest_file)) {
        throw usage_error(
            fmt::format("App manifest not found: {}", manifest.manifest_file.string()));
    }
    const fs::path& file = manifest.manifest_file;
    const toml::table document = parse_toml(file);
    const toml::table& settings = fastappkit_table(document, file);
    reject_unknown_keys(settings,
                        {"name", "version", "migrations", "models", "requires", "entrypoint",
                         "version_table", "migration"},
                        file, "tool.fastappkit");

    manifest.name = manifest_name(settings, file, expected_name);
    manifest.version = required_string(settings, "version", file).value;
    manifest.migrations_dir = manifest_migrations_dir(settings, manifest);
    if (auto models = optional_string(settings, "models", file)) {
        manifest.models_file = absolute_normal(manifest.dir / app_relative_path(*models, "models"));
    }
    manifest.requires_apps = manifest_requires(settings, file);
    if (auto entrypoint = optional_string(settings, "entrypoint", file))
        manifest.entrypoint = entrypoint->value;
    check_version_table(settings, manifest);
    manifest.migration =
        migration_settings(migration_table(settings, file,
                                           {"lock_timeout", "statement_timeout", "lock_retries",
                                            "lock", "lock_ttl", "direct_url"}),
                           file);
    return manifest;
}

namespace {

// Depth first: an app's requirements before it; `visiting` holds the chain that led here.
void add_required(const AppManifest& manifest, const std::vector<fs::path>& search_path,
                  std::vector<std::string>& visiting, std::vector<AppManifest>& out) {
    for (const std::string& name : manifest.requires_apps.value_or(std::vector<std::string>{})) {
        if (std::find(visiting.begin(), visiting.end(), name) != visiting.end()) {
            visiting.push_back(name);
            throw usage_error(fmt::format("{}: external apps require each other in a cycle: {}",
                                          manifest.manifest_file.string(),
                                          fmt::join(visiting, " -> ")));
        }
        const bool placed = std::any_of(out.begin(), out.end(),
                                        [&](const AppManifest& m) { return m.name == name; });
        if (placed) continue;
        const std::optional<fs::path> file = find_external_manifest(name, search_path);
        if (!file) {
            throw usage_error(fmt::format(
                "{}: app '{}' requires '{}', which is not found (searched {}); add its parent "
                "directory to FASTAPPKIT_APP_PATH or --app-path",
                manifest.manifest_file.string(), manifest.name, name, join_paths(search_path)));
        }
        AppManifest required = load_manifest(*file, name);
        visiting.push_back(name);
        add_required(required, search_path, visiting, out);
        visiting.pop_back();
        out.push_back(std::move(required));
    }
}

}  // namespace

std::vector<AppManifest> load_required_manifests(const AppManifest& manifest,
                                                 const std::vector<fs::path>& extra_app_paths) {
    // The checkout is <parent>/<name>/<name>/fastappkit.toml: its siblings are in <parent>.
    std::vector<fs::path> search_path = app_search_path(manifest.dir, {}, extra_app_paths);
    search_path.push_back(manifest.dir.parent_path().parent_path());
    std::vector<std::string> visiting{manifest.name};
    std::vector<AppManifest> out;
    add_required(manifest, search_path, visiting, out);
    return out;
}

std::optional<fs::path> find_standalone_manifest(const fs::path& root) {
    const fs::path dir = absolute_normal(root);
    if (fs::exists(dir / kConfigFileName))
        return std::nullopt;  // a project root is always a project

    std::vector<fs::path> manifests;
    std::error_code error;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
        const fs::path candidate = entry.path() / kConfigFileName;
        if (entry.is_directory(error) && fs::is_regular_file(candidate) &&
            is_app_manifest(candidate)) {
            manifests.push_back(candidate);
        }
    }
    if (manifests.empty()) return std::nullopt;
    std::sort(manifests.begin(), manifests.end());
    if (manifests.size() > 1) {
        throw usage_error(fmt::format(
            "{}: several app manifests found ({}); a standalone app's checkout holds exactly one",
            dir.string(), join_paths(manifests)));
    }
    return manifests.front();
}

}  // namespace fastappkit
