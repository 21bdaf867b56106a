// migrate_all over a history with a checkpoint (tests/projects/checkpointed: six revisions, a
// checkpoint of the first four), embedded as fastappkit_embed_migrations embeds it: a fresh
// database runs the checkpoint and the two revisions after it and ends as a replay would; a
// database at a replaced revision goes on through the revisions' own SQL.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <vector>

#include "fastappkit/embedded.h"
#include "test_support/sqlite_files.h"
#include "test_support/test_support.h"

namespace fastappkit {
namespace {

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;
using test_support::ScopedTempDir;
using test_support::execute;
using test_support::query;
using test_support::url_of;

// The user's objects as SQLite keeps them.
Strings schema(const fs::path& file) {
    return query(file,
                 "SELECT type || ' ' || name || ': ' || sql FROM sqlite_schema WHERE name NOT "
                 "LIKE 'fastappkit%' AND name NOT LIKE 'alembic%' AND sql IS NOT NULL ORDER BY "
                 "type, name");
}

Strings revisions(const std::vector<AppliedMigration>& applied) {
    Strings out;
    for (const auto& step : applied) out.push_back(step.revision);
    return out;
}

const Strings kReplayedSchema = {
    "index ix_item3_name: CREATE INDEX ix_item3_name ON item3 (name)",
    "table item1: CREATE TABLE item1 (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
    "table item2: CREATE TABLE item2 (id INTEGER PRIMARY KEY, name TEXT NOT NULL, previous_id "
    "INTEGER REFERENCES item1(id))",
    "table item3: CREATE TABLE item3 (id INTEGER PRIMARY KEY, name TEXT NOT NULL, previous_id "
    "INTEGER REFERENCES item2(id))",
    "table item4: CREATE TABLE item4 (id INTEGER PRIMARY KEY, name TEXT NOT NULL, previous_id "
    "INTEGER REFERENCES item3(id))",
    "table item5: CREATE TABLE item5 (id INTEGER PRIMARY KEY, name TEXT NOT NULL, previous_id "
    "INTEGER REFERENCES item4(id))",
    "table item6: CREATE TABLE item6 (id INTEGER PRIMARY KEY, name TEXT NOT NULL, previous_id "
    "INTEGER REFERENCES item5(id))",
    "view item_names: CREATE VIEW item_names AS SELECT name FROM item1 UNION ALL SELECT name "
    "FROM item4",
};

TEST(EmbeddedCheckpoint, FreshDatabaseRunsTheCheckpointThenTheRest) {
    ScopedTempDir dir;
    const fs::path file = dir.path() / "fresh.db";
    const auto applied = migrate_all(url_of(file));
    EXPECT_EQ(revisions(applied), (Strings{"c0000000004", "c0000000005", "c0000000006"}));
    EXPECT_EQ(applied.front().message, "checkpoint of 4 revisions, base to c0000000004");
    EXPECT_EQ(schema(file), kReplayedSchema);
    EXPECT_EQ(query(file, "SELECT version_num FROM alembic_version"), Strings{"c0000000006"});
    EXPECT_EQ(query(file, "SELECT revision || ' ' || direction FROM fastappkit_history ORDER BY "
                          "applied_at, rowid"),
              (Strings{"c0000000004 checkpoint", "c0000000005 upgrade", "c0000000006 upgrade"}));
    EXPECT_TRUE(migrate_all(url_of(file)).empty());
}

TEST(EmbeddedCheckpoint, DatabaseAtAReplacedRevisionGoesOnThroughTheFiles) {
    ScopedTempDir dir;
    const fs::path file = dir.path() / "at_two.db";
    execute(file,
            "CREATE TABLE item1 (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
            "CREATE TABLE item2 (id INTEGER PRIMARY KEY, name TEXT NOT NULL, previous_id "
            "INTEGER REFERENCES item1(id));"
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);"
            "INSERT INTO alembic_version VALUES ('c0000000002');");
    const auto applied = migrate_all(url_of(file));
    EXPECT_EQ(revisions(applied),
              (Strings{"c0000000003", "c0000000004", "c0000000005", "c0000000006"}));
    EXPECT_EQ(schema(file), kReplayedSchema);
    EXPECT_EQ(query(file, "SELECT count(*) FROM fastappkit_history WHERE direction = "
                          "'checkpoint'"),
              Strings{"0"});
}

}  // namespace
}  // namespace fastappkit
