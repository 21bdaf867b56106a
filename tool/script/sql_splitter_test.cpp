#include "script/sql_splitter.h"

#include <gtest/gtest.h>

namespace fastappkit {
namespace {

std::vector<std::string> texts(std::string_view sql) {
    std::vector<std::string> result;
    for (const Statement& statement : split_sql(sql)) result.push_back(statement.text);
    return result;
}

std::vector<int> lines(std::string_view sql) {
    std::vector<int> result;
    for (const Statement& statement : split_sql(sql)) result.push_back(statement.line);
    return result;
}

using Texts = std::vector<std::string>;

TEST(SqlSplitterTest, SplitsAtTopLevelSemicolons) {
    EXPECT_EQ((Texts{"CREATE TABLE a (x INT)", "INSERT INTO a VALUES (1)"}),
              texts("CREATE TABLE a (x INT);\n  INSERT INTO a VALUES (1)  ;\n"));
    EXPECT_EQ((Texts{"SELECT 1"}), texts("SELECT 1"));  // no final semicolon
}

TEST(SqlSplitterTest, DropsEmptyAndCommentOnlyStatements) {
    EXPECT_TRUE(texts("").empty());
    EXPECT_TRUE(texts(" ;\n;; -- nothing\n/* at all */;\n").empty());
    EXPECT_EQ((Texts{"SELECT 1"}), texts(";;SELECT 1;;\n-- trailing\n"));
}

TEST(SqlSplitterTest, ReportsTheLineOfEachStatement) {
    EXPECT_EQ((std::vector<int>{1, 3, 6, 7}),
              lines("SELECT 1;\n\n  SELECT\n2;\n\nSELECT 'a\nb'; SELECT 3"));
}

TEST(SqlSplitterTest, StatementsOnOneLineShareIt) {
    EXPECT_EQ((std::vector<int>{1, 1}), lines("SELECT 1; SELECT 2;"));
}

TEST(SqlSplitterTest, KeepsLeadingCommentsWithTheirStatement) {
    const auto statements = split_sql("SELECT 1;\n\n-- the second one\nSELECT 2;\n");
    ASSERT_EQ(2u, statements.size());
    EXPECT_EQ("-- the second one\nSELECT 2", statements[1].text);
    EXPECT_EQ(3, statements[1].line);
}

TEST(SqlSplitterTest, ACommentAfterASemicolonBelongsToThatLine) {
    const auto statements = split_sql("SELECT 1; -- first\nSELECT 2; /* second */\n");
    ASSERT_EQ(2u, statements.size());
    EXPECT_EQ("SELECT 2", statements[1].text);
    EXPECT_EQ(2, statements[1].line);
}

TEST(SqlSplitterTest, RespectsSingleQuotesWithDoubling) {
    EXPECT_EQ((Texts{"INSERT INTO t VALUES ('a;b', 'it''s; fine')", "SELECT 2"}),
              texts("INSERT INTO t VALUES ('a;b', 'it''s; fine'); SELECT 2;"));
}

TEST(SqlSplitterTest, RespectsDoubleQuotesAndBackticks) {
    EXPECT_EQ((Texts{"CREATE TABLE \"a;\"\"b\" (`c;d` INT)", "SELECT 2"}),
              texts("CREATE TABLE \"a;\"\"b\" (`c;d` INT); SELECT 2"));
}

TEST(SqlSplitterTest, RespectsEscapeStrings) {
    EXPECT_EQ((Texts{"SELECT E'it\\'s; \\\\', e'x;'", "SELECT 2"}),
              texts("SELECT E'it\\'s; \\\\', e'x;'; SELECT 2"));
    // Outside E'…' a backslash is an ordinary character.
    EXPECT_EQ((Texts{"SELECT 'a\\'", "SELECT 2"}), texts("SELECT 'a\\'; SELECT 2"));
    // An identifier ending in e is not an escape-string prefix.
    EXPECT_EQ((Texts{"SELECT name'x'", "SELECT 2"}), texts("SELECT name'x'; SELECT 2"));
}

TEST(SqlSplitterTest, RespectsDollarQuoting) {
    const std::string function =
        "CREATE FUNCTION f() RETURNS trigger AS $body$\n"
        "BEGIN\n  NEW.x := 'a;' || $$;$$;\n  RETURN NEW;\nEND;\n$body$ LANGUAGE plpgsql";
    EXPECT_EQ((Texts{function, "SELECT 2"}), texts(function + ";\nSELECT 2;"));
    EXPECT_EQ((Texts{"DO $$ BEGIN PERFORM 1; END $$", "SELECT 2"}),
              texts("DO $$ BEGIN PERFORM 1; END $$; SELECT 2;"));
}

TEST(SqlSplitterTest, PositionalParametersAreNotDollarQuotes) {
    EXPECT_EQ((Texts{"PREPARE p AS SELECT $1", "SELECT a$b$c FROM t"}),
              texts("PREPARE p AS SELECT $1; SELECT a$b$c FROM t;"));
}

TEST(SqlSplitterTest, RespectsComments) {
    EXPECT_EQ((Texts{"SELECT 1 -- a; comment\n + 1", "SELECT /* x; y */ 2"}),
              texts("SELECT 1 -- a; comment\n + 1; SELECT /* x; y */ 2;"));
}

TEST(SqlSplitterTest, KeepsSqliteTriggerBodiesTogether) {
    const std::string trigger =
        "CREATE TRIGGER t_audit AFTER UPDATE ON t\n"
        "WHEN NEW.x > 0\n"
        "BEGIN\n"
        "  INSERT INTO audit VALUES (NEW.id, CASE WHEN NEW.x > 1 THEN 'big;' ELSE 'small' END);\n"
        "  UPDATE t SET y = 1 WHERE id = NEW.id;\n"
        "END";
    const auto statements = split_sql("CREATE TABLE t (id INT);\n" + trigger +
                                      ";\nCREATE TEMP TRIGGER u BEFORE DELETE ON t BEGIN "
                                      "SELECT 1; END;\nSELECT 3;");
    ASSERT_EQ(4u, statements.size());
    EXPECT_EQ(trigger, statements[1].text);
    EXPECT_EQ(2, statements[1].line);
    EXPECT_EQ("CREATE TEMP TRIGGER u BEFORE DELETE ON t BEGIN SELECT 1; END", statements[2].text);
    EXPECT_EQ("SELECT 3", statements[3].text);
}

TEST(SqlSplitterTest, KeepsBeginAtomicBodiesTogether) {
    EXPECT_EQ((Texts{"CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC "
                     "SELECT 1; SELECT 2; END",
                     "SELECT 3"}),
              texts("CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC "
                    "SELECT 1; SELECT 2; END; SELECT 3;"));
}

TEST(SqlSplitterTest, TransactionStatementsStillSplit) {
    EXPECT_EQ((Texts{"BEGIN", "SELECT 1", "END"}), texts("BEGIN; SELECT 1; END;"));
    EXPECT_EQ(
        (Texts{"CREATE TRIGGER t AFTER INSERT ON a FOR EACH ROW EXECUTE FUNCTION f()", "SELECT 1"}),
        texts("CREATE TRIGGER t AFTER INSERT ON a FOR EACH ROW EXECUTE FUNCTION f();"
              "SELECT 1;"));
}

TEST(SqlSplitterTest, UnterminatedQuotesRunToTheEnd) {
    EXPECT_EQ((Texts{"SELECT 'a; b"}), texts("SELECT 'a; b"));
    EXPECT_EQ((Texts{"SELECT $x$ a; b"}), texts("SELECT $x$ a; b"));
    EXPECT_EQ((Texts{"SELECT 1 /* a; b"}), texts("SELECT 1 /* a; b"));
}

}  // namespace
TEST(SqlSplitterTest, FromFirstCodeDropsTheLeadingCommentsAndMovesTheLine) {
    const auto statements =
        split_sql("-- models of billing\n\n/* invoices */\nCREATE TABLE invoice (\n  id int\n);\n");
    ASSERT_EQ(1u, statements.size());
    EXPECT_EQ(1, statements[0].line);
    const Statement code = from_first_code(statements[0]);
    EXPECT_EQ("CREATE TABLE invoice (\n  id int\n)", code.text);
    EXPECT_EQ(4, code.line);
    // A statement that opens with code is kept as it is.
    EXPECT_EQ(2, from_first_code({"SELECT 1", 2}).line);
    EXPECT_EQ("SELECT 1", from_first_code({"SELECT 1", 2}).text);
}

}  // namespace fastappkit
