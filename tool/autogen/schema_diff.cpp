#include "autogen/schema_diff.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "autogen/sql_text.h"
#include "config/project.h"
#include "db/schema_sql.h"

namespace fastappkit {

namespace {

bool same_names(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(),
                      [](const auto& x, const auto& y) { return same_identifier(x, y); });
}

bool same_sql(const std::string& a, const std::string& b) {
    return normalize_sql(a) == normalize_sql(b);
}

bool same_sql(const std::optional<std::string>& a, const std::optional<std::string>& b) {
    return a.has_value() == b.has_value() && (!a || same_sql(*a, *b));
}

bool same_foreign_key(const ForeignKey& a, const ForeignKey& b) {
    return same_names(a.columns, b.columns) &&
           same_identifier(a.referred_table, b.referred_table) &&
           same_names(a.referred_columns, b.referred_columns) &&
           same_identifier(a.on_update, b.on_update) && same_identifier(a.on_delete, b.on_delete);
}

bool same_index(const Index& a, const Index& b) {
    return a.unique == b.unique && a.method == b.method && a.columns.size() == b.columns.size() &&
           std::equal(a.columns.begin(), a.columns.end(), b.columns.begin(),
                      [](const auto& x, const auto& y) { return same_sql(x, y); }) &&
           same_sql(a.where, b.where);
}

// Items of `from` without an equal in `to`.
template <typename T, typename Same>
std::vector<T> missing_from(const std::vector<T>& from, const std::vector<T>& to, Same same) {
    std::vector<T> out;
    for (const auto& item : from) {
        if (std::none_of(to.begin(), to.end(), [&](const T& other) { return same(item, other); })) {
            out.push_back(item);
        }
    }
    return out;
}

std::optional<ColumnChange> compare_columns(const Column& from, const Column& to) {
    ColumnChange change{from, to};
    change.type = !same_sql(from.type, to.type);
    change.nullability = from.not_null != to.not_null;
    change.default_value = !same_sql(from.default_value, to.default_value);
    change.generation = from.identity != to.identity || !same_sql(from.generated, to.generated);
    if (!change.type && !change.nullability && !change.default_value && !change.generation) {
        return std::nullopt;
    }
    return change;
}

void diff_columns(const Table& from, const Table& to, TableDiff& diff) {
    for (const auto& column : from.columns) {
        const Column* other = to.find_column(column.name);
        if (!other) {
            diff.removed_columns.push_back(column);
        } else if (auto change = compare_columns(column, *other)) {
            diff.changed_columns.push_back(*change);
        }
    }
    for (const auto& column : to.columns) {
        if (!from.find_column(column.name)) diff.added_columns.push_back(column);
    }
}

TableDiff diff_table(const Table& from, const Table& to) {
    TableDiff diff;
    diff.table = to.name;
    diff.from = from;
    diff.to = to;
    diff_columns(from, to, diff);
    diff.primary_key_changed = !same_names(from.primary_key, to.primary_key);
    auto same_unique = [](const UniqueConstraint& a, const UniqueConstraint& b) {
        return same_names(a.columns, b.columns);
    };
    diff.removed_uniques = missing_from(from.uniques, to.uniques, same_unique);
    diff.added_uniques = missing_from(to.uniques, from.uniques, same_unique);
    diff.removed_foreign_keys = missing_from(from.foreign_keys, to.foreign_keys, same_foreign_key);
    diff.added_foreign_keys = missing_from(to.foreign_keys, from.foreign_keys, same_foreign_key);
    auto same_check = [](const CheckConstraint& a, const CheckConstraint& b) {
        return same_sql(a.expression, b.expression);
    };
    diff.removed_checks = missing_from(from.checks, to.checks, same_check);
    diff.added_checks = missing_from(to.checks, from.checks, same_check);
    // Indexes are matched by name: a changed index is dropped and created again.
    auto same_named_index = [](const Index& a, const Index& b) {
        return same_identifier(a.name, b.name) && same_index(a, b);
    };
    diff.removed_indexes = missing_from(from.indexes, to.indexes, same_named_index);
    diff.added_indexes = missing_from(to.indexes, from.indexes, same_named_index);
    return diff;
}

bool has_changes(const TableDiff& d) {
    return !d.added_columns.empty() || !d.removed_columns.empty() || !d.changed_columns.empty() ||
           d.primary_key_changed || !d.added_uniques.empty() || !d.removed_uniques.empty() ||
           !d.added_foreign_keys.empty() || !d.removed_foreign_keys.empty() ||
           !d.added_checks.empty() || !d.removed_checks.empty() || !d.added_indexes.empty() ||
           !d.removed_indexes.empty();
}

bool refers_to(const Table& table, const Table& other) {
    return !same_identifier(table.name, other.name) &&
           std::any_of(table.foreign_keys.begin(), table.foreign_keys.end(),
                       [&](const ForeignKey& key) {
                           return same_identifier(key.referred_table, other.name);
                       });
}

// Each table after the tables of `tables` it refers to; a cycle is broken in name order.
std::vector<const Table*> parents_first(std::vector<const Table*> tables) {
    std::vector<const Table*> ordered;
    while (!tables.empty()) {
        auto ready = std::find_if(tables.begin(), tables.end(), [&](const Table* table) {
            return std::none_of(tables.begin(), tables.end(),
                                [&](const Table* other) { return refers_to(*table, *other); });
        });
        if (ready == tables.end()) ready = tables.begin();
        ordered.push_back(*ready);
        tables.erase(ready);
    }
    return ordered;
}

bool same_shape(const Table& a, const Table& b) {
    return a.columns.size() == b.columns.size() &&
           std::equal(a.columns.begin(), a.columns.end(), b.columns.begin(),
                      [](const Column& x, const Column& y) {
                          return same_identifier(x.name, y.name) && same_sql(x.type, y.type);
                      });
}

void note_table_renames(const std::vector<const Table*>& removed,
                        const std::vector<const Table*>& added, std::vector<std::string>& notes) {
    std::set<const Table*> used;
    for (const Table* old_table : removed) {
        for (const Table* new_table : added) {
            if (used.count(new_table) || !same_shape(*old_table, *new_table)) continue;
            used.insert(new_table);
            notes.push_back(fmt::format(
                "possible rename of table {0} to {1}: the migration drops {0} with its rows and "
                "creates an empty {1}; if it is a rename, replace both with ALTER TABLE {0} RENAME "
                "TO {1}",
                old_table->name, new_table->name));
            break;
        }
    }
}

void note_column_renames(const TableDiff& diff, std::vector<std::string>& notes) {
    std::set<std::string> used;
    for (const auto& old_column : diff.removed_columns) {
        for (const auto& new_column : diff.added_columns) {
            if (used.count(new_column.name) || !same_sql(old_column.type, new_column.type) ||
                old_column.not_null != new_column.not_null) {
                continue;
            }
            used.insert(new_column.name);
            notes.push_back(fmt::format(
                "possible rename of column {0}.{1} to {0}.{2}: the migration drops {1} with its "
                "data and adds an empty {2}; if it is a rename, replace both with ALTER TABLE {0} "
                "RENAME COLUMN {1} TO {2}",
                diff.table, old_column.name, new_column.name));
            break;
        }
    }
}

std::string columns_text(const std::vector<std::string>& columns) {
    std::string out;
    for (const auto& column : columns) out += (out.empty() ? "" : ", ") + column;
    return "(" + out + ")";
}

std::string foreign_key_text(const std::string& table, const ForeignKey& key) {
    return fmt::format("{} {} -> {} {}", table, columns_text(key.columns), key.referred_table,
                       columns_text(key.referred_columns));
}

std::string default_text(const std::optional<std::string>& value) {
    return value ? *value : "none";
}

std::string column_change_text(const std::string& table, const ColumnChange& change) {
    std::vector<std::string> parts;
    if (change.type)
        parts.push_back(fmt::format("type {} -> {}", change.from.type, change.to.type));
    if (change.nullability) {
        parts.push_back(change.to.not_null ? "nullable -> NOT NULL" : "NOT NULL -> nullable");
    }
    if (change.default_value) {
        parts.push_back(fmt::format("default {} -> {}", default_text(change.from.default_value),
                                    default_text(change.to.default_value)));
    }
    auto text_or_none = [](const std::string& value) {
        return value.empty() ? std::string("none") : value;
    };
    if (change.from.identity != change.to.identity) {
        parts.push_back(fmt::format("identity {} -> {}", text_or_none(change.from.identity),
                                    text_or_none(change.to.identity)));
    }
    if (!same_sql(change.from.generated, change.to.generated)) {
        parts.push_back(fmt::format("generated {} -> {}", text_or_none(change.from.generated),
                                    text_or_none(change.to.generated)));
    }
    std::string text;
    for (const auto& part : parts) text += (text.empty() ? "" : "; ") + part;
    return fmt::format("change column {}.{}: {}", table, change.from.name, text);
}

void describe_table(const TableDiff& d, std::vector<std::string>& lines) {
    if (d.added()) {
        lines.push_back("add table " + d.table);
        return;
    }
    if (d.removed()) {
        lines.push_back("drop table " + d.table);
        return;
    }
    for (const auto& c : d.added_columns)
        lines.push_back(fmt::format("add column {}.{}", d.table, c.name));
    for (const auto& c : d.removed_columns)
        lines.push_back(fmt::format("drop column {}.{}", d.table, c.name));
    for (const auto& c : d.changed_columns) lines.push_back(column_change_text(d.table, c));
    if (d.primary_key_changed) {
        auto key = [](const std::vector<std::string>& columns) {
            return columns.empty() ? std::string("none") : columns_text(columns);
        };
        lines.push_back(fmt::format("change primary key of {}: {} -> {}", d.table,
                                    key(d.from->primary_key), key(d.to->primary_key)));
    }
    for (const auto& u : d.added_uniques) {
        lines.push_back(
            fmt::format("add unique constraint on {} {}", d.table, columns_text(u.columns)));
    }
    for (const auto& u : d.removed_uniques) {
        lines.push_back(
            fmt::format("drop unique constraint on {} {}", d.table, columns_text(u.columns)));
    }
    for (const auto& k : d.added_foreign_keys)
        lines.push_back("add foreign key " + foreign_key_text(d.table, k));
    for (const auto& k : d.removed_foreign_keys)
        lines.push_back("drop foreign key " + foreign_key_text(d.table, k));
    for (const auto& c : d.added_checks)
        lines.push_back(fmt::format("add check constraint on {}: {}", d.table, c.expression));
    for (const auto& c : d.removed_checks)
        lines.push_back(fmt::format("drop check constraint on {}: {}", d.table, c.expression));
    for (const auto& i : d.added_indexes) {
        lines.push_back(fmt::format("add {}index {} on {} {}", i.unique ? "unique " : "", i.name,
                                    d.table, columns_text(i.columns)));
    }
    for (const auto& i : d.removed_indexes)
        lines.push_back(fmt::format("drop index {} on {}", i.name, d.table));
}

}  // namespace

