// Every kind of change, on SQLite and (with FASTAPPKIT_TEST_POSTGRES_URL) PostgreSQL: the
// generated migration, applied as the runner applies it to a database at the old schema,
// gives the new models' schema, and its downgrade gives the old one back, rows included.
#include <algorithm>
#include <cstdlib>

#include <gtest/gtest.h>

#include "autogen/dialects.h"
#include "autogen/revision_file.h"
#include "autogen/schema_diff.h"
#include "common/error.h"
#include "script/migration_file.h"
#include "test_support/test_support.h"

namespace fastappkit {
namespace {

using Rows = std::vector<std::vector<std::optional<std::string>>>;

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) out += line + "\n";
    return out;
}

// The values of a one-column result, NULL as "NULL".
std::vector<std::string> column_values(const Rows& rows) {
    std::vector<std::string> values;
    for (const auto& row : rows) values.push_back(row.at(0).value_or("NULL"));
    return values;
}

class AutogenRoundTrip : public ::testing::TestWithParam<Dialect> {
protected:
    void SetUp() override {
        if (GetParam() == Dialect::postgresql) {
            const char* url = std::getenv("FASTAPPKIT_TEST_POSTGRES_URL");
            if (url == nullptr || *url == '\0')
                GTEST_SKIP() << "FASTAPPKIT_TEST_POSTGRES_URL is not set";
            target_ = parse_database_url(url, "/");
        } else {
            target_ = parse_database_url("sqlite://", "/");
        }
        introspector_ = make_introspector(GetParam());
    }

    Schema schema_of(const std::string& models) {
        auto scratch = introspector_->open_scratch(target_);
        scratch->db().execute(models);
        return introspector_->read_schema(scratch->db());
    }

    // Generates the migration from `old_models` to `new_models`, as parsed migration files:
    // the migration, and the one run outside a transaction after it when there is one (its
    // text in then_text_).
    std::vector<MigrationScript> generate(const std::string& old_models,
                                          const std::string& new_models) {
        old_schema_ = schema_of(old_models);
        new_schema_ = schema_of(new_models);
        const auto diff = diff_schemas(old_schema_, new_schema_);
        EXPECT_FALSE(diff.empty());
        RevisionFile file;
        file.revision = "0123456789ab";
        file.message = "test";
        file.create_date = "2026-01-01T00:00:00Z";
        const MigrationSql sql = make_renderer(GetParam())->render(diff);
        file.sql = sql;
        file.sql.then.clear();
        text_ = render_revision_file(file);
        std::vector<MigrationScript> scripts{parse_migration_text(text_, "generated.sql", false)};
        then_text_.clear();
        for (const auto& then : sql.then) {
            file.revision = "0123456789ac";
            file.down_revisions = {"0123456789ab"};
            file.sql = then;
            then_text_ = render_revision_file(file);
            scripts.push_back(parse_migration_text(then_text_, "generated_then.sql", false));
        }
        return scripts;
    }

    // A database at the old schema holding `rows`, and the migration to the new one.
    void start(const std::string& old_models, const std::string& new_models,
               const std::string& rows = "") {
        scripts_ = generate(old_models, new_models);
        live_ = introspector_->open_scratch(target_);
        db().execute(old_models);
        if (!rows.empty()) db().execute(rows);
    }

    // Runs a section the way the runner does: in a transaction unless it says transaction:false;
    // the follow-up migration after the first on upgrade, before it on downgrade.
    void run(Direction direction) {
        std::vector<const MigrationScript*> order;
        for (const auto& script : scripts_) order.push_back(&script);
        if (direction == Direction::downgrade) std::reverse(order.begin(), order.end());
        for (const MigrationScript* script : order) {
            const Section* section = script->section(direction, to_string(GetParam()));
            ASSERT_NE(section, nullptr) << text_ << then_text_;
            if (section->transactional) {
                auto transaction = db().begin();
                db().execute(section->sql, section->marker_line + 1);
                transaction->commit();
            } else {
                db().execute(section->sql, section->marker_line + 1);
            }
        }
    }

