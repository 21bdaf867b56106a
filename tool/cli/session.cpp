#include "cli/session.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "cli/interruption.h"
#include "common/closest_name.h"
#include "common/error.h"
#include "config/app_order.h"
#include "config/env_file.h"
#include "runner/plan.h"

namespace fastappkit {

namespace fs = std::filesystem;

Session::Session(GlobalOptions options)
    : options_(std::move(options)),
      reporter_(options_.json, options_.quiet     ? Verbosity::quiet
                               : options_.verbose ? Verbosity::verbose
                                                  : Verbosity::normal),
      connection_(make_connection()) {
    try {
        root_ = fs::absolute(options_.project_root.empty() ? fs::current_path()
                                                           : fs::path(options_.project_root))
                    .lexically_normal();
    } catch (const fs::filesystem_error&) {
        // getcwd() fails once the working directory has been deleted.
        throw usage_error(
            options_.project_root.empty()
                ? "The current directory no longer exists: change to the project directory "
                  "or pass --project-root"
                : fmt::format("Cannot resolve --project-root '{}': the current directory no "
                              "longer exists; pass an absolute path",
                              options_.project_root));
    }
    // "dir/" normalises to "dir/" (an empty last component): drop it, so messages read "dir".
    if (!root_.has_filename() && root_ != root_.root_path()) root_ = root_.parent_path();
}

bool Session::standalone() {
    if (!standalone_) {
        standalone_ =
            !fs::exists(root_ / "fastappkit.toml") && find_standalone_manifest(root_).has_value();
    }
    return *standalone_;
}

const Project& Session::project() {
    if (!project_) {
        std::vector<fs::path> extra(options_.app_paths.begin(), options_.app_paths.end());
        project_ = load_project(root_, extra);
    }
    return *project_;
}

const AppManifest& Session::standalone_app() {
    if (!standalone_app_) {
        auto manifest = find_standalone_manifest(root_);
        standalone_app_ = load_manifest(*manifest, manifest->parent_path().filename().string());
    }
    return *standalone_app_;
}

std::optional<std::string> Session::configured_database_url() {
    if (!options_.database_url.empty()) return options_.database_url;
    std::optional<std::string> url = lookup_setting("DATABASE_URL", root_);
    if (!url && standalone()) url = lookup_setting("DATABASE_URL", standalone_app().dir);
    return url;
}

DatabaseUrl Session::database_url() {
    const std::optional<std::string> url = configured_database_url();
    if (!url) {
        throw usage_error(fmt::format(
            "No database URL: pass --database-url, set DATABASE_URL, or add DATABASE_URL to {}",
            (root_ / ".env").string()));
    }
    if (url->empty()) {
        // The environment's empty DATABASE_URL counts as unset (env_file.h): this one is a .env's.
        const bool own = !lookup_setting("DATABASE_URL", root_).has_value();
        const fs::path env = (own && standalone() ? standalone_app().dir : root_) / ".env";
        throw usage_error(fmt::format(
            "DATABASE_URL is empty in {}; set it to a database URL (for example "
            "sqlite:///app.db or postgresql://user:password@host/db), or pass --database-url",
            env.string()));
    }
    return parse_database_url(*url, root_);
}

Database& Session::database(bool read_only) { return connection_(read_only); }

// Ctrl-C stops the running statement of a connection that writes (cli/interruption.h).
RunConnection Session::make_connection() {
    RunConnection::Hooks hooks;
    hooks.before_open = [](bool read_only) {
        if (!read_only) Interruption::arm();
        Interruption::watch(nullptr);
    };
    hooks.after_open = [](Database& database) { Interruption::watch(&database); };
    return RunConnection(
        [this](bool read_only) {
            OpenOptions open = open_options();
            open.read_only = read_only;
            return open_database(database_url(), open);
        },
        std::move(hooks));
}

OpenOptions Session::open_options() {
    OpenOptions open;
    open.on_wait = [this](const std::string& message) { reporter_.waiting(message); };
    open.on_warning = [this](const std::string& message) { reporter_.waiting(message); };
    configure_locking(open);
    return open;
}

// [tool.fastappkit.migration] lock, lock_ttl and direct_url of the project (or of a standalone
// app's manifest); DATABASE_DIRECT_URL (environment, then .env) wins over direct_url.
void Session::configure_locking(OpenOptions& open) {
    std::optional<MigrationSettings> settings;
    if (standalone()) {
        settings = standalone_app().migration;
    } else if (project_) {
        settings = project_->migration;
    } else if (!single_apps_.empty()) {
        settings = single_apps_.begin()->second->migration;  // read with that app alone
    } else if (fs::exists(root_ / "fastappkit.toml")) {
        settings = project().migration;
    }
    std::optional<std::string> direct = lookup_setting("DATABASE_DIRECT_URL", root_);
    if (!direct && standalone())
        direct = lookup_setting("DATABASE_DIRECT_URL", standalone_app().dir);
    if (settings) {
        if (settings->lock) open.lock_mode = *settings->lock;
        if (settings->lock_ttl) open.lock_ttl = *settings->lock_ttl;
        if (!direct) direct = settings->direct_url;
    }
    if (direct && !direct->empty()) open.direct_url = parse_database_url(*direct, root_);
}

Session::~Session() { Interruption::watch(nullptr); }

void Session::leave_to_process_exit() {
    struct Kept {
        std::map<std::string, std::unique_ptr<History>> histories;
        std::unique_ptr<Database> database;
    };
    static auto* kept = new Kept;  // never freed; reachable, so not a leak either
    kept->histories.merge(histories_);
    Database* database = connection_.current();
    if (database && connection_.read_only() && database->dialect() == Dialect::sqlite) {
        kept->database = connection_.release();
    }
}

History& Session::core_history() {
    auto& slot = histories_["core"];
    if (!slot) {
        const auto& p = project();
        fs::path migrations = p.core_migrations_dir();
        if (!fs::is_directory(migrations)) {
            throw usage_error(fmt::format(
                "Migrations directory not found: {} (core); create it or run 'fastappkit core new'",
                migrations.string()));
        }
        slot =
            std::make_unique<History>("core", version_table_for("core"), migrations / "versions");
        slot->set_settings(p.migration);
    }
    return *slot;
}

// A command on one app reads that app's manifest only, unless the whole project is loaded.
const Project& Session::project_holding(const std::string& app) {
    if (project_) return *project_;
    auto& slot = single_apps_[app];
    if (!slot) {
        std::vector<fs::path> extra(options_.app_paths.begin(), options_.app_paths.end());
        slot = std::make_unique<Project>(load_project_app(root_, extra, app));
    }
    return *slot;
}

// "; did you mean 'billing'?" for a name close to one of the apps list; empty otherwise, and
// when the project cannot be read whole.
std::string Session::did_you_mean_app(const std::string& name) {
    std::vector<std::string> names;
    try {
        for (const App& app : project().apps) names.push_back(app.name);
    } catch (const std::exception&) {
        return {};
    }
    const std::string closest = closest_name(name, names);
    return closest.empty() ? std::string() : fmt::format("; did you mean '{}'?", closest);
}

const App& Session::project_app(const std::string& name) {
    if (name == "core") {
        throw usage_error(
            "'core' is not an app: the core history is migrated with 'fastappkit migrate upgrade' "
            "(and downgrade, preview, current, history), its migrations written with 'fastappkit "
            "migrate core -m MESSAGE'");
    }
    const Project* source = &project_holding(name);
    const App* app = source->find_app(name);
    if (!app) {
        throw usage_error(fmt::format("App '{}' is not in the apps list of {}{}", name,
                                      source->config_file.string(), did_you_mean_app(name)));
    }
    if (app->kind != AppKind::external) {
        throw usage_error(fmt::format(
            "App '{}' is an internal app: its migrations are part of the shared core history; use "
            "'fastappkit migrate upgrade' (or downgrade/preview) instead",
            name));
    }
    return *app;
}

const AppManifest& Session::external_manifest(const std::string& name) {
    if (standalone()) {
        const auto& app = standalone_app();
        if (app.name != name) {
            throw usage_error(
                fmt::format("App '{}' not found: this standalone checkout holds app '{}' ({})",
                            name, app.name, app.manifest_file.string()));
        }
        return app;
    }
    return *project_app(name).manifest;
}

namespace {

History& history_slot(std::map<std::string, std::unique_ptr<History>>& histories,
                      const AppManifest& manifest) {
    auto& slot = histories["app:" + manifest.name];
    if (!slot) {
        slot = std::make_unique<History>(manifest.name, version_table_for(manifest.name),
                                         manifest.migrations_dir / "versions");
    }
    return *slot;
}

}  // namespace

History& Session::app_history(const std::string& name) {
    const AppManifest& manifest = external_manifest(name);
    History& history = history_slot(histories_, manifest);
    // The project's settings win over the app's own defaults.
    history.set_settings(standalone()
                             ? manifest.migration
                             : manifest.migration.overridden_by(project_holding(name).migration));
    return history;
}

std::vector<History*> Session::all_histories() {
    std::vector<History*> out;
    if (standalone()) {
        out.push_back(&app_history(standalone_app().name));
        return out;
    }
    out.push_back(&core_history());
    for (const auto& step : external_app_order(project())) out.push_back(&app_history(step.name));
    return out;
}

History& Session::history_for(const std::string& app) {
    if (app.empty()) {
        if (standalone()) return app_history(standalone_app().name);
        return core_history();
    }
    return app_history(app);
}

std::vector<History*> Session::required_histories(const std::string& app) {
    std::vector<History*> out;
    if (standalone()) {
        if (standalone_requirements_.empty()) {
            std::vector<fs::path> extra(options_.app_paths.begin(), options_.app_paths.end());
            standalone_requirements_ = load_required_manifests(standalone_app(), extra);
        }
        for (const AppManifest& manifest : standalone_requirements_) {
            History& history = history_slot(histories_, manifest);
            history.set_settings(manifest.migration);
            out.push_back(&history);
        }
        return out;
    }
    const std::vector<AppStep> order = external_app_order(project());
    auto step_of = [&order](const std::string& name) {
        return std::find_if(order.begin(), order.end(),
                            [&name](const AppStep& step) { return step.name == name; });
    };
    std::set<std::string> needed;
    std::vector<std::string> pending;
    if (auto step = step_of(app); step != order.end()) pending = step->depends_on;
    while (!pending.empty()) {
        const std::string name = pending.back();
        pending.pop_back();
        if (!needed.insert(name).second) continue;
        if (auto step = step_of(name); step != order.end())
            pending.insert(pending.end(), step->depends_on.begin(), step->depends_on.end());
    }
    out.push_back(&core_history());
    for (const AppStep& step : order) {
        if (needed.count(step.name)) out.push_back(&app_history(step.name));
    }
    return out;
}

}  // namespace fastappkit
