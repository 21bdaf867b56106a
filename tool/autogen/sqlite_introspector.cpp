#include "autogen/sqlite_introspector.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "autogen/sql_text.h"

namespace fastappkit {

namespace {

using Row = std::vector<std::optional<std::string>>;

std::string text(const Row& row, std::size_t column) {
    return column < row.size() && row[column] ? *row[column] : std::string();
}

// A string literal for PRAGMA arguments.
std::string literal(const std::string& value) {
    std::string quoted = "'";
    for (const char c : value) quoted += c == '\'' ? std::string("''") : std::string(1, c);
    return quoted + "'";
}

class SqliteIntrospector final : public Introspector {
public:
    std::unique_ptr<ScratchSchema> open_scratch(const DatabaseUrl&) const override {
        DatabaseUrl memory;
        memory.dialect = Dialect::sqlite;
        memory.text = "sqlite://";
        memory.sqlite_path = ":memory:";
        return std::make_unique<ScratchSchema>(open_database(memory, OpenOptions{}), "");
    }

    Schema read_schema(Database& db) const override {
        Schema schema;
        for (const auto& row :
             db.query("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                      "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")) {
            Table table;
            table.name = text(row, 0);
            table.sql = text(row, 1);
            schema.tables.push_back(std::move(table));
        }
        for (auto& table : schema.tables) {
            read_columns(db, table);
            read_indexes(db, table);
            for (auto& check : check_clauses(table.sql)) table.checks.push_back({"", check});
        }
        // Foreign keys last: a REFERENCES clause without columns means the parent's primary key.
        for (auto& table : schema.tables) read_foreign_keys(db, schema, table);
        for (const auto& row : db.query("SELECT name, sql FROM sqlite_master WHERE type = 'view' "
                                        "ORDER BY name")) {
            const std::string sql = text(row, 1);
            const auto end = sql.find_last_not_of(" \t\r\n;");
            schema.views.push_back({text(row, 0), sql, sql.substr(0, end + 1)});
        }
        return schema;
    }

private:
    static void read_columns(Database& db, Table& table) {
        std::map<std::string, std::string> definitions;  // lower-case name -> declared text
        if (auto parsed = parse_create_table(table.sql)) {
            for (const auto& item : parsed->items) {
                if (auto column = defined_column(item)) definitions[lower_ascii(*column)] = item;
            }
        }
        std::vector<std::pair<int, std::string>> key;  // position in the primary key, column
        for (const auto& row : db.query("PRAGMA table_xinfo(" + literal(table.name) + ")")) {
            const std::string hidden = text(row, 6);
            if (hidden == "1") continue;  // a virtual table's hidden column
            Column column;
            column.name = text(row, 1);
            column.type = text(row, 2);
            column.not_null = text(row, 3) == "1";
            if (row.size() > 4 && row[4]) column.default_value = *row[4];
            if (hidden == "2" || hidden == "3") column.generated = "generated";
            column.definition = definitions[lower_ascii(column.name)];
            if (const int position = std::stoi(text(row, 5)); position > 0) {
                key.emplace_back(position, column.name);
            }
            table.columns.push_back(std::move(column));
        }
        std::sort(key.begin(), key.end());
        for (auto& [position, name] : key) table.primary_key.push_back(name);
    }

    static void read_indexes(Database& db, Table& table) {
        for (const auto& row : db.query("PRAGMA index_list(" + literal(table.name) + ")")) {
            const std::string name = text(row, 1);
            const std::string origin = text(row, 3);
            if (origin == "pk") continue;  // the primary key, read with the columns
            if (origin == "u") {
                table.uniques.push_back({"", index_columns(db, name)});
                continue;
            }
            table.indexes.push_back(read_index(db, name, text(row, 2) == "1"));
        }
        std::sort(table.indexes.begin(), table.indexes.end(),
                  [](const Index& a, const Index& b) { return a.name < b.name; });
    }

    static std::vector<std::string> index_columns(Database& db, const std::string& index) {
        std::vector<std::string> columns;
        for (const auto& row : db.query("PRAGMA index_info(" + literal(index) + ")")) {
            columns.push_back(text(row, 2));
        }
        return columns;
    }

    static Index read_index(Database& db, const std::string& name, bool unique) {
        Index index;
        index.name = name;
        index.unique = unique;
        const auto rows = db.query(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = " + literal(name));
        index.sql = rows.empty() ? std::string() : text(rows.front(), 0);
        if (auto parsed = parse_create_index(index.sql)) {
            index.columns = parsed->columns;
            index.where = parsed->where;
        } else {
            index.columns = index_columns(db, name);
        }
        return index;
    }

    static void read_foreign_keys(Database& db, const Schema& schema, Table& table) {
        std::map<int, ForeignKey> keys;  // by the pragma's id, in declaration order
        for (const auto& row : db.query("PRAGMA foreign_key_list(" + literal(table.name) + ")")) {
            ForeignKey& key = keys[std::stoi(text(row, 0))];
            key.referred_table = text(row, 2);
            key.columns.push_back(text(row, 3));
            if (row.size() > 4 && row[4]) key.referred_columns.push_back(*row[4]);
            key.on_update = text(row, 5);
            key.on_delete = text(row, 6);
        }
        // The pragma lists a table's foreign keys last-declared first.
        for (auto it = keys.rbegin(); it != keys.rend(); ++it) {
            ForeignKey& key = it->second;
            if (key.referred_columns.empty()) {
                if (const Table* parent = schema.find(key.referred_table)) {
                    key.referred_columns = parent->primary_key;
                }
            }
            table.foreign_keys.push_back(std::move(key));
        }
    }
};

}  // namespace

std::unique_ptr<Introspector> make_sqlite_introspector() {
    return std::make_unique<SqliteIntrospector>();
}

}  // namespace fastappkit