    void expect_schema(const Schema& expected) {
        const auto diff = diff_schemas(introspector_->read_schema(db()), expected);
        EXPECT_TRUE(diff.empty()) << join_lines(diff.describe()) << "\n" << text_ << then_text_;
    }

    void upgrade() {
        ASSERT_NO_FATAL_FAILURE(run(Direction::upgrade));
        expect_schema(new_schema_);
    }

    void downgrade() {
        ASSERT_NO_FATAL_FAILURE(run(Direction::downgrade));
        expect_schema(old_schema_);
    }

    void round_trip(const std::string& old_models, const std::string& new_models,
                    const std::string& rows = "") {
        start(old_models, new_models, rows);
        upgrade();
        downgrade();
    }

    std::vector<std::string> values(const std::string& sql) {
        return column_values(db().query(sql));
    }
    Database& db() { return live_->db(); }
    bool sqlite() const { return GetParam() == Dialect::sqlite; }

    DatabaseUrl target_;
    std::unique_ptr<Introspector> introspector_;
    Schema old_schema_, new_schema_;
    std::string text_, then_text_;
    std::vector<MigrationScript> scripts_;
    std::unique_ptr<ScratchSchema> live_;
};

const std::string kAccount = "CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n";
const std::string kAccountRows = "INSERT INTO account (id, name) VALUES (1, 'ada'), (2, 'bob');\n";

TEST_P(AutogenRoundTrip, AddsTableWithIndexAndForeignKey) {
    round_trip(kAccount,
               kAccount +
                   "CREATE TABLE note (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL "
                   "REFERENCES account (id) ON DELETE CASCADE, body TEXT);\n"
                   "CREATE INDEX note_account_id_idx ON note (account_id);\n",
               kAccountRows);
    EXPECT_EQ(values("SELECT name FROM account ORDER BY id"),
              (std::vector<std::string>{"ada", "bob"}));
}

TEST_P(AutogenRoundTrip, DropsTable) {
    const std::string note =
        "CREATE TABLE note (id INTEGER PRIMARY KEY, account_id INTEGER REFERENCES account (id));\n";
    round_trip(kAccount + note, kAccount,
               kAccountRows + "INSERT INTO note (id, account_id) VALUES (1, 1);");
    EXPECT_EQ(values("SELECT name FROM account ORDER BY id"),
              (std::vector<std::string>{"ada", "bob"}));
}

TEST_P(AutogenRoundTrip, AddsNullableColumnWithAlterTable) {
    round_trip(kAccount,
               "CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT NOT NULL, nickname TEXT);",
               kAccountRows);
    EXPECT_NE(text_.find("ALTER TABLE account ADD COLUMN nickname"), std::string::npos) << text_;
    EXPECT_EQ(text_.find("transaction:false"), std::string::npos) << text_;
    EXPECT_EQ(values("SELECT name FROM account ORDER BY id"),
              (std::vector<std::string>{"ada", "bob"}));
}

TEST_P(AutogenRoundTrip, AddsIndexedColumnWithAlterTable) {
    round_trip(kAccount,
               "CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT NOT NULL, team TEXT);\n"
               "CREATE INDEX account_team_idx ON account (team);\n",
               kAccountRows);
    EXPECT_EQ(text_.find("transaction:false"), std::string::npos) << text_;
}

TEST_P(AutogenRoundTrip, AddsNotNullColumnWithTimestampDefaultKeepingRows) {
    start(kAccount,
          "CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
          "created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);",
          kAccountRows);
    upgrade();
    EXPECT_EQ(values("SELECT name FROM account ORDER BY id"),
              (std::vector<std::string>{"ada", "bob"}));
    EXPECT_EQ(values("SELECT count(*) FROM account WHERE created_at IS NOT NULL"),
              (std::vector<std::string>{"2"}));
    downgrade();
    EXPECT_EQ(values("SELECT name FROM account ORDER BY id"),
              (std::vector<std::string>{"ada", "bob"}));
}

