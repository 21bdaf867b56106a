// What one invocation works on: the global options, the project (or the standalone app),
// the database URL and connection, and the histories. Each is loaded once, on first use, so a
// command reads only what it needs.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/reporter.h"
#include "config/database_url.h"
#include "config/project.h"
#include "db/database.h"
#include "runner/history.h"
#include "runner/run_connection.h"

namespace fastappkit {

struct GlobalOptions {
    std::string project_root;
    std::string database_url;
    std::vector<std::string> app_paths;
    bool json = false;
    bool quiet = false;
    bool verbose = false;
};

class Session {
public:
    explicit Session(GlobalOptions options);
    ~Session();  // stops Ctrl-C from reaching the database it closes
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    const GlobalOptions& options() const { return options_; }
    Reporter& reporter() { return reporter_; }
    std::filesystem::path root() const { return root_; }

    // Standalone mode: no fastappkit.toml at the root, but NAME/fastappkit.toml (an app
    // manifest). A root holding a project fastappkit.toml is always a project.
    bool standalone();
    const Project& project();
    const AppManifest& standalone_app();

    // The URL text from --database-url, DATABASE_URL or .env; nullopt when none is set.
    std::optional<std::string> configured_database_url();
    DatabaseUrl database_url();
    // Opened once; read-only sessions never create or change a database.
    Database& database(bool read_only);
    // How this project's connections are opened (waits and warnings to the reporter, the
    // lock settings): what database() uses, and what a fleet gives each of its targets.
    OpenOptions open_options();

    History& core_history();
    // An external app's history, in the project or standalone.
    History& app_history(const std::string& name);
    // External app `name` of the project, its manifest read (the other apps' only when the
    // whole project is loaded). Throws usage_error for an unknown or internal app.
    const App& project_app(const std::string& name);
    // Every history of the project in migration order: core, then external apps.
    std::vector<History*> all_histories();
    // The history a command's optional --app NAME selects (core when empty).
    History& history_for(const std::string& app);
    // What external app `app`'s schema stands on, in migration order: core, then the apps it
    // requires (directly or through another). Standalone there is no core, and the required
    // apps are looked up on the app search path and beside the checkout.
    std::vector<History*> required_histories(const std::string& app);

    // Called when the command is done and the process is about to exit: the histories and a
    // read-only SQLite connection (whose close frees the whole parsed schema, as long again as
    // reading it) are left to the process's exit, which frees memory and drops file locks
    // faster than a teardown. A connection that wrote, or a PostgreSQL one, closes as usual.
    void leave_to_process_exit();

private:
    RunConnection make_connection();
    void configure_locking(OpenOptions& open);
    std::string did_you_mean_app(const std::string& name);
    const AppManifest& external_manifest(const std::string& name);
    // The whole project once it is loaded, else the project read for `app` alone.
    const Project& project_holding(const std::string& app);

    GlobalOptions options_;
    Reporter reporter_;
    std::filesystem::path root_;
    std::optional<bool> standalone_;
    std::optional<Project> project_;
    std::map<std::string, std::unique_ptr<Project>> single_apps_;  // load_project_app, by app
    std::optional<AppManifest> standalone_app_;
    std::vector<AppManifest> standalone_requirements_;  // load_required_manifests, once loaded
    RunConnection connection_;
    std::map<std::string, std::unique_ptr<History>> histories_;
};

}  // namespace fastappkit
