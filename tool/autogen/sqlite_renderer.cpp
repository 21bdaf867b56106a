#include "autogen/sqlite_renderer.h"

#include <algorithm>

#include <fmt/format.h>

#include "autogen/sql_text.h"

namespace fastappkit {

namespace {

std::string q(const std::string& name) { return quote_identifier(name); }

std::string trimmed(const std::string& sql) {
    const auto first = sql.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return {};
    auto last = sql.find_last_not_of(" \t\r\n;");
    return sql.substr(first, last - first + 1);
}

bool contains_name(const std::vector<std::string>& names, const std::string& name) {
    return std::any_of(names.begin(), names.end(),
                       [&](const std::string& n) { return same_identifier(n, name); });
}

std::vector<std::string> create_statements(const Table& table) {
    std::vector<std::string> statements{trimmed(table.sql)};
    for (const auto& index : table.indexes) statements.push_back(trimmed(index.sql));
    return statements;
}

// ALTER TABLE ADD COLUMN's rules: no PRIMARY KEY or UNIQUE, no REFERENCES (foreign keys are
// on), no CURRENT_* or parenthesised default, NOT NULL only with a non-NULL default.
bool can_add_column(const Column& column, const Table& table) {
    if (column.definition.empty() || !column.generated.empty()) return false;
    if (contains_name(table.primary_key, column.name)) return false;
    for (const auto& unique : table.uniques) {
        if (contains_name(unique.columns, column.name)) return false;
    }
    for (const auto& key : table.foreign_keys) {
        if (contains_name(key.columns, column.name)) return false;
    }
    const auto tokens = tokenize_sql(column.definition);
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
        if (!same_identifier(tokens[i].text, "default")) continue;
        const std::string value = lower_ascii(tokens[i + 1].text);
        if (value == "(" || value.rfind("current_", 0) == 0) return false;
    }
    const bool null_default =
        !column.default_value || same_identifier(*column.default_value, "null");
    return !(column.not_null && null_default);
}

// ALTER TABLE DROP COLUMN's rules: the column is in no key, index, constraint or generated
// column, which the stored CREATE TABLE shows by naming it only in its own definition.
bool can_drop_column(const Column& column, const Table& table) {
    if (!column.generated.empty() || contains_name(table.primary_key, column.name)) return false;
    for (const auto& index : table.indexes) {
        for (const auto& item : index.columns) {
            if (mentions_identifier(item, column.name)) return false;
        }
        if (mentions_identifier(index.where, column.name)) return false;
    }
    const auto parsed = parse_create_table(table.sql);
    if (!parsed) return false;
    for (const auto& item : parsed->items) {
        const auto defined = defined_column(item);
        if (defined && same_identifier(*defined, column.name)) continue;
        if (mentions_identifier(item, column.name)) return false;
    }
    return true;
}

// True when ALTER TABLE can add `column` of `table` and drop it again; `dropped_first` are
// indexes of `table` that the migration drops before it drops the column.
bool alterable_column(const Column& column, const Table& table,
                      const std::vector<Index>& dropped_first) {
    Table remaining = table;
    remaining.indexes.clear();
    for (const auto& index : table.indexes) {
        const bool dropped =
            std::any_of(dropped_first.begin(), dropped_first.end(),
                        [&](const Index& gone) { return gone.name == index.name; });
        if (!dropped) remaining.indexes.push_back(index);
    }
    return can_add_column(column, table) && can_drop_column(column, remaining);
}

// True when ALTER TABLE (ADD/DROP COLUMN) and CREATE/DROP INDEX express the change both ways.
bool can_alter(const TableDiff& d) {
    if (d.only_indexes()) return true;
    if (!d.changed_columns.empty() || d.primary_key_changed || !d.added_uniques.empty() ||
        !d.removed_uniques.empty() || !d.added_foreign_keys.empty() ||
        !d.removed_foreign_keys.empty() || !d.added_checks.empty() || !d.removed_checks.empty()) {
        return false;
    }
    for (const auto& column : d.added_columns) {
        if (!alterable_column(column, *d.to, d.added_indexes)) return false;
    }
    for (const auto& column : d.removed_columns) {
        if (!alterable_column(column, *d.from, d.removed_indexes)) return false;
    }
    return true;
}

void alter_changes(const TableDiff& d, std::vector<ChangeSql>& changes) {
    const std::string table = q(d.table);
    for (const auto& index : d.removed_indexes) {
        changes.push_back(
            {Phase::drop_constraints, {"DROP INDEX " + q(index.name)}, {trimmed(index.sql)}});
    }
    for (const auto& column : d.added_columns) {
        changes.push_back({Phase::alter_tables,
                           {fmt::format("ALTER TABLE {} ADD COLUMN {}", table, column.definition)},
                           {fmt::format("ALTER TABLE {} DROP COLUMN {}", table, q(column.name))}});
    }
    for (const auto& column : d.removed_columns) {
        changes.push_back(
            {Phase::alter_tables,
             {fmt::format("ALTER TABLE {} DROP COLUMN {}", table, q(column.name))},
             {fmt::format("ALTER TABLE {} ADD COLUMN {}", table, column.definition)},
             {fmt::format("drop-column the models no longer declare {}.{} (autogenerated; back "
                          "up its data before applying)",
                          d.table, column.name)}});
    }
    for (const auto& index : d.added_indexes) {
        changes.push_back(
            {Phase::create_constraints, {trimmed(index.sql)}, {"DROP INDEX " + q(index.name)}});
    }
}

// What makes `d` a rebuild, for the comment above it: "column name, a foreign key".
std::string rebuild_reasons(const TableDiff& d) {
    std::vector<std::string> reasons;
    for (const auto& change : d.changed_columns) reasons.push_back("column " + change.from.name);
    for (const auto& column : d.added_columns) {
        if (!alterable_column(column, *d.to, d.added_indexes))
            reasons.push_back("column " + column.name);
    }
    for (const auto& column : d.removed_columns) {
        if (!alterable_column(column, *d.from, d.removed_indexes))
            reasons.push_back("column " + column.name);
    }
    if (d.primary_key_changed) reasons.push_back("the primary key");
    if (!d.added_uniques.empty() || !d.removed_uniques.empty())
        reasons.push_back("a unique constraint");
    if (!d.added_foreign_keys.empty() || !d.removed_foreign_keys.empty())
        reasons.push_back("a foreign key");
    if (!d.added_checks.empty() || !d.removed_checks.empty())
        reasons.push_back("a CHECK constraint");
    std::string text;
    for (const auto& reason : reasons) text += (text.empty() ? "" : ", ") + reason;
    return text;
}

// Steps 4-8 of https://www.sqlite.org/lang_altertable.html#otheralter: a new table in the
// wanted form, the rows of the columns both forms have, the old table dropped, the new one
// renamed, its indexes created. Triggers and views on the table are not recreated.
std::vector<std::string> rebuild(const Table& old_table, const Table& new_table,
                                 const std::string& reasons) {
    const std::string table = q(new_table.name);
    const std::string scratch = "_new_" + new_table.name;
    std::vector<std::string> statements{fmt::format(
        "-- rebuild {}: SQLite's ALTER TABLE cannot change {}", new_table.name, reasons)};
    std::vector<std::string> common;
    for (const auto& column : new_table.columns) {
        if (column.generated.empty() && old_table.find_column(column.name)) {
            common.push_back(column.name);
        } else if (column.generated.empty() && column.not_null && !column.default_value &&
                   !contains_name(new_table.primary_key, column.name)) {
            statements.push_back(fmt::format(
                "-- review: {}.{} is NOT NULL without a default, so copying existing rows fails; "
                "give it a DEFAULT or fill it in",
                new_table.name, column.name));
        }
    }
    statements.push_back(trimmed(rename_created_table(new_table.sql, scratch)));
    if (!common.empty()) {
        const std::string columns = quote_identifiers(common);
        statements.push_back(fmt::format("INSERT INTO {} ({}) SELECT {} FROM {}", q(scratch),
                                         columns, columns, table));
    }
    statements.push_back("DROP TABLE " + table);
    statements.push_back(fmt::format("ALTER TABLE {} RENAME TO {}", q(scratch), table));
    for (const auto& index : new_table.indexes) statements.push_back(trimmed(index.sql));
    return statements;
}

// The rebuild drops the old table only once its rows are in the new one, which takes its name.
const std::vector<std::string> kRebuildAccepted = {
    "drop-table SQLite's table rebuild drops the old table after copying its rows into the new "
    "one",
    "rename-table SQLite's table rebuild gives the new table the old one's name in the same "
    "transaction"};

// clang-format off
const std::vector<std::string> kForeignKeysOff = {
    "-- SQLite rebuilds tables whose change ALTER TABLE cannot make with foreign keys off",
    "-- (https://www.sqlite.org/lang_altertable.html#otheralter). PRAGMA foreign_keys has no",
    "-- effect inside a transaction, so this section runs outside the runner's transaction,",
    "-- in one of its own, which fails when a foreign key no longer holds.",
    "PRAGMA foreign_keys = OFF",
    "BEGIN IMMEDIATE",
};

// PRAGMA foreign_key_check only lists violations; the CHECK turns any into an error.
const std::vector<std::string> kForeignKeysOn = {
    "CREATE TEMP TABLE _fastappkit_foreign_key_check (violations INTEGER CONSTRAINT "
        "\"a foreign key does not hold after the table rebuild (see PRAGMA foreign_key_check)\" "
        "CHECK (violations = 0))",
    "INSERT INTO _fastappkit_foreign_key_check SELECT count(*) FROM pragma_foreign_key_check",
    "DROP TABLE temp._fastappkit_foreign_key_check",
    "COMMIT",
    "PRAGMA foreign_keys = ON",
};
// clang-format on

// Steps 1-2 and 10-12 of the procedure around a section that rebuilds tables: foreign keys
// off (which only works outside a transaction), one transaction of its own, and a failure
// instead of a commit when a foreign key no longer holds. Review notes stay on top.
void run_with_foreign_keys_off(SectionSql& section) {
    auto body = section.statements.begin();
    while (body != section.statements.end() && body->rfind("-- review:", 0) == 0) ++body;
    std::vector<std::string> statements(section.statements.begin(), body);
    statements.insert(statements.end(), kForeignKeysOff.begin(), kForeignKeysOff.end());
    statements.insert(statements.end(), body, section.statements.end());
    statements.insert(statements.end(), kForeignKeysOn.begin(), kForeignKeysOn.end());
    section.statements = std::move(statements);
    section.options = "transaction:false dialect:sqlite";
}

class SqliteRenderer final : public Renderer {
public:
    MigrationSql render(const SchemaDiff& diff) const override {
        std::vector<ChangeSql> changes;
        bool rebuilds = false;
        for (const auto& d : diff.tables) {
            if (d.added()) {
                changes.push_back(
                    {Phase::create_tables, create_statements(*d.to), {"DROP TABLE " + q(d.table)}});
            } else if (d.removed()) {
                changes.push_back({Phase::drop_tables,
                                   {"DROP TABLE " + q(d.table)},
                                   create_statements(*d.from),
                                   {fmt::format("drop-table the models no longer declare table {} "
                                                "(autogenerated; back up its rows before applying)",
                                                d.table)}});
            } else if (can_alter(d)) {
                alter_changes(d, changes);
            } else {
                const std::string reasons = rebuild_reasons(d);
                changes.push_back({Phase::alter_tables, rebuild(*d.from, *d.to, reasons),
                                   rebuild(*d.to, *d.from, reasons), kRebuildAccepted});
                rebuilds = true;
            }
        }
        MigrationSql sql = assemble(std::move(changes), diff.review_notes);
        if (rebuilds) {
            run_with_foreign_keys_off(sql.upgrade);
            run_with_foreign_keys_off(sql.downgrade);
        }
        return sql;
    }
};

}  // namespace

std::unique_ptr<Renderer> make_sqlite_renderer() { return std::make_unique<SqliteRenderer>(); }

}  // namespace fastappkit
