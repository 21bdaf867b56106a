// Turns a SchemaDiff into the SQL of a migration's upgrade and downgrade sections, one
// implementation per dialect. Every change carries the statements that make it and the ones
// that undo it; the upgrade runs the changes in phase order, the downgrade undoes them in the
// reverse order.
#pragma once

#include <string>
#include <vector>

#include "autogen/schema_diff.h"

namespace fastappkit {

struct SectionSql {
    // Statements without their terminating semicolon; an entry starting with "--" is a comment.
    std::vector<std::string> statements;
    // Options of the section marker ("transaction:false dialect:sqlite"); empty: none.
    std::string options;

    // The section's body: statements ending with ';', one per line, a blank line around those
    // spanning several lines.
    std::string text() const;
};

struct MigrationSql {
    SectionSql upgrade;
    SectionSql downgrade;
    // Header lines after the standard keys, without their "-- ": "lock_timeout: 5s", and a
    // "lint:ignore <rule-id> <reason>" for each rule a statement written on purpose breaks, so
    // that the file passes `migrate lint --strict` for its dialect.
    std::vector<std::string> header;
    // Statements that must run outside a transaction (CREATE INDEX CONCURRENTLY) or lock less
    // there (VALIDATE CONSTRAINT): at most one migration, written as a second revision after
    // this one, with transaction:false sections.
    std::vector<MigrationSql> then;

    bool empty() const { return upgrade.statements.empty() && downgrade.statements.empty(); }
};

class Renderer {
public:
    virtual ~Renderer() = default;
    virtual MigrationSql render(const SchemaDiff& diff) const = 0;
};

// When a change runs within the upgrade; the downgrade undoes in the reverse order. Foreign
// keys and indexes go first and come back last, so that tables and columns they rely on can
// change in between.
enum class Phase {
    drop_foreign_keys,
    drop_constraints,  // indexes, unique and check constraints, primary keys
    drop_tables,
    create_tables,
    alter_tables,
    create_constraints,
    add_foreign_keys,
};

struct ChangeSql {
    Phase phase = Phase::alter_tables;
    std::vector<std::string> upgrade;
    std::vector<std::string> downgrade;
    // Lint rules the upgrade breaks on purpose: "<rule-id> <reason>".
    std::vector<std::string> lint_accepted = {};
    // Runs in the follow-up migration, outside a transaction (MigrationSql::then).
    bool outside_transaction = false;
};

// Upgrade: the changes' statements ordered by phase (stable); downgrade: each change's undo, last
// change first. The review notes open both sections as "-- review: …" comments. The changes
// run outside a transaction go to `then`; every change's accepted lint rules to the header of
// its migration, once per rule.
MigrationSql assemble(std::vector<ChangeSql> changes, const std::vector<std::string>& review_notes);

}  // namespace fastappkit
