// How a run reaches its database, for every front end (the CLI, migrate_all(),
// fastappkit::Migrator): read-only for the checks, and writable only once there is work, so
// that bad input and the no-op never change a database (a missing SQLite file is not created).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "db/database.h"
#include "runner/history.h"

namespace fastappkit {

class RunConnection {
public:
    // Opens the database; `read_only` as asked.
    using Open = std::function<std::unique_ptr<Database>(bool read_only)>;
    // Around each (re)open: the CLI arms its Ctrl-C handling and watches the new connection.
    struct Hooks {
        std::function<void(bool read_only)> before_open;
        std::function<void(Database&)> after_open;
    };

    explicit RunConnection(Open open, Hooks hooks = {})
        : open_(std::move(open)), hooks_(std::move(hooks)) {}

    // The connection, opened on first use; a read-only one is made writable when asked (in
    // place where the backend can, Database::make_writable(), else opened again).
    // Usable as run_migrations' DatabaseOpener.
    Database& operator()(bool read_only);
    Database* current() const { return connection_.get(); }
    bool read_only() const { return read_only_; }
    // Hands the connection over (the CLI leaves a read-only one to the process's exit).
    std::unique_ptr<Database> release() { return std::move(connection_); }

private:
    Open open_;
    Hooks hooks_;
    std::unique_ptr<Database> connection_;
    bool read_only_ = true;
};

// External apps' histories whose revisions must never be recorded in the shared
// alembic_version table (check_version_table_conflicts): those of `run` with a version table
// of their own. A standalone app has no shared table to confuse, so none then.
std::vector<History*> conflict_checked(const std::vector<History*>& run, bool standalone);

}  // namespace fastappkit
