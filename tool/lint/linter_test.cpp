#include "lint/linter.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "test_support/test_support.h"

namespace fastappkit {
namespace {

const char* kHeader =
    "-- revision: a1\n"
    "-- down_revision: none\n"
    "-- message: test\n";

struct File {
    std::string upgrade;
    std::optional<std::string> downgrade = std::string("SELECT 1;");
    std::string upgrade_options = {};  // e.g. " transaction:false"
    std::string extra_header = {};

    std::string text() const {
        std::string out = std::string(kHeader) + extra_header + "\n-- migrate:upgrade" +
                          upgrade_options + "\n" + upgrade + "\n";
        if (downgrade) out += "\n-- migrate:downgrade\n" + *downgrade + "\n";
        return out;
    }
};

std::vector<LintFinding> lint(const File& file, Dialect dialect = Dialect::postgresql,
                              MigrationSettings settings = {}) {
    return lint_migration_text(file.text(), "v/a1.sql", dialect, settings);
}

// The rule ids found, in line order.
std::vector<std::string> rules(const File& file, Dialect dialect = Dialect::postgresql,
                               MigrationSettings settings = {}) {
    std::vector<std::string> ids;
    for (const auto& f : lint(file, dialect, settings)) ids.push_back(f.rule);
    return ids;
}

using Ids = std::vector<std::string>;

MigrationSettings with_lock_timeout() {
    MigrationSettings settings;
    settings.timeouts.lock_timeout = std::chrono::seconds(2);
    return settings;
}

TEST(Linter, DropTable) {
    const auto findings = lint({"DROP TABLE IF EXISTS account;"});
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].text(),
              "v/a1.sql:6: drop-table: DROP TABLE account destroys the table and its data; stop "
              "using it first and drop it in a later release, after a backup");
    EXPECT_EQ(findings[0].severity, Severity::error);
    // A downgrade that drops what its upgrade created is what downgrades do.
    EXPECT_EQ(rules({"CREATE TABLE account (id INT);", "DROP TABLE account;"}), Ids{});
}

TEST(Linter, DropColumn) {
    EXPECT_EQ(rules({"ALTER TABLE t DROP COLUMN c;"}, Dialect::sqlite), Ids{"drop-column"});
    EXPECT_EQ(rules({"ALTER TABLE t DROP c;"}, Dialect::postgresql, with_lock_timeout()),
              Ids{"drop-column"});
    EXPECT_EQ(
        rules({"ALTER TABLE t DROP CONSTRAINT t_c_key;"}, Dialect::postgresql, with_lock_timeout()),
        Ids{});
    EXPECT_EQ(rules({"ALTER TABLE t ALTER COLUMN c DROP DEFAULT;"}, Dialect::postgresql,
                    with_lock_timeout()),
              Ids{});
}

TEST(Linter, Truncate) {
    EXPECT_EQ(rules({"TRUNCATE TABLE audit_log;"}), Ids{"truncate"});
    EXPECT_EQ(rules({"SELECT 'TRUNCATE audit_log';"}), Ids{});
}

TEST(Linter, DeleteWithoutWhere) {
    EXPECT_EQ(rules({"DELETE FROM session;"}), Ids{"delete-without-where"});
    // A WHERE inside a subquery does not limit the outer DELETE.
    EXPECT_EQ(rules({"DELETE FROM s USING (SELECT id FROM t WHERE x) q;"}),
              Ids{"delete-without-where"});
    EXPECT_EQ(rules({"DELETE FROM session WHERE expires_at < now();"}), Ids{});
}

TEST(Linter, RenameTable) {
    const auto findings = lint({"ALTER TABLE t RENAME TO u;"}, Dialect::sqlite);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].rule, "rename-table");
    EXPECT_EQ(findings[0].severity, Severity::warning);
    EXPECT_EQ(rules({"ALTER TABLE t ADD COLUMN c TEXT;"}, Dialect::sqlite), Ids{});
}

TEST(Linter, RenameColumn) {
    EXPECT_EQ(rules({"ALTER TABLE t RENAME COLUMN a TO b;"}, Dialect::sqlite),
              Ids{"rename-column"});
    EXPECT_EQ(rules({"ALTER TABLE t RENAME CONSTRAINT a TO b;"}, Dialect::postgresql,
                    with_lock_timeout()),
              Ids{});
}

TEST(Linter, Irreversible) {
    File file{"CREATE TABLE t (id INT);"};
    file.downgrade.reset();
    const auto findings = lint(file, Dialect::sqlite);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].text(),
              "v/a1.sql:5: irreversible: revision a1 has no downgrade section on sqlite, so it "
              "cannot be undone; write one (an empty section if nothing needs undoing)");
    file.downgrade = "";  // an empty downgrade is an intentional no-op
    EXPECT_EQ(rules(file, Dialect::sqlite), Ids{});
}

