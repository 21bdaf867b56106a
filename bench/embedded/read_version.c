/* read_version FILE: the no-op floor. Opens the SQLite database read-only and reads the rows
 * of its version table, as a program that knows it is up to date would, and nothing else. */
#include <sqlite3.h>
#include <stdio.h>

int main(int argc, char** argv) {
    sqlite3* db = NULL;
    sqlite3_stmt* statement = NULL;
    int rows = 0;
    if (argc != 2 || sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) return 1;
    if (sqlite3_prepare_v2(db, "SELECT version_num FROM alembic_version", -1, &statement, NULL) != SQLITE_OK) {
        return 1;
    }
    while (sqlite3_step(statement) == SQLITE_ROW) rows += sqlite3_column_bytes(statement, 0) > 0;
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return rows == 1 ? 0 : 1;
}
