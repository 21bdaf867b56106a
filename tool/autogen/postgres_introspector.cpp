#include "autogen/postgres_introspector.h"

#include <map>
#include <regex>

#include <fmt/format.h>

#include "autogen/sql_text.h"

namespace fastappkit {

namespace {

using Row = std::vector<std::optional<std::string>>;

std::string text(const Row& row, std::size_t column) {
    return column < row.size() && row[column] ? *row[column] : std::string();
}

// Column lists come as names joined by the unit separator (names may hold commas).
std::vector<std::string> names(const std::string& joined) {
    std::vector<std::string> out;
    if (joined.empty()) return out;
    std::size_t begin = 0;
    while (true) {
        const auto end = joined.find('\x1f', begin);
        out.push_back(joined.substr(begin, end - begin));
        if (end == std::string::npos) return out;
        begin = end + 1;
    }
}

const char* action(const std::string& code) {
    if (code == "r") return "RESTRICT";
    if (code == "c") return "CASCADE";
    if (code == "n") return "SET NULL";
    if (code == "d") return "SET DEFAULT";
    return "NO ACTION";
}

constexpr const char* tables_sql =
    "SELECT c.relname FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
    "ORDER BY c.relname";

constexpr const char* columns_sql =
    "SELECT c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, "
    "pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated "
    "FROM pg_catalog.pg_attribute a "
    "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
    "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 "
    "AND NOT a.attisdropped ORDER BY c.relname, a.attnum";

constexpr const char* constraints_sql =
    "SELECT c.relname, con.conname, con.contype, pg_catalog.pg_get_constraintdef(con.oid, true), "
    "(SELECT string_agg(a.attname, chr(31) ORDER BY k.i) "
    " FROM unnest(con.conkey) WITH ORDINALITY AS k(num, i) "
    " JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num), "
    "f.relname, "
    "(SELECT string_agg(a.attname, chr(31) ORDER BY k.i) "
    " FROM unnest(con.confkey) WITH ORDINALITY AS k(num, i) "
    " JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num), "
    "con.confupdtype, con.confdeltype "
    "FROM pg_catalog.pg_constraint con "
    "JOIN pg_catalog.pg_class c ON c.oid = con.conrelid "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "LEFT JOIN pg_catalog.pg_class f ON f.oid = con.confrelid "
    "WHERE n.nspname = current_schema() AND con.contype IN ('p', 'u', 'f', 'c') "
    "ORDER BY c.relname, con.conname";

// Indexes of their own: not the ones behind a primary key, unique or exclusion constraint.
constexpr const char* indexes_sql =
    "SELECT t.relname, i.relname, ix.indisunique, am.amname, "
    "pg_catalog.pg_get_indexdef(ix.indexrelid, 0, true) "
    "FROM pg_catalog.pg_index ix "
    "JOIN pg_catalog.pg_class i ON i.oid = ix.indexrelid "
    "JOIN pg_catalog.pg_class t ON t.oid = ix.indrelid "
    "JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace "
    "JOIN pg_catalog.pg_am am ON am.oid = i.relam "
    "WHERE n.nspname = current_schema() AND t.relkind IN ('r', 'p') "
    "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con "
    "  WHERE con.conindid = ix.indexrelid AND con.contype IN ('p', 'u', 'x')) "
    "ORDER BY t.relname, i.relname";

constexpr const char* views_sql =
    "SELECT c.relname, pg_catalog.pg_get_viewdef(c.oid, true) FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relkind = 'v' ORDER BY c.relname";

// serial columns are integers defaulting to their own sequence, whose name the scratch
// schema's qualifies differently from the target's: compare and render them as serial.
void fold_serial(Column& column) {
    static const std::regex nextval(R"(^nextval\('[^']+'::regclass\)$)");
    if (!column.default_value || !std::regex_match(*column.default_value, nextval)) return;
    static const std::map<std::string, std::string> serials = {
        {"integer", "serial"}, {"bigint", "bigserial"}, {"smallint", "smallserial"}};
    auto serial = serials.find(column.type);
    if (serial == serials.end()) return;
    column.type = serial->second;
    column.default_value.reset();
}

class PostgresIntrospector final : public Introspector {
public:
    std::unique_ptr<ScratchSchema> open_scratch(const DatabaseUrl& target) const override {
        auto db = open_database(target, OpenOptions{});
        const std::string name = scratch_schema_name();
        db->execute("CREATE SCHEMA " + name);
        auto scratch = std::make_unique<ScratchSchema>(
            std::move(db), "DROP SCHEMA IF EXISTS " + name + " CASCADE");
        // Only the scratch schema: declared models never resolve against the target's tables.
        scratch->db().execute("SET search_path TO " + name);
        return scratch;
    }

    Schema read_schema(Database& db) const override {
        Schema schema;
        std::map<std::string, Table*> by_name;
        for (const auto& row : db.query(tables_sql))
            schema.tables.emplace_back().name = text(row, 0);
        for (auto& table : schema.tables) by_name[table.name] = &table;
        for (const auto& row : db.query(columns_sql)) {
            if (auto it = by_name.find(text(row, 0)); it != by_name.end()) {
                it->second->columns.push_back(column(row));
            }
        }
        for (const auto& row : db.query(constraints_sql)) {
            if (auto it = by_name.find(text(row, 0)); it != by_name.end()) {
                add_constraint(*it->second, row);
            }
        }
        for (const auto& row : db.query(indexes_sql)) {
            if (auto it = by_name.find(text(row, 0)); it != by_name.end()) {
                it->second->indexes.push_back(index(row));
            }
        }
        for (const auto& row : db.query(views_sql)) {
            std::string definition = text(row, 1);
            definition.erase(definition.find_last_not_of(" \t\r\n;") + 1);
            schema.views.push_back(
                {text(row, 0), definition,
                 fmt::format("CREATE VIEW {} AS\n{}", quote_identifier(text(row, 0)), definition)});
        }
        return schema;
    }

private:
    static Column column(const Row& row) {
        Column column;
        column.name = text(row, 1);
        column.type = text(row, 2);
        column.not_null = text(row, 3) == "t";
        if (row.size() > 4 && row[4]) column.default_value = *row[4];
        const std::string identity = text(row, 5);
        if (identity == "a") column.identity = "ALWAYS";
        if (identity == "d") column.identity = "BY DEFAULT";
        if (text(row, 6) == "s" && column.default_value) {
            column.generated = *column.default_value;
            column.default_value.reset();
        }
        fold_serial(column);
        return column;
    }

    static void add_constraint(Table& table, const Row& row) {
        const std::string name = text(row, 1);
        const std::string type = text(row, 2);
        const std::string definition = text(row, 3);
        const auto columns = names(text(row, 4));
        if (type == "p") {
            table.primary_key_name = name;
            table.primary_key = columns;
        } else if (type == "u") {
            table.uniques.push_back({name, columns});
        } else if (type == "c") {
            table.checks.push_back({name, definition});
        } else if (type == "f") {
            table.foreign_keys.push_back({name, columns, text(row, 5), names(text(row, 6)),
                                          action(text(row, 7)), action(text(row, 8))});
        }
    }

    static Index index(const Row& row) {
        Index index;
        index.name = text(row, 1);
        index.unique = text(row, 2) == "t";
        index.method = text(row, 3);
        if (auto parsed = parse_create_index(text(row, 4))) {
            index.columns = parsed->columns;
            index.where = parsed->where;
        }
        return index;
    }
};

}  // namespace

std::unique_ptr<Introspector> make_postgres_introspector() {
    return std::make_unique<PostgresIntrospector>();
}

}  // namespace fastappkit