TEST(Linter, SqliteAlterUnsupported) {
    EXPECT_EQ(rules({"ALTER TABLE t ALTER COLUMN c TYPE TEXT;"}, Dialect::sqlite),
              Ids{"sqlite-alter-unsupported"});
    EXPECT_EQ(rules({"ALTER TABLE t ADD CONSTRAINT c UNIQUE (a);"}, Dialect::sqlite),
              Ids{"sqlite-alter-unsupported"});
    EXPECT_EQ(rules({"ALTER TABLE t ADD COLUMN a INT, ADD COLUMN b INT;"}, Dialect::sqlite),
              Ids{"sqlite-alter-unsupported"});
    // Also in a downgrade: it fails there as much.
    EXPECT_EQ(rules({"SELECT 1;", "ALTER TABLE t DROP CONSTRAINT c;"}, Dialect::sqlite),
              Ids{"sqlite-alter-unsupported"});
    EXPECT_EQ(rules({"ALTER TABLE t ADD COLUMN c TEXT DEFAULT 'x';"}, Dialect::sqlite), Ids{});
    // PostgreSQL accepts these forms.
    EXPECT_EQ(rules({"ALTER TABLE t ADD CONSTRAINT c UNIQUE (a);"}, Dialect::postgresql,
                    with_lock_timeout()),
              Ids{});
}

TEST(Linter, PgCreateIndexBlocking) {
    const auto findings = lint({"CREATE INDEX ix_t_a ON public.t (a);"});
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].text(),
              "v/a1.sql:6: pg-create-index-blocking: CREATE INDEX on existing table t blocks its "
              "writes while the index builds; use CREATE INDEX CONCURRENTLY in a "
              "transaction:false section");
    // A table created in the same revision is empty: nothing waits.
    EXPECT_EQ(rules({"CREATE TABLE t (a INT);\nCREATE UNIQUE INDEX ix_t_a ON t (a);"}), Ids{});
    File concurrent{"CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_t_a ON t (a);"};
    concurrent.upgrade_options = " transaction:false";
    EXPECT_EQ(rules(concurrent), Ids{});
    EXPECT_EQ(rules({"CREATE INDEX ix_t_a ON t (a);"}, Dialect::sqlite), Ids{});
}

TEST(Linter, PgConcurrentlyInTransaction) {
    EXPECT_EQ(rules({"CREATE INDEX CONCURRENTLY ix ON t (a);"}),
              Ids{"pg-concurrently-in-transaction"});
    EXPECT_EQ(rules({"SELECT 1;", "DROP INDEX CONCURRENTLY ix;"}),
              Ids{"pg-concurrently-in-transaction"});
    File file{"CREATE INDEX CONCURRENTLY ix ON t (a);"};
    file.upgrade_options = " transaction:false";
    EXPECT_EQ(rules(file), Ids{});
}

TEST(Linter, PgAddForeignKeyValidating) {
    const auto settings = with_lock_timeout();
    EXPECT_EQ(rules({"ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id);"},
                    Dialect::postgresql, settings),
              Ids{"pg-add-foreign-key-validating"});
    EXPECT_EQ(
        rules({"ALTER TABLE t ADD COLUMN u INT REFERENCES u (id);"}, Dialect::postgresql, settings),
        Ids{"pg-add-foreign-key-validating"});
    EXPECT_EQ(
        rules({"ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id) NOT VALID;"},
              Dialect::postgresql, settings),
        Ids{});
    EXPECT_EQ(rules({"CREATE TABLE t (id INT);\nALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (id) "
                     "REFERENCES u (id);"}),
              Ids{});
}

TEST(Linter, PgSetNotNull) {
    const auto settings = with_lock_timeout();
    EXPECT_EQ(rules({"ALTER TABLE t ALTER COLUMN c SET NOT NULL;"}, Dialect::postgresql, settings),
              Ids{"pg-set-not-null"});
    EXPECT_EQ(rules({"ALTER TABLE t ALTER COLUMN c DROP NOT NULL;"}, Dialect::postgresql, settings),
              Ids{});
}

