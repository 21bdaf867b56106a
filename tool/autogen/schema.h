// The schema autogenerate compares: tables with their columns, keys, indexes and constraints,
// as an introspector reads them from a scratch database. Plain data; both dialects fill the
// same fields, so the differ and the tests never look at the dialect.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace fastappkit {

struct Column {
    std::string name;
    std::string type;  // as the database reports it: "TEXT", "character varying(40)"
    bool not_null = false;
    std::optional<std::string> default_value;  // SQL expression; nullopt: no default
    std::string identity;   // PostgreSQL identity: "ALWAYS" / "BY DEFAULT"; empty: none
    std::string generated;  // generation expression of a generated column; empty: none
    // SQLite: the column's definition as declared in CREATE TABLE ("email TEXT NOT NULL
    // UNIQUE"), reused by ALTER TABLE ADD COLUMN. Empty when not known.
    std::string definition;
};

// An index made with CREATE INDEX (indexes behind PRIMARY KEY / UNIQUE constraints are not
// indexes here: they come and go with their constraint).
struct Index {
    std::string name;
    bool unique = false;
    std::vector<std::string> columns;  // column names or expressions, as declared
    std::string where;                 // predicate of a partial index; empty: none
    std::string method;                // PostgreSQL access method ("btree"); empty on SQLite
    std::string sql;                   // SQLite: the CREATE INDEX statement as declared
};

struct UniqueConstraint {
    std::string name;  // empty when the database does not name it (SQLite)
    std::vector<std::string> columns;
};

struct ForeignKey {
    std::string name;  // empty when the database does not name it (SQLite)
    std::vector<std::string> columns;
    std::string referred_table;
    std::vector<std::string> referred_columns;
    std::string on_update = "NO ACTION";
    std::string on_delete = "NO ACTION";
};

struct CheckConstraint {
    std::string name;        // empty when the database does not name it (SQLite)
    std::string expression;  // "CHECK (amount > 0)"
};

struct Table {
    std::string name;
    std::vector<Column> columns;           // in table order
    std::string primary_key_name;          // empty when not named (SQLite)
    std::vector<std::string> primary_key;  // column names in key order; empty: none
    std::vector<UniqueConstraint> uniques;
    std::vector<ForeignKey> foreign_keys;
    std::vector<CheckConstraint> checks;
    std::vector<Index> indexes;
    std::string sql;  // SQLite: the CREATE TABLE statement as stored; empty elsewhere

    const Column* find_column(const std::string& column) const;
};

// A view. Autogenerate does not diff views; `migrate drift` compares them by definition.
struct View {
    std::string name;
    std::string definition;  // as the database keeps it (SQLite: the CREATE VIEW statement)
    std::string create_sql;  // the statement that creates it, without a semicolon
};

struct Schema {
    std::vector<Table> tables;  // ordered by name
    std::vector<View> views;    // ordered by name

    const Table* find(const std::string& table) const;
    const View* find_view(const std::string& view) const;
};

}  // namespace fastappkit
