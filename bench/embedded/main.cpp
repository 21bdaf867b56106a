// bench_migrate URL: migrate_all(URL) with the embedded migrations.
#include <fastappkit/embedded.h>

#include <iostream>

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    try {
        fastappkit::migrate_all(argv[1]);
    } catch (const fastappkit::Error& e) {
        std::cerr << e.what() << "\n";
        return e.exit_code();
    }
    return 0;
}
