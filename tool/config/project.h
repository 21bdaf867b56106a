// A project as fastappkit.toml describes it: the core, internal apps and resolved external apps.
// Parsing (toml++) lives in project_loader.cpp only; this header stays light.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/timeouts.h"
#include "config/version_table.h"

namespace fastappkit {

namespace fs = std::filesystem;

enum class AppKind { core, internal, external };

const char* to_string(AppKind kind);

// [tool.fastappkit.migration] lock_timeout, statement_timeout, lock_retries (docs/safety.md), of
// the project or of an external app's manifest. Unset values fall back: a migration file's
// header, then the project, then the app's manifest, then the defaults (no timeouts, 3 retries).
// lock, lock_ttl and direct_url (PostgreSQL, docs/databases.md) choose how the runner locks a
// history and where transaction:false sections with timeouts run.
struct MigrationSettings {
    Timeouts timeouts;
    std::optional<int> lock_retries;
    std::optional<LockMode> lock;
    std::optional<std::chrono::milliseconds> lock_ttl;
    std::optional<std::string> direct_url;

    // These, with every value `specific` sets taking precedence.
    MigrationSettings overridden_by(const MigrationSettings& specific) const {
        return {timeouts.overridden_by(specific.timeouts),
                specific.lock_retries ? specific.lock_retries : lock_retries,
                specific.lock ? specific.lock : lock,
                specific.lock_ttl ? specific.lock_ttl : lock_ttl,
                specific.direct_url ? specific.direct_url : direct_url};
    }
};

// An external app's manifest (<app>/<app>/fastappkit.toml, or <app>/fastappkit.toml installed).
struct AppManifest {
    std::string name;
    std::string version;
    fs::path manifest_file;   // absolute path of the manifest
    fs::path dir;             // directory holding the manifest
    fs::path migrations_dir;  // dir / migrations; revision files are in migrations_dir / "versions"
    std::optional<fs::path> models_file;                    // dir / models, when declared
    std::optional<std::vector<std::string>> requires_apps;  // absent key: sequential dependency
    std::string entrypoint;                                 // accepted, unused
    MigrationSettings migration;                            // its [tool.fastappkit.migration]
};

struct App {
    std::string name;
    AppKind kind = AppKind::internal;
    fs::path dir;                         // internal: <root>/apps/<name>; external: manifest dir
    std::optional<AppManifest> manifest;  // external apps only
};

// [tool.fastappkit.migration] verify: what `migrate all` does when an applied migration's file
// changed since it ran (docs/safety.md).
enum class VerifyMode { warn, error, off };

struct Project {
    fs::path root;                             // absolute, normalised
    fs::path config_file;                      // root / "fastappkit.toml"
    std::vector<App> apps;                     // in `apps` order, internal and external
    std::vector<std::string> migration_order;  // "core" then internal apps (order override applied)
    MigrationSettings migration;               // [tool.fastappkit.migration] timeouts
    VerifyMode verify = VerifyMode::warn;      // [tool.fastappkit.migration] verify
    std::vector<fs::path> app_search_path;  // app_path, FASTAPPKIT_APP_PATH, --app-path, in order

    const App* find_app(const std::string& name) const;
    std::vector<const App*> external_apps() const;  // in `apps` order
    fs::path core_migrations_dir() const { return root / "core" / "db" / "migrations"; }
};

// Reads <root>/fastappkit.toml, resolves every app, reads every external manifest.
// Throws usage_error (exit 2) with one sentence naming the file or app for every rule of the
// configuration that is broken. `extra_app_paths` are the runner's --app-path values.
Project load_project(const fs::path& root, const std::vector<fs::path>& extra_app_paths);

// What a command on one app needs: reads <root>/fastappkit.toml and checks its entries, but
// resolves only the app `name` (reading its manifest when it is external); `apps` holds that
// app, or nothing when it is not listed, and migration_order is empty. Other apps' manifests
// are not read.
Project load_project_app(const fs::path& root, const std::vector<fs::path>& extra_app_paths,
                         const std::string& name);

// Reads and validates one external app manifest. `expected_name` is the directory name the
// manifest was found under.
AppManifest load_manifest(const fs::path& manifest_file, const std::string& expected_name);

// Standalone mode: the manifests of the apps `manifest` requires, directly or through another,
// each after the apps it requires. They are looked up on FASTAPPKIT_APP_PATH, then
// `extra_app_paths`, then beside the app's checkout (sibling checkouts). Throws usage_error
// naming the manifest for a required app that is not found and for a cycle.
std::vector<AppManifest> load_required_manifests(const AppManifest& manifest,
                                                 const std::vector<fs::path>& extra_app_paths);

// Standalone mode: a root without fastappkit.toml holding NAME/fastappkit.toml (an app
// manifest). Returns that manifest's path, or nothing.
std::optional<fs::path> find_standalone_manifest(const fs::path& root);

// True when `name` is a valid app name: [a-z_][a-z0-9_]*, at most 40 characters.
bool is_valid_app_name(const std::string& name);

}  // namespace fastappkit
