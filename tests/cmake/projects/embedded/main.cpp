// migrate_self URL: migrates URL with the embedded migrations (a URL, or with --handle a SQLite
// file opened by the program itself, or with --threads N URL from N threads at once) and prints
// one line per applied revision.
#include <fastappkit/embedded.h>
#include <sqlite3.h>

#include <cstring>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: migrate_self URL | migrate_self --handle FILE\n";
        return 2;
    }
    fastappkit::MigrateOptions options;
    options.on_applied = [](const fastappkit::AppliedMigration& m) {
        std::cout << "applied " << m.history << " " << m.revision << "\n";
    };
    if (std::strcmp(argv[1], "--threads") == 0 && argc == 4) {
        std::mutex output;
        options.on_applied = [&output](const fastappkit::AppliedMigration& m) {
            std::lock_guard<std::mutex> lock(output);
            std::cout << "applied " << m.history << " " << m.revision << "\n";
        };
        std::vector<std::thread> threads;
        int failures = 0;
        for (int i = 0; i < std::stoi(argv[2]); ++i) {
            threads.emplace_back([&] {
                try {
                    fastappkit::migrate_all(argv[3], options);
                } catch (const fastappkit::Error& e) {
                    std::lock_guard<std::mutex> lock(output);
                    std::cerr << e.what() << "\n";
                    ++failures;
                }
            });
        }
        for (auto& thread : threads) thread.join();
        return failures == 0 ? 0 : 1;
    }
    try {
        std::vector<fastappkit::AppliedMigration> applied;
        if (std::strcmp(argv[1], "--handle") == 0 && argc == 3) {
            sqlite3* db = nullptr;
            if (sqlite3_open(argv[2], &db) != SQLITE_OK) return 1;
            applied = fastappkit::migrate_all(db, options);
            sqlite3_close(db);
        } else {
            applied = fastappkit::migrate_all(argv[1], options);
        }
        std::cout << "returned " << applied.size() << "\n";
    } catch (const fastappkit::Error& e) {
        std::cerr << e.what() << "\n";
        return e.exit_code();
    }
    return 0;
}
