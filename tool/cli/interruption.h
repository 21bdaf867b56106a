// Ctrl-C and SIGTERM. The signal handler only records the signal and wakes a watcher thread;
// the watcher stops the database's running statement (sqlite3_interrupt, a PostgreSQL cancel),
// and the work then unwinds normally: the current migration's transaction rolls back, locks
// are released, and the command exits 130 with one sentence.
//
// Armed only once a command opens the database for writing: until then a signal has its
// default action, which is harmless to reading, and a command that only reads (the no-op
// `migrate all` of every build) starts no thread.
#pragma once

#include <atomic>
#include <thread>

namespace fastappkit {

class Database;

class Interruption {
public:
    // Makes this the process's interruption scope; the destructor disarms it.
    Interruption();
    ~Interruption();
    Interruption(const Interruption&) = delete;
    Interruption& operator=(const Interruption&) = delete;

    // Installs the handlers and starts the watcher, once; nothing without a scope.
    static void arm();
    // Whether a signal arrived.
    static bool requested();
    // The same, as a flag a fleet's workers read.
    static const std::atomic<bool>& requested_flag();
    // The database whose running statement a signal stops (nullptr: none). The database must
    // stay alive until it is unwatched.
    static void watch(Database* database);
    // A fleet's connections, several at once: each is stopped by a signal while it is watched.
    static void also_watch(Database* database);
    static void unwatch(Database* database);

private:
    void start();
    void run_watcher();
    std::thread watcher_;
};

}  // namespace fastappkit
