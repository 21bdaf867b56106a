// bench_migrate URL: migrate_all(URL) with the embedded migrations.
// bench_migrate --read-version FILE: the no-op floor in the same executable (so process
//   start-up costs the same): opens the SQLite file read-only, reads the rows of its version
//   table and closes it, as a program that knows it is up to date would.
// bench_migrate --in-process N URL FILE: both of the above N times each in one process (after a
//   warm-up, alternating), printing the median microseconds per call of each:
//   "migrate_all_us <median> read_version_us <median>".
#include <fastappkit/embedded.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

bool read_version(const char* file) {
    sqlite3* db = nullptr;
    sqlite3_stmt* statement = nullptr;
    int rows = 0;
    if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return false;
    if (sqlite3_prepare_v2(db, "SELECT version_num FROM alembic_version", -1, &statement,
                           nullptr) != SQLITE_OK) {
        sqlite3_close(db);
        return false;
    }
    while (sqlite3_step(statement) == SQLITE_ROW) rows += sqlite3_column_bytes(statement, 0) > 0;
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return rows == 1;
}

template <typename Call>
double microseconds(Call call) {
    const auto started = std::chrono::steady_clock::now();
    call();
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started)
        .count();
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

int in_process(int runs, const std::string& url, const char* file) {
    std::vector<double> migrate, read;
    bool ok = true;
    for (int i = 0; i < runs / 10 + 1; ++i) {  // warm-up: the first call reads the catalog
        ok = fastappkit::migrate_all(url).empty() && read_version(file) && ok;
    }
    for (int i = 0; i < runs; ++i) {
        migrate.push_back(microseconds([&] { ok = fastappkit::migrate_all(url).empty() && ok; }));
        read.push_back(microseconds([&] { ok = read_version(file) && ok; }));
    }
    if (!ok) return 1;  // not a no-op, or no version row
    std::printf("migrate_all_us %.1f read_version_us %.1f\n", median(migrate), median(read));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        if (argc == 3 && std::strcmp(argv[1], "--read-version") == 0) {
            return read_version(argv[2]) ? 0 : 1;
        }
        if (argc == 5 && std::strcmp(argv[1], "--in-process") == 0) {
            return in_process(std::stoi(argv[2]), argv[3], argv[4]);
        }
        if (argc != 2) return 2;
        fastappkit::migrate_all(argv[1]);
    } catch (const fastappkit::Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return e.exit_code();
    }
    return 0;
}