TEST(Linter, PgAlterColumnType) {
    const auto settings = with_lock_timeout();
    EXPECT_EQ(rules({"ALTER TABLE t ALTER COLUMN c TYPE BIGINT;"}, Dialect::postgresql, settings),
              Ids{"pg-alter-column-type"});
    EXPECT_EQ(rules({"ALTER TABLE t ALTER c SET DATA TYPE TEXT;"}, Dialect::postgresql, settings),
              Ids{"pg-alter-column-type"});
    EXPECT_EQ(rules({"ALTER TABLE t ALTER COLUMN c SET DEFAULT 0;"}, Dialect::postgresql, settings),
              Ids{});
}

TEST(Linter, PgAddColumnVolatileDefault) {
    const auto settings = with_lock_timeout();
    EXPECT_EQ(rules({"ALTER TABLE t ADD COLUMN u UUID DEFAULT gen_random_uuid();"},
                    Dialect::postgresql, settings),
              Ids{"pg-add-column-volatile-default"});
    EXPECT_EQ(rules({"ALTER TABLE t ADD COLUMN n BIGSERIAL;"}, Dialect::postgresql, settings),
              Ids{"pg-add-column-volatile-default"});
    // now() is stable: PostgreSQL stores the one value without rewriting the table.
    EXPECT_EQ(rules({"ALTER TABLE t ADD COLUMN at TIMESTAMPTZ DEFAULT now();"}, Dialect::postgresql,
                    settings),
              Ids{});
}

TEST(Linter, PgNoLockTimeout) {
    const File file{"ALTER TABLE t ADD COLUMN c TEXT;\nALTER TABLE t ADD COLUMN d TEXT;"};
    const auto findings = lint(file);
    ASSERT_EQ(findings.size(), 1u);  // once per section
    EXPECT_EQ(findings[0].text(),
              "v/a1.sql:6: pg-no-lock-timeout: ALTER TABLE t waits for its lock with no limit, and "
              "every query on the table queues behind it; set lock_timeout in "
              "[tool.fastappkit.migration] or a '-- lock_timeout: 2s' header");
    EXPECT_EQ(rules(file, Dialect::postgresql, with_lock_timeout()), Ids{});
    File header = file;
    header.extra_header = "-- lock_timeout: 2s\n";
    EXPECT_EQ(rules(header), Ids{});
    EXPECT_EQ(rules({"SET LOCAL lock_timeout = '2s';\nALTER TABLE t ADD COLUMN c TEXT;"}), Ids{});
    EXPECT_EQ(rules({"CREATE TABLE t (id INT);\nALTER TABLE t ADD COLUMN c TEXT;"}), Ids{});
    EXPECT_EQ(rules(file, Dialect::sqlite), Ids{});
}

TEST(Linter, IgnoreLineSilencesTheRuleInItsFile) {
    File file{
        "-- lint:ignore drop-table replaced by account_v2 in revision b2\nDROP TABLE account;"};
    EXPECT_EQ(rules(file), Ids{});
    file.upgrade = "DROP TABLE account; -- lint:ignore truncate wrong rule\n";
    EXPECT_EQ(rules(file), Ids{"drop-table"});
}

TEST(Linter, IgnoreLineWithoutReasonOrKnownRuleIsAnError) {
    const auto findings = lint({"-- lint:ignore drop-table\nDROP TABLE account;"});
    ASSERT_EQ(findings.size(), 2u);
    EXPECT_EQ(findings[0].text(),
              "v/a1.sql:6: lint-ignore: lint:ignore drop-table needs a reason after the rule id, "
              "saying why the statement is safe here");
    EXPECT_EQ(findings[0].severity, Severity::error);
    EXPECT_EQ(findings[1].rule, "drop-table");  // a bad ignore silences nothing
    EXPECT_EQ(rules({"-- lint:ignore drop-tables typo\nSELECT 1;"}), Ids{"lint-ignore"});
    EXPECT_EQ(rules({"-- lint:ignore\nSELECT 1;"}), Ids{"lint-ignore"});
}

TEST(Linter, TimeoutHeadersAreValidated) {
    File file{"SELECT 1;"};
    file.extra_header = "-- lock_timeout: soon\n";
    EXPECT_EQ(test_support::message_of([&] { lint(file); }),
              "v/a1.sql:4: invalid lock_timeout 'soon'; expected a whole number and a unit, such "
              "as 500ms, 5s or 2min");
}

TEST(Linter, EveryRuleHasAStableIdAndSeverity) {
    EXPECT_EQ(lint_rules().size(), 16u);
    ASSERT_NE(find_lint_rule("pg-no-lock-timeout"), nullptr);
    EXPECT_EQ(find_lint_rule("pg-no-lock-timeout")->severity, Severity::warning);
    EXPECT_EQ(find_lint_rule("nope"), nullptr);
}

}  // namespace
}  // namespace fastappkit