bool TableDiff::only_indexes() const {
    TableDiff rest = *this;
    rest.added_indexes.clear();
    rest.removed_indexes.clear();
    return !added() && !removed() && !has_changes(rest);
}

std::vector<std::string> SchemaDiff::describe() const {
    std::vector<std::string> lines;
    for (const auto& table : tables) describe_table(table, lines);
    for (const auto& note : review_notes) lines.push_back("review: " + note);
    return lines;
}

bool is_bookkeeping_table(const std::string& table) {
    return is_version_table(table) || lower_ascii(table) == kHistoryTable ||
           lower_ascii(table) == kUnfinishedTable || lower_ascii(table) == kLockTable;
}

SchemaDiff diff_schemas(const Schema& from, const Schema& to) {
    SchemaDiff diff;
    std::vector<const Table*> added, removed;
    std::vector<TableDiff> changed;
    for (const auto& table : to.tables) {
        if (!is_bookkeeping_table(table.name) && !from.find(table.name)) added.push_back(&table);
    }
    for (const auto& table : from.tables) {
        if (is_bookkeeping_table(table.name)) continue;
        const Table* other = to.find(table.name);
        if (!other) {
            removed.push_back(&table);
        } else if (auto d = diff_table(table, *other); has_changes(d)) {
            changed.push_back(std::move(d));
        }
    }
    for (const Table* table : parents_first(added)) {
        TableDiff d;
        d.table = table->name;
        d.to = *table;
        diff.tables.push_back(std::move(d));
    }
    auto children_first = parents_first(removed);
    std::reverse(children_first.begin(), children_first.end());
    for (const Table* table : children_first) {
        TableDiff d;
        d.table = table->name;
        d.from = *table;
        diff.tables.push_back(std::move(d));
    }
    note_table_renames(removed, added, diff.review_notes);
    for (auto& d : changed) {
        note_column_renames(d, diff.review_notes);
        diff.tables.push_back(std::move(d));
    }
    return diff;
}

}  // namespace fastappkit
