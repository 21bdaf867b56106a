#include "autogen/checkpoint.h"

#include <gtest/gtest.h>

namespace fastappkit {
namespace {

TEST(FirstDataStatement, FindsWhatChangesRowsAndNothingElse) {
    EXPECT_EQ(first_data_statement("CREATE TABLE t (id INTEGER);\nCREATE INDEX i ON t (id);\n"
                                   "CREATE VIEW v AS SELECT id FROM t;")
                  .line,
              0);
    // words inside parentheses, strings and comments do not count
    EXPECT_EQ(first_data_statement("CREATE TABLE t (note TEXT DEFAULT 'insert');\n"
                                   "-- UPDATE t SET x = 1;\n"
                                   "CREATE TRIGGER g AFTER INSERT ON t BEGIN SELECT 1; END;")
                  .line,
              0);
    const auto found =
        first_data_statement("CREATE TABLE t (id INTEGER);\n\n  -- seed\n  INSERT INTO t VALUES (1);\n");
    EXPECT_EQ(found.line, 4);
    EXPECT_EQ(found.statement, "INSERT INTO t VALUES (1)");
    for (const char* sql :
         {"update t set id = 2", "DELETE FROM t", "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
          "CREATE TABLE u AS SELECT * FROM t", "COPY t FROM STDIN", "REPLACE INTO t VALUES (1)",
          "MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE"}) {
        EXPECT_EQ(first_data_statement(sql).line, 1) << sql;
    }
}

}  // namespace
}  // namespace fastappkit
