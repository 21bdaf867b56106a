// What separates two schemas, table by table: tables, columns (type, nullability, default),
// primary keys, unique constraints, foreign keys, CHECK constraints and indexes. Dialect-free:
// renderers turn a diff into SQL.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "autogen/schema.h"

namespace fastappkit {

struct ColumnChange {
    Column from;
    Column to;
    bool type = false;
    bool nullability = false;
    bool default_value = false;
    bool generation = false;  // identity or generated expression
};

struct TableDiff {
    std::string table;
    std::optional<Table> from;  // nullopt: the table is added
    std::optional<Table> to;    // nullopt: the table is removed

    std::vector<Column> added_columns;
    std::vector<Column> removed_columns;
    std::vector<ColumnChange> changed_columns;
    bool primary_key_changed = false;
    std::vector<UniqueConstraint> added_uniques, removed_uniques;
    std::vector<ForeignKey> added_foreign_keys, removed_foreign_keys;
    std::vector<CheckConstraint> added_checks, removed_checks;
    std::vector<Index> added_indexes, removed_indexes;

    bool added() const { return !from; }
    bool removed() const { return !to; }
    // True when only indexes differ.
    bool only_indexes() const;
};

struct SchemaDiff {
    // Added tables first, each after the tables it refers to; then removed tables, each before
    // the tables it refers to; then changed tables by name.
    std::vector<TableDiff> tables;
    // Possible renames, which the migration performs as drop + add: for the user to review.
    std::vector<std::string> review_notes;

    bool empty() const { return tables.empty(); }
    // One line per change, e.g. "add column auth_user.nickname", then the review notes.
    std::vector<std::string> describe() const;
};

// What turns `from` into `to`. Version tables (alembic_version*) and fastappkit_history are
// never part of a diff.
SchemaDiff diff_schemas(const Schema& from, const Schema& to);

bool is_bookkeeping_table(const std::string& table);

}  // namespace fastappkit