// ALTER TABLE ADD COLUMN could not undo the drop (a CURRENT_TIMESTAMP default): SQLite rebuilds.
TEST_P(AutogenRoundTrip, DropsColumnKeepingOtherColumns) {
    round_trip(
        "CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "seen_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);",
        kAccount, kAccountRows);
    if (sqlite()) {
        EXPECT_NE(text_.find("rebuild account"), std::string::npos) << text_;
    }
    EXPECT_EQ(values("SELECT name FROM account ORDER BY id"),
              (std::vector<std::string>{"ada", "bob"}));
}

TEST_P(AutogenRoundTrip, DropsPlainColumnWithAlterTable) {
    start("CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT);", kAccount,
          kAccountRows);
    EXPECT_NE(text_.find("ALTER TABLE account DROP COLUMN note"), std::string::npos) << text_;
    EXPECT_EQ(text_.find("transaction:false"), std::string::npos) << text_;
    upgrade();
    downgrade();
}

TEST_P(AutogenRoundTrip, ChangesColumnType) {
    start(kAccount, "CREATE TABLE account (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL);",
          kAccountRows);
    upgrade();
    EXPECT_EQ(values("SELECT name FROM account ORDER BY id"),
              (std::vector<std::string>{"ada", "bob"}));
    downgrade();
    EXPECT_EQ(values("SELECT name FROM account ORDER BY id"),
              (std::vector<std::string>{"ada", "bob"}));
}

TEST_P(AutogenRoundTrip, ChangesNullability) {
    round_trip("CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT);", kAccount, kAccountRows);
    EXPECT_EQ(values("SELECT name FROM account ORDER BY id"),
              (std::vector<std::string>{"ada", "bob"}));
}

TEST_P(AutogenRoundTrip, ChangesDefault) {
    start("CREATE TABLE account (id INTEGER PRIMARY KEY, currency TEXT DEFAULT 'EUR');",
          "CREATE TABLE account (id INTEGER PRIMARY KEY, currency TEXT DEFAULT 'USD');",
          "INSERT INTO account (id) VALUES (1);");
    upgrade();
    db().execute("INSERT INTO account (id) VALUES (2)");
    EXPECT_EQ(values("SELECT currency FROM account ORDER BY id"),
              (std::vector<std::string>{"EUR", "USD"}));
    downgrade();
    EXPECT_EQ(values("SELECT currency FROM account ORDER BY id"),
              (std::vector<std::string>{"EUR", "USD"}));
}

TEST_P(AutogenRoundTrip, AddsDropsAndChangesIndexes) {
    round_trip(kAccount +
                   "CREATE INDEX account_name_idx ON account (name);\n"
                   "CREATE INDEX account_id_name_idx ON account (id, name);\n",
               kAccount +
                   "CREATE INDEX account_name_idx ON account (name, id);\n"
                   "CREATE UNIQUE INDEX account_lower_name_idx ON account (lower(name));\n",
               kAccountRows);
    EXPECT_EQ(text_.find("transaction:false"), std::string::npos) << text_;
}

TEST_P(AutogenRoundTrip, AddsUniqueConstraint) {
    round_trip(kAccount,
               "CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);",
               kAccountRows);
    EXPECT_EQ(values("SELECT name FROM account ORDER BY id"),
              (std::vector<std::string>{"ada", "bob"}));
}

TEST_P(AutogenRoundTrip, DropsUniqueConstraint) {
    start("CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT NOT NULL, UNIQUE (name));",
          kAccount, kAccountRows);
    upgrade();
    db().execute("INSERT INTO account (id, name) VALUES (3, 'ada')");  // no longer unique
    db().execute("DELETE FROM account WHERE id = 3");
    downgrade();
    EXPECT_THROW(db().execute("INSERT INTO account (id, name) VALUES (3, 'ada')"), StatementError);
}

const std::string kChild =
    "CREATE TABLE membership (id INTEGER PRIMARY KEY, account_id INTEGER);\n";
const std::string kChildWithKey =
    "CREATE TABLE membership (id INTEGER PRIMARY KEY, account_id INTEGER REFERENCES account "
    "(id));\n";

