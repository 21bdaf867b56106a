#include "autogen/schema_diff.h"

#include <gtest/gtest.h>

namespace fastappkit {
namespace {

Column column(const std::string& name, const std::string& type, bool not_null = false,
              std::optional<std::string> default_value = std::nullopt) {
    Column c;
    c.name = name;
    c.type = type;
    c.not_null = not_null;
    c.default_value = std::move(default_value);
    return c;
}

Table table(const std::string& name, std::vector<Column> columns) {
    Table t;
    t.name = name;
    t.columns = std::move(columns);
    t.primary_key = {t.columns.front().name};
    return t;
}

ForeignKey foreign_key(const std::string& column, const std::string& parent) {
    ForeignKey key;
    key.columns = {column};
    key.referred_table = parent;
    key.referred_columns = {"id"};
    return key;
}

Schema schema(std::vector<Table> tables) { return Schema{std::move(tables), {}}; }

TEST(SchemaDiff, EqualSchemasHaveNoDiff) {
    const auto s = schema({table("a", {column("id", "INTEGER"), column("name", "TEXT", true)})});
    EXPECT_TRUE(diff_schemas(s, s).empty());
}

TEST(SchemaDiff, ComparesSpellingInsensitively) {
    auto from = schema(
        {table("Account", {column("id", "integer"), column("Name", "varchar(20)", false, "'x'")})});
    auto to = schema({table(
        "account", {column("ID", "INTEGER"), column("name", "VARCHAR (20)", false, " 'x' ")})});
    EXPECT_TRUE(diff_schemas(from, to).empty());
}

TEST(SchemaDiff, DescribesEveryKindOfChange) {
    Table old_post = table(
        "post", {column("id", "INTEGER"), column("title", "TEXT"), column("legacy", "INTEGER")});
    old_post.indexes.push_back({"post_title_idx", false, {"title"}, "", "", ""});
    old_post.checks.push_back({"", "CHECK (id > 0)"});
    Table new_post =
        table("post", {column("id", "INTEGER"), column("title", "VARCHAR(80)", true, "''"),
                       column("author_id", "INTEGER")});
    new_post.uniques.push_back({"", {"title"}});
    new_post.foreign_keys.push_back(foreign_key("author_id", "author"));
    new_post.indexes.push_back({"post_title_idx", false, {"title DESC"}, "", "", ""});
    const auto diff = diff_schemas(schema({old_post}),
                                   schema({new_post, table("author", {column("id", "INTEGER")})}));
    EXPECT_EQ(diff.describe(),
              (std::vector<std::string>{
                  "add table author",
                  "add column post.author_id",
                  "drop column post.legacy",
                  "change column post.title: type TEXT -> VARCHAR(80); nullable -> NOT NULL; "
                  "default none -> ''",
                  "add unique constraint on post (title)",
                  "add foreign key post (author_id) -> author (id)",
                  "drop check constraint on post: CHECK (id > 0)",
                  "add index post_title_idx on post (title DESC)",
                  "drop index post_title_idx on post",
                  "review: possible rename of column post.legacy to post.author_id: the "
                  "migration drops legacy with its data and adds an empty author_id; if it "
                  "is a rename, replace both with ALTER TABLE post RENAME COLUMN legacy TO "
                  "author_id",
              }));
}

TEST(SchemaDiff, OrdersAddedParentsFirstAndRemovedChildrenFirst) {
    Table parent = table("parent", {column("id", "INTEGER")});
    Table child = table("child", {column("id", "INTEGER"), column("parent_id", "INTEGER")});
    child.foreign_keys.push_back(foreign_key("parent_id", "parent"));
    Table grandchild =
        table("a_grandchild", {column("id", "INTEGER"), column("child_id", "INTEGER")});
    grandchild.foreign_keys.push_back(foreign_key("child_id", "child"));
    const auto full = schema({grandchild, child, parent});
    const auto added = diff_schemas(Schema{}, full);
    ASSERT_EQ(added.tables.size(), 3u);
    EXPECT_EQ(added.tables[0].table, "parent");
    EXPECT_EQ(added.tables[1].table, "child");
    EXPECT_EQ(added.tables[2].table, "a_grandchild");
    const auto removed = diff_schemas(full, Schema{});
    ASSERT_EQ(removed.tables.size(), 3u);
    EXPECT_EQ(removed.tables[0].table, "a_grandchild");
    EXPECT_EQ(removed.tables[2].table, "parent");
}

TEST(SchemaDiff, NotesPossibleTableRename) {
    const auto from = schema({table("old_name", {column("id", "INTEGER"), column("v", "TEXT")})});
    const auto to = schema({table("new_name", {column("id", "INTEGER"), column("v", "TEXT")})});
    const auto diff = diff_schemas(from, to);
    ASSERT_EQ(diff.review_notes.size(), 1u);
    EXPECT_EQ(diff.review_notes[0].rfind("possible rename of table old_name to new_name:", 0), 0u);
}

TEST(SchemaDiff, NeverTouchesBookkeepingTables) {
    const auto from =
        schema({table("alembic_version", {column("version_num", "VARCHAR(32)")}),
                table("alembic_version_payments", {column("version_num", "VARCHAR(32)")}),
                table("fastappkit_history", {column("revision", "TEXT")})});
    EXPECT_TRUE(diff_schemas(from, Schema{}).empty());
    EXPECT_TRUE(diff_schemas(Schema{}, from).empty());
}

}  // namespace
}  // namespace fastappkit
