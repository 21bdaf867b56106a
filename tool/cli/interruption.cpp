#include "cli/interruption.h"

#include <algorithm>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

#include "db/database.h"

namespace fastappkit {

namespace {

std::atomic<bool> signalled{false};
int wake_pipe[2] = {-1, -1};  // the handler writes a byte; the watcher reads it

std::mutex watched_mutex;
std::vector<Database*> watched;

constexpr char kSignalByte = 's';
constexpr char kQuitByte = 'q';

// Async-signal-safe: an atomic store and write(2). A second signal gets the default action
// (the process dies; what it leaves is what kill -9 leaves, which the next command handles).
extern "C" void on_signal(int number) {
    signalled.store(true);
    const int saved_errno = errno;
    const char byte = kSignalByte;
    [[maybe_unused]] const auto written = write(wake_pipe[1], &byte, 1);
    errno = saved_errno;
    signal(number, SIG_DFL);
}

Interruption* scope = nullptr;  // the live Interruption, if any
std::mutex arm_mutex;

void interrupt_watched() {
    std::lock_guard<std::mutex> guard(watched_mutex);
    for (Database* database : watched) database->interrupt();
}

}  // namespace

Interruption::Interruption() {
    std::lock_guard<std::mutex> guard(arm_mutex);
    scope = this;
}

void Interruption::arm() {
    std::lock_guard<std::mutex> guard(arm_mutex);
    if (scope && !scope->watcher_.joinable()) scope->start();
}

void Interruption::start() {
    if (pipe2(wake_pipe, O_CLOEXEC) != 0) return;  // without it, signals keep their default action
    watcher_ = std::thread([this] { run_watcher(); });
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

Interruption::~Interruption() {
    std::lock_guard<std::mutex> guard(arm_mutex);
    scope = nullptr;
    if (!watcher_.joinable()) return;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    const char byte = kQuitByte;
    [[maybe_unused]] const auto written = write(wake_pipe[1], &byte, 1);
    watcher_.join();
    close(wake_pipe[0]);
    close(wake_pipe[1]);
    wake_pipe[0] = wake_pipe[1] = -1;
}

bool Interruption::requested() { return signalled.load(); }

const std::atomic<bool>& Interruption::requested_flag() { return signalled; }

void Interruption::watch(Database* database) {
    std::lock_guard<std::mutex> guard(watched_mutex);
    watched.clear();
    if (database) watched.push_back(database);
}

void Interruption::also_watch(Database* database) {
    std::lock_guard<std::mutex> guard(watched_mutex);
    watched.push_back(database);
}

void Interruption::unwatch(Database* database) {
    std::lock_guard<std::mutex> guard(watched_mutex);
    watched.erase(std::remove(watched.begin(), watched.end(), database), watched.end());
}

// After a signal, the watched database is interrupted again every 100 ms: a statement that
// started just after the first interrupt (a PostgreSQL cancel that found the connection idle)
// is stopped too.
void Interruption::run_watcher() {
    bool interrupting = false;
    while (true) {
        pollfd wake{wake_pipe[0], POLLIN, 0};
        const int ready = poll(&wake, 1, interrupting ? 100 : -1);
        if (ready > 0) {
            char byte = 0;
            if (read(wake_pipe[0], &byte, 1) == 1 && byte == kQuitByte) return;
            interrupting = true;
        }
        if (interrupting) interrupt_watched();
    }
}

}  // namespace fastappkit