TEST_P(AutogenRoundTrip, AddsForeignKeyThatIsEnforced) {
    start(kAccount + kChild, kAccount + kChildWithKey,
          kAccountRows + "INSERT INTO membership (id, account_id) VALUES (10, 1), (11, 2);");
    upgrade();
    EXPECT_EQ(values("SELECT account_id FROM membership ORDER BY id"),
              (std::vector<std::string>{"1", "2"}));
    EXPECT_THROW(db().execute("INSERT INTO membership (id, account_id) VALUES (12, 99)"),
                 StatementError);
    downgrade();
    db().execute("INSERT INTO membership (id, account_id) VALUES (12, 99)");
}

TEST_P(AutogenRoundTrip, DropsForeignKey) {
    start(kAccount + kChildWithKey, kAccount + kChild,
          kAccountRows + "INSERT INTO membership (id, account_id) VALUES (10, 1);");
    upgrade();
    db().execute("INSERT INTO membership (id, account_id) VALUES (12, 99)");
    db().execute("DELETE FROM membership WHERE id = 12");
    downgrade();
    EXPECT_THROW(db().execute("INSERT INTO membership (id, account_id) VALUES (12, 99)"),
                 StatementError);
    EXPECT_EQ(values("SELECT account_id FROM membership ORDER BY id"),
              (std::vector<std::string>{"1"}));
}

TEST_P(AutogenRoundTrip, ChangesPrimaryKey) {
    round_trip(
        "CREATE TABLE tag (post_id INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY (post_id));",
        "CREATE TABLE tag (post_id INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY (post_id, "
        "name));",
        "INSERT INTO tag (post_id, name) VALUES (1, 'a'), (2, 'b');");
    EXPECT_EQ(values("SELECT name FROM tag ORDER BY post_id"),
              (std::vector<std::string>{"a", "b"}));
}

TEST_P(AutogenRoundTrip, ChangesCheckConstraint) {
    start(
        "CREATE TABLE charge (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL);",
        "CREATE TABLE charge (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL CHECK (amount > 0));",
        "INSERT INTO charge (id, amount) VALUES (1, 5);");
    upgrade();
    EXPECT_THROW(db().execute("INSERT INTO charge (id, amount) VALUES (2, -1)"), StatementError);
    downgrade();
    db().execute("INSERT INTO charge (id, amount) VALUES (2, -1)");
}

// The table rebuild on SQLite (ALTER COLUMN on PostgreSQL) of a parent: rows of its children,
// which would cascade away if the rebuild dropped the parent with foreign keys on, stay; the
// foreign keys still hold and still act afterwards.
TEST_P(AutogenRoundTrip, ChangingReferencedTableKeepsChildRowsAndForeignKeys) {
    const std::string child =
        "CREATE TABLE session (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL "
        "REFERENCES account (id) ON DELETE CASCADE);\n"
        "CREATE INDEX session_account_id_idx ON session (account_id);\n";
    start("CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT);\n" + child, kAccount + child,
          kAccountRows + "INSERT INTO session (id, account_id) VALUES (10, 1), (11, 2);");
    if (sqlite()) {
        EXPECT_NE(text_.find("rebuild account"), std::string::npos) << text_;
    }
    upgrade();
    EXPECT_EQ(values("SELECT account_id FROM session ORDER BY id"),
              (std::vector<std::string>{"1", "2"}));
    EXPECT_THROW(db().execute("INSERT INTO session (id, account_id) VALUES (12, 99)"),
                 StatementError);
    db().execute("DELETE FROM account WHERE id = 2");
    EXPECT_EQ(values("SELECT account_id FROM session ORDER BY id"),
              (std::vector<std::string>{"1"}));
    downgrade();
    EXPECT_EQ(values("SELECT account_id FROM session ORDER BY id"),
              (std::vector<std::string>{"1"}));
    EXPECT_EQ(values("SELECT name FROM account ORDER BY id"), (std::vector<std::string>{"ada"}));
    EXPECT_THROW(db().execute("INSERT INTO session (id, account_id) VALUES (12, 99)"),
                 StatementError);
}

TEST_P(AutogenRoundTrip, RenameIsDropAndAddForReview) {
    // Nullable: the downgrade adds the dropped column back to a table with rows.
    round_trip("CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT);",
               "CREATE TABLE account (id INTEGER PRIMARY KEY, full_name TEXT);", kAccountRows);
    EXPECT_NE(text_.find("-- review: possible rename of column account.name to account.full_name"),
              std::string::npos)
        << text_;
}

