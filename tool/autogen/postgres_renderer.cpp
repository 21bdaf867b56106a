#include "autogen/postgres_renderer.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include <fmt/format.h>

#include "autogen/sql_text.h"

namespace fastappkit {

namespace {

std::string q(const std::string& name) { return quote_identifier(name); }

constexpr const char* kLockTimeout = "lock_timeout: 5s";

// serial types are spelled as such only where a column is created.
std::string storage_type(const std::string& type) {
    static const std::map<std::string, std::string> serials = {
        {"serial", "integer"}, {"bigserial", "bigint"}, {"smallserial", "smallint"}};
    auto it = serials.find(type);
    return it == serials.end() ? type : it->second;
}

std::string column_definition(const Column& column) {
    std::string sql = q(column.name) + " " + column.type;
    if (!column.identity.empty()) sql += " GENERATED " + column.identity + " AS IDENTITY";
    if (!column.generated.empty()) sql += " GENERATED ALWAYS AS (" + column.generated + ") STORED";
    if (column.not_null && storage_type(column.type) == column.type) sql += " NOT NULL";
    if (column.default_value) sql += " DEFAULT " + *column.default_value;
    return sql;
}

std::string foreign_key_clause(const ForeignKey& key) {
    std::string sql =
        fmt::format("FOREIGN KEY ({}) REFERENCES {} ({})", quote_identifiers(key.columns),
                    q(key.referred_table), quote_identifiers(key.referred_columns));
    if (key.on_update != "NO ACTION") sql += " ON UPDATE " + key.on_update;
    if (key.on_delete != "NO ACTION") sql += " ON DELETE " + key.on_delete;
    return sql;
}

std::string named(const std::string& name, const std::string& clause) {
    return name.empty() ? clause : "CONSTRAINT " + q(name) + " " + clause;
}

std::string primary_key_clause(const Table& table) {
    return named(table.primary_key_name,
                 "PRIMARY KEY (" + quote_identifiers(table.primary_key) + ")");
}

std::string unique_clause(const UniqueConstraint& unique) {
    return named(unique.name, "UNIQUE (" + quote_identifiers(unique.columns) + ")");
}

// CONCURRENTLY for a table that exists already: its writes go on while the index builds.
std::string create_index(const std::string& table, const Index& index, bool concurrently = false) {
    std::string columns;
    for (const auto& column : index.columns) columns += (columns.empty() ? "" : ", ") + column;
    std::string sql = fmt::format("CREATE {}INDEX {}{} ON {}", index.unique ? "UNIQUE " : "",
                                  concurrently ? "CONCURRENTLY " : "", q(index.name), q(table));
    if (!index.method.empty() && index.method != "btree") sql += " USING " + index.method;
    sql += " (" + columns + ")";
    if (!index.where.empty()) sql += " WHERE " + index.where;
    return sql;
}

std::string add_constraint(const std::string& table, const std::string& clause) {
    return fmt::format("ALTER TABLE {} ADD {}", q(table), clause);
}

std::string drop_constraint(const std::string& table, const std::string& name) {
    return fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", q(table), q(name));
}

// CREATE TABLE with its keys and constraints, and its indexes; foreign keys for which
// `inline_key` says no are left out (the caller adds them later).
std::vector<std::string> create_table(const Table& table,
                                      const std::function<bool(const ForeignKey&)>& inline_key) {
    std::vector<std::string> items;
    for (const auto& column : table.columns) items.push_back(column_definition(column));
    if (!table.primary_key.empty()) items.push_back(primary_key_clause(table));
    for (const auto& unique : table.uniques) items.push_back(unique_clause(unique));
    for (const auto& check : table.checks) items.push_back(named(check.name, check.expression));
    for (const auto& key : table.foreign_keys) {
        if (inline_key(key)) items.push_back(named(key.name, foreign_key_clause(key)));
    }
    std::string body;
    for (const auto& item : items) body += (body.empty() ? "" : ",\n") + std::string("    ") + item;
    std::vector<std::string> statements{
        fmt::format("CREATE TABLE {} (\n{}\n)", q(table.name), body)};
    for (const auto& index : table.indexes) statements.push_back(create_index(table.name, index));
    return statements;
}

// The statements that turn column `from` into `to` (same name); `change` says what differs
// (the same either way).
std::vector<std::string> alter_column(const std::string& table, const Column& from,
                                      const Column& to, const ColumnChange& change) {
    const std::string prefix =
        fmt::format("ALTER TABLE {} ALTER COLUMN {} ", q(table), q(from.name));
    std::vector<std::string> statements;
    const bool type = change.type;
    const bool default_changed = change.default_value;
    if (from.generated != to.generated || storage_type(from.type) != from.type ||
        storage_type(to.type) != to.type) {
        statements.push_back(fmt::format(
            "-- review: {}.{} changes its serial type or generation expression, which ALTER COLUMN "
            "cannot fully express; check this step",
            table, from.name));
    }
    const std::string nullability = prefix + (to.not_null ? "SET NOT NULL" : "DROP NOT NULL");
    // An identity needs NOT NULL first; a column loses NOT NULL after its identity.
    if (from.not_null != to.not_null && to.not_null) statements.push_back(nullability);
    if (from.identity != to.identity) {
        if (to.identity.empty()) {
            statements.push_back(prefix + "DROP IDENTITY");
        } else if (from.identity.empty()) {
            statements.push_back(prefix + "ADD GENERATED " + to.identity + " AS IDENTITY");
        } else {
            statements.push_back(prefix + "SET GENERATED " + to.identity);
        }
    }
    // A default of the old type may not convert: it is dropped first and set again after.
    if (from.default_value && (type || (default_changed && !to.default_value))) {
        statements.push_back(prefix + "DROP DEFAULT");
    }
    if (type) {
        const std::string target = storage_type(to.type);
        statements.push_back(prefix +
                             fmt::format("TYPE {} USING {}::{}", target, q(from.name), target));
    }
    if (to.default_value && (type || default_changed)) {
        statements.push_back(prefix + "SET DEFAULT " + *to.default_value);
    }
    if (from.not_null != to.not_null && !to.not_null) statements.push_back(nullability);
    return statements;
}

std::vector<std::string> add_column(const std::string& table, const Column& column) {
    std::vector<std::string> statements;
    if (column.not_null && !column.default_value && column.identity.empty() &&
        column.generated.empty() && storage_type(column.type) == column.type) {
        statements.push_back(fmt::format(
            "-- review: {}.{} is NOT NULL without a default, so adding it fails on a table with "
            "rows; give it a DEFAULT or add it nullable and fill it in first",
            table, column.name));
    }
    statements.push_back(
        fmt::format("ALTER TABLE {} ADD COLUMN {}", q(table), column_definition(column)));
    return statements;
}

std::string drop_column(const std::string& table, const Column& column) {
    return fmt::format("ALTER TABLE {} DROP COLUMN {}", q(table), q(column.name));
}

// Removed foreign keys, indexes and constraints, which go before any column changes.
void drop_constraints(const TableDiff& d, std::vector<ChangeSql>& changes) {
    const std::string& t = d.table;
    for (const auto& key : d.removed_foreign_keys) {
        changes.push_back({Phase::drop_foreign_keys,
                           {drop_constraint(t, key.name)},
                           {add_constraint(t, named(key.name, foreign_key_clause(key)))}});
    }
    for (const auto& index : d.removed_indexes) {
        changes.push_back(
            {Phase::drop_constraints, {"DROP INDEX " + q(index.name)}, {create_index(t, index)}});
    }
    for (const auto& unique : d.removed_uniques) {
        changes.push_back({Phase::drop_constraints,
                           {drop_constraint(t, unique.name)},
                           {add_constraint(t, unique_clause(unique))}});
    }
    for (const auto& check : d.removed_checks) {
        changes.push_back({Phase::drop_constraints,
                           {drop_constraint(t, check.name)},
                           {add_constraint(t, named(check.name, check.expression))}});
    }
    if (d.primary_key_changed && !d.from->primary_key.empty()) {
        changes.push_back({Phase::drop_constraints,
                           {drop_constraint(t, d.from->primary_key_name)},
                           {add_constraint(t, primary_key_clause(*d.from))}});
    }
}

// The lint rules a column change breaks on purpose: the models ask for it.
std::vector<std::string> accepted_for(const std::string& table, const ColumnChange& change) {
    std::vector<std::string> accepted;
    if (change.type) {
        accepted.push_back(fmt::format(
            "pg-alter-column-type the models change the type of {}.{} (autogenerated; on a large "
            "table add a new column and backfill it instead)",
            table, change.from.name));
    }
    if (change.from.not_null != change.to.not_null && change.to.not_null) {
        accepted.push_back(fmt::format(
            "pg-set-not-null the models make {}.{} NOT NULL (autogenerated; on a large table "
            "validate a CHECK ({} IS NOT NULL) NOT VALID constraint first)",
            table, change.from.name, change.from.name));
    }
    return accepted;
}

void alter_columns(const TableDiff& d, std::vector<ChangeSql>& changes) {
    const std::string& t = d.table;
    for (const auto& column : d.added_columns) {
        changes.push_back({Phase::alter_tables, add_column(t, column), {drop_column(t, column)}});
    }
    for (const auto& change : d.changed_columns) {
        changes.push_back({Phase::alter_tables, alter_column(t, change.from, change.to, change),
                           alter_column(t, change.to, change.from, change),
                           accepted_for(t, change)});
    }
    for (const auto& column : d.removed_columns) {
        changes.push_back({Phase::alter_tables,
                           {drop_column(t, column)},
                           add_column(t, column),
                           {fmt::format("drop-column the models no longer declare {}.{} "
                                        "(autogenerated; back up its data before applying)",
                                        t, column.name)}});
    }
}

// Added constraints and indexes, once the columns are there; foreign keys last.
// `online`: for a migration file, indexes on existing tables build CONCURRENTLY and foreign keys
// are validated apart, both in a follow-up transaction:false migration; otherwise (SQL a person
// runs as one script, `migrate drift`) plain statements that run in one transaction.
void add_constraints(const TableDiff& d, std::vector<ChangeSql>& changes, bool online) {
    const std::string& t = d.table;
    if (d.primary_key_changed && !d.to->primary_key.empty()) {
        changes.push_back({Phase::create_constraints,
                           {add_constraint(t, primary_key_clause(*d.to))},
                           {drop_constraint(t, d.to->primary_key_name)}});
    }
    for (const auto& unique : d.added_uniques) {
        changes.push_back({Phase::create_constraints,
                           {add_constraint(t, unique_clause(unique))},
                           {drop_constraint(t, unique.name)}});
    }
    for (const auto& check : d.added_checks) {
        changes.push_back({Phase::create_constraints,
                           {add_constraint(t, named(check.name, check.expression))},
                           {drop_constraint(t, check.name)}});
    }
    // The table exists: its index builds CONCURRENTLY, which no transaction may hold.
    for (const auto& index : d.added_indexes) {
        if (!online) {
            changes.push_back({Phase::create_constraints,
                               {create_index(t, index)},
                               {"DROP INDEX " + q(index.name)}});
            continue;
        }
        changes.push_back({Phase::create_constraints,
                           {create_index(t, index, true)},
                           {"DROP INDEX CONCURRENTLY " + q(index.name)},
                           {},
                           true});
    }
    // NOT VALID takes its locks only briefly; the existing rows are checked afterwards, outside
    // the transaction, by VALIDATE CONSTRAINT, which lets writes go on.
    for (const auto& key : d.added_foreign_keys) {
        if (key.name.empty() || !online) {
            changes.push_back({Phase::add_foreign_keys,
                               {add_constraint(t, foreign_key_clause(key))},
                               {drop_constraint(t, key.name)}});
            continue;
        }
        changes.push_back(
            {Phase::add_foreign_keys,
             {add_constraint(t, named(key.name, foreign_key_clause(key)) + " NOT VALID")},
             {drop_constraint(t, key.name)}});
        changes.push_back(
            {Phase::add_foreign_keys,
             {fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", q(t), q(key.name))},
             {},
             {},
             true});
    }
}

// Only ALTER TABLE waits for a lock that queues every query on the table (CREATE INDEX
// CONCURRENTLY does not), and a transaction:false section runs its timeouts on a direct
// connection only: the header goes where an ALTER TABLE is.
void add_lock_timeout(MigrationSql& sql) {
    const auto& statements = sql.upgrade.statements;
    const bool alters = std::any_of(statements.begin(), statements.end(),
                                    [](const auto& s) { return s.rfind("ALTER TABLE ", 0) == 0; });
    if (alters) sql.header.insert(sql.header.begin(), kLockTimeout);
}

class PostgresRenderer final : public Renderer {
public:
    explicit PostgresRenderer(bool online) : online_(online) {}

    MigrationSql render(const SchemaDiff& diff) const override {
        std::vector<ChangeSql> changes;
        bool alters_existing = false;
        std::set<std::string> added, created;  // lower-case names of added tables
        for (const auto& d : diff.tables) {
            if (d.added()) added.insert(lower_ascii(d.table));
        }
        for (const auto& d : diff.tables) {
            if (d.added()) {
                create_added_table(*d.to, added, created, changes);
            } else if (d.removed()) {
                changes.push_back({Phase::drop_tables,
                                   {"DROP TABLE " + q(d.table)},
                                   create_table(*d.from, [](const ForeignKey&) { return true; }),
                                   {fmt::format("drop-table the models no longer declare table {} "
                                                "(autogenerated; back up its rows before applying)",
                                                d.table)}});
            } else {
                drop_constraints(d, changes);
                alter_columns(d, changes);
                add_constraints(d, changes, online_);
                alters_existing = true;
            }
        }
        MigrationSql sql = assemble(std::move(changes), diff.review_notes);
        // Statements on live tables wait for their locks at most this long (and are retried),
        // instead of queueing every query on the table behind them.
        if (alters_existing && online_) {
            add_lock_timeout(sql);
            for (auto& then : sql.then) add_lock_timeout(then);
        }
        return sql;
    }

private:
    // A foreign key to a table created later (a cycle) is added once all tables exist.
    static void create_added_table(const Table& table, const std::set<std::string>& added,
                                   std::set<std::string>& created,
                                   std::vector<ChangeSql>& changes) {
        created.insert(lower_ascii(table.name));
        auto exists = [&](const ForeignKey& key) {
            const std::string referred = lower_ascii(key.referred_table);
            return !added.count(referred) || created.count(referred);
        };
        changes.push_back(
            {Phase::create_tables, create_table(table, exists), {"DROP TABLE " + q(table.name)}});
        for (const auto& key : table.foreign_keys) {
            if (exists(key)) continue;
            changes.push_back(
                {Phase::add_foreign_keys,
                 {add_constraint(table.name, named(key.name, foreign_key_clause(key)))},
                 {drop_constraint(table.name, key.name)}});
        }
    }

    bool online_;
};

}  // namespace

std::unique_ptr<Renderer> make_postgres_renderer(bool online) {
    return std::make_unique<PostgresRenderer>(online);
}

}  // namespace fastappkit
