#include "autogen/sql_text.h"

#include <gtest/gtest.h>

namespace fastappkit {
namespace {

TEST(SqlText, NormalizeIgnoresLayoutCaseAndComments) {
    EXPECT_EQ(normalize_sql("CHECK  (Amount>0) -- positive"), normalize_sql("check (amount > 0)"));
    EXPECT_EQ(normalize_sql("lower(\"Name\")"), "lower ( name )");
    EXPECT_NE(normalize_sql("'EUR'"), normalize_sql("'eur'"));
}

TEST(SqlText, TokenizesQuotesAndDollarStrings) {
    const auto tokens = tokenize_sql("a 'it''s' \"x y\" [z] $f$ body; $f$ 1.5e-3 ::");
    ASSERT_EQ(tokens.size(), 7u);
    EXPECT_EQ(tokens[1].text, "'it''s'");
    EXPECT_EQ(tokens[2].kind, SqlToken::Kind::quoted_identifier);
    EXPECT_EQ(tokens[2].text, "x y");
    EXPECT_EQ(tokens[3].text, "z");
    EXPECT_EQ(tokens[4].kind, SqlToken::Kind::string);
    EXPECT_EQ(tokens[5].text, "1.5e-3");
    EXPECT_EQ(tokens[6].text, "::");
}

// The statement splitter reads the same lexemes: an escaped quote does not end the string.
TEST(SqlText, EscapeStringIsOneToken) {
    const auto tokens = tokenize_sql("DEFAULT E'it\\'s; ok' NOT NULL");
    ASSERT_EQ(tokens.size(), 4u);
    EXPECT_EQ(tokens[1].kind, SqlToken::Kind::string);
    EXPECT_EQ(tokens[1].text, "E'it\\'s; ok'");
}

TEST(SqlText, QuotesOnlyWhatNeedsQuoting) {
    EXPECT_EQ(quote_identifier("account"), "account");
    EXPECT_EQ(quote_identifier("order"), "\"order\"");
    EXPECT_EQ(quote_identifier("Account"), "\"Account\"");
    EXPECT_EQ(quote_identifier("a\"b"), "\"a\"\"b\"");
    EXPECT_EQ(quote_identifiers({"a", "user"}), "a, \"user\"");
}

TEST(SqlText, ParsesCreateTableItems) {
    const std::string sql =
        "CREATE TABLE IF NOT EXISTS main.t (\n  id INTEGER PRIMARY KEY, -- key\n"
        "  amount NUMERIC(10, 2) CHECK (amount > 0),\n  CONSTRAINT u UNIQUE (amount)\n)";
    const auto parsed = parse_create_table(sql);
    ASSERT_TRUE(parsed);
    ASSERT_EQ(parsed->items.size(), 3u);
    EXPECT_EQ(parsed->items[0], "id INTEGER PRIMARY KEY");
    EXPECT_EQ(parsed->items[1], "amount NUMERIC(10, 2) CHECK (amount > 0)");
    EXPECT_EQ(defined_column(parsed->items[1]), "amount");
    EXPECT_FALSE(defined_column(parsed->items[2]));
    EXPECT_EQ(sql.substr(parsed->name_begin, parsed->name_end - parsed->name_begin), "main.t");
}

TEST(SqlText, RenamesCreatedTable) {
    EXPECT_EQ(rename_created_table("CREATE TABLE \"t\" (a INT)", "_new_t"),
              "CREATE TABLE _new_t (a INT)");
    EXPECT_EQ(rename_created_table("create table t(a int)", "_new_t"),
              "create table _new_t(a int)");
}

TEST(SqlText, FindsCheckClauses) {
    const auto checks = check_clauses(
        "CREATE TABLE t (a INT CHECK (a > 0), b TEXT DEFAULT 'check (x)', CHECK (length(b) < 5))");
    ASSERT_EQ(checks.size(), 2u);
    EXPECT_EQ(checks[0], "check ( a > 0 )");
    EXPECT_EQ(checks[1], "check ( length ( b ) < 5 )");
}

TEST(SqlText, ParsesCreateIndex) {
    const auto sqlite = parse_create_index(
        "CREATE UNIQUE INDEX IF NOT EXISTS i ON t (a DESC, lower(b)) WHERE a > 0;");
    ASSERT_TRUE(sqlite);
    EXPECT_TRUE(sqlite->unique);
    EXPECT_EQ(sqlite->name, "i");
    EXPECT_EQ(sqlite->table, "t");
    EXPECT_EQ(sqlite->columns, (std::vector<std::string>{"a DESC", "lower(b)"}));
    EXPECT_EQ(sqlite->where, "a > 0");
    const auto postgres = parse_create_index(
        "CREATE INDEX c_idx ON s1.c USING gin (payload) INCLUDE (x) WHERE (id > 0)");
    ASSERT_TRUE(postgres);
    EXPECT_EQ(postgres->table, "c");
    EXPECT_EQ(postgres->method, "gin");
    EXPECT_EQ(postgres->columns, (std::vector<std::string>{"payload"}));
    EXPECT_EQ(postgres->where, "(id > 0)");
}

TEST(SqlText, MentionsIdentifierOnlyAsIdentifier) {
    EXPECT_TRUE(mentions_identifier("CHECK (\"Amount\" > 0)", "amount"));
    EXPECT_FALSE(mentions_identifier("DEFAULT 'amount'", "amount"));
}

}  // namespace
}  // namespace fastappkit