TEST_P(AutogenRoundTrip, IdenticalModelsHaveNoDiff) {
    const std::string models =
        kAccount + kChildWithKey + "CREATE INDEX membership_idx ON membership (account_id);";
    EXPECT_TRUE(diff_schemas(schema_of(models), schema_of(models)).empty());
}

// Each table refers to the other: on PostgreSQL one foreign key is added once both exist.
TEST_P(AutogenRoundTrip, CreatesTablesReferringToEachOther) {
    const std::string models =
        sqlite()
            ? "CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER REFERENCES b (id));\n"
              "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id));\n"
            : "CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER);\n"
              "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id));\n"
              "ALTER TABLE a ADD CONSTRAINT a_b_id_fkey FOREIGN KEY (b_id) REFERENCES b (id);\n";
    round_trip(kAccount, kAccount + models, kAccountRows);
}

TEST_P(AutogenRoundTrip, PostgresSerialIdentityGeneratedAndJsonColumns) {
    if (sqlite()) GTEST_SKIP() << "PostgreSQL column kinds";
    const std::string event =
        "CREATE TABLE event (id BIGSERIAL PRIMARY KEY, seq INTEGER GENERATED BY DEFAULT AS "
        "IDENTITY, amount INTEGER, doubled INTEGER GENERATED ALWAYS AS (amount * 2) STORED, "
        "payload JSONB, CONSTRAINT event_amount_positive CHECK (amount > 0));\n"
        "CREATE INDEX event_payload_idx ON event USING GIN (payload);\n"
        "CREATE INDEX event_recent_idx ON event (id DESC) WHERE amount > 10;\n";
    EXPECT_TRUE(diff_schemas(schema_of(event), schema_of(event)).empty());
    round_trip(kAccount, kAccount + event, kAccountRows);
    start(kAccount + event, kAccount + event + "ALTER TABLE event ADD COLUMN note TEXT;");
    upgrade();
    db().execute("INSERT INTO event (amount) VALUES (5)");
    EXPECT_EQ(values("SELECT doubled FROM event"), (std::vector<std::string>{"10"}));
    downgrade();
}

INSTANTIATE_TEST_SUITE_P(Sqlite, AutogenRoundTrip, ::testing::Values(Dialect::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, AutogenRoundTrip, ::testing::Values(Dialect::postgresql));

// SQLite only: a rebuild that would break a foreign key fails and changes nothing.
TEST(AutogenSqliteRebuild, FailsWhenForeignKeyNoLongerHolds) {
    const auto target = parse_database_url("sqlite://", "/");
    const auto introspector = make_introspector(Dialect::sqlite);
    auto schema_of = [&](const std::string& models) {
        auto scratch = introspector->open_scratch(target);
        scratch->db().execute(models);
        return introspector->read_schema(scratch->db());
    };
    const auto before = schema_of(kAccount + kChild);
    const auto sql = make_renderer(Dialect::sqlite)
                         ->render(diff_schemas(before, schema_of(kAccount + kChildWithKey)));
    auto live = introspector->open_scratch(target);
    live->db().execute(kAccount + kChild + kAccountRows +
                       "INSERT INTO membership (id, account_id) VALUES (10, 99);");
    const auto error =
        test_support::thrown<StatementError>([&] { live->db().execute(sql.upgrade.text()); });
    ASSERT_TRUE(error) << "the rebuild should fail";
    EXPECT_EQ(error->message,
              "CHECK constraint failed: a foreign key does not hold after the table rebuild "
              "(see PRAGMA foreign_key_check)");
    // The runner's process ends with the failure; closing the connection rolls back.
    live->db().execute("ROLLBACK");
    EXPECT_TRUE(diff_schemas(introspector->read_schema(live->db()), before).empty());
    EXPECT_EQ(column_values(live->db().query("SELECT account_id FROM membership")),
              (std::vector<std::string>{"99"}));
}

}  // namespace
}  // namespace fastappkit
