// migrate_self URL: migrates URL with the embedded migrations (a URL, or with --handle a SQLite
// file opened by the program itself) and prints one line per applied revision.
#include <fastappkit/embedded.h>
#include <sqlite3.h>

#include <cstring>
#include <iostream>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: migrate_self URL | migrate_self --handle FILE\n";
        return 2;
    }
    fastappkit::MigrateOptions options;
    options.on_applied = [](const fastappkit::AppliedMigration& m) {
        std::cout << "applied " << m.history << " " << m.revision << "\n";
    };
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
