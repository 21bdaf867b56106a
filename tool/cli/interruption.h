// Ctrl-C and SIGTERM. The signal handler only records the signal and wakes a watcher thread;
// the watcher stops the database's running statement (sqlite3_interrupt, a PostgreSQL cancel),
// and the work then unwinds normally: the current migration's transaction rolls back, locks
// are released, and the command exits 130 with one sentence.
#pragma once

#include <thread>

namespace fastappkit {

class Database;

class Interruption {
public:
    // Installs the handlers and starts the watcher; the destructor undoes both.
    Interruption();
    ~Interruption();
    Interruption(const Interruption&) = delete;
    Interruption& operator=(const Interruption&) = delete;

    // Whether a signal arrived.
    static bool requested();
    // The database whose running statement a signal stops (nullptr: none). The database must
    // stay alive until it is unwatched.
    static void watch(Database* database);

private:
    void run_watcher();
    std::thread watcher_;
};

}  // namespace fastappkit
