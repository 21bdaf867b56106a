#include "autogen/checkpoint.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include <fmt/format.h>

#include "autogen/dialects.h"
#include "autogen/history_replay.h"
#include "autogen/renderer.h"
#include "autogen/schema_diff.h"
#include "autogen/sql_text.h"
#include "common/clock.h"
#include "common/error.h"
#include "runner/plan.h"
#include "script/sql_lexer.h"
#include "script/sql_splitter.h"

namespace fastappkit {

namespace {

using Node = RevisionGraph::Node;
namespace fs = std::filesystem;

// Rows of a --keep-data table per INSERT statement.
constexpr size_t kRowsPerInsert = 500;

std::string literal(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        out += c;
        if (c == '\'') out += '\'';
    }
    return out + "'";
}

std::string first_line(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    return line.size() > 120 ? line.substr(0, 120) + "…" : line;
}

// An object as SQLite keeps it: sqlite_schema's type, name and statement.
struct SqliteObject {
    std::string type;
    std::string name;
    std::string sql;
};

// What a scratch database holds at one moment, read the ways a checkpoint needs.
struct Snapshot {
    Schema schema;
    std::vector<SqliteObject> objects;  // SQLite: every object with its statement, in creation order
    std::set<std::string> others;       // PostgreSQL: objects the introspector does not model
};

std::vector<SqliteObject> sqlite_objects(Database& db) {
    std::set<std::string> shadow;  // the tables behind a virtual table come with it
    for (const auto& row : db.query("SELECT name FROM pragma_table_list WHERE type = 'shadow'"))
        shadow.insert(row[0].value_or(""));
    std::vector<SqliteObject> out;
    for (const auto& row :
         db.query("SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT "
                  "LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid")) {
        SqliteObject object{row[0].value_or(""), row[1].value_or(""), row[2].value_or("")};
        if (!shadow.count(object.name)) out.push_back(std::move(object));
    }
    return out;
}

// Objects of the current schema that a checkpoint built from the introspected schema would
// leave out, as "<kind> <name>".
const char* const kPostgresOthers = R"(
SELECT kind || ' ' || name FROM (
  SELECT 'function' AS kind, p.proname::text AS name FROM pg_proc p
   WHERE p.pronamespace = current_schema()::regnamespace
  UNION ALL SELECT 'trigger', t.tgname || ' on ' || c.relname FROM pg_trigger t
   JOIN pg_class c ON c.oid = t.tgrelid
   WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace
  UNION ALL SELECT 'type', t.typname::text FROM pg_type t
   WHERE t.typnamespace = current_schema()::regnamespace AND t.typtype IN ('e', 'd', 'r', 'm')
  UNION ALL SELECT 'type', c.relname::text FROM pg_class c
   WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'c'
  UNION ALL SELECT CASE c.relkind WHEN 'm' THEN 'materialized view' WHEN 'p'
                   THEN 'partitioned table' WHEN 'f' THEN 'foreign table' ELSE 'sequence' END,
                   c.relname::text FROM pg_class c
   WHERE c.relnamespace = current_schema()::regnamespace
     AND (c.relkind IN ('m', 'p', 'f') OR (c.relkind = 'S' AND NOT EXISTS (
          SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
             AND d.deptype IN ('a', 'i'))))
  UNION ALL SELECT 'policy', pol.polname || ' on ' || c.relname FROM pg_policy pol
   JOIN pg_class c ON c.oid = pol.polrelid WHERE c.relnamespace = current_schema()::regnamespace
  UNION ALL SELECT 'rule', r.rulename || ' on ' || c.relname FROM pg_rewrite r
   JOIN pg_class c ON c.oid = r.ev_class
   WHERE c.relnamespace = current_schema()::regnamespace AND r.rulename <> '_RETURN'
  UNION ALL SELECT 'comment on', c.relname::text FROM pg_description d
   JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
   WHERE c.relnamespace = current_schema()::regnamespace
  UNION ALL SELECT 'extension', e.extname::text FROM pg_extension e WHERE e.extname <> 'plpgsql'
) o)";

Snapshot snapshot(Database& db, const Introspector& introspector) {
    Snapshot out;
    out.schema = introspector.read_schema(db);
    if (db.dialect() == Dialect::sqlite) {
        out.objects = sqlite_objects(db);
    } else {
        for (const auto& row : db.query(kPostgresOthers)) out.others.insert(row[0].value_or(""));
    }
    return out;
}

std::vector<std::string> sorted_new(const std::set<std::string>& before,
                                    const std::set<std::string>& after) {
    std::vector<std::string> out;
    std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                        std::back_inserter(out));
    return out;
}

struct CheckpointSql {
    std::vector<std::string> upgrade;
    std::vector<std::string> downgrade;
};

// SQLite keeps every object's statement: the checkpoint repeats them, tables first (SQLite
// checks foreign keys when rows change, not when tables are made), then indexes, views and
// triggers, each in the order they were made; the downgrade drops them in reverse.
CheckpointSql sqlite_checkpoint(const Snapshot& before, const Snapshot& after) {
    std::set<std::string> existing;
    for (const auto& object : before.objects) existing.insert(object.type + " " + object.name);
    CheckpointSql sql;
    std::vector<const SqliteObject*> made;
    for (const char* type : {"table", "index", "view", "trigger"}) {
        for (const auto& object : after.objects) {
            if (object.type == type && !existing.count(object.type + " " + object.name))
                made.push_back(&object);
        }
    }
    for (const auto* object : made) sql.upgrade.push_back(object->sql);
    for (auto it = made.rbegin(); it != made.rend(); ++it) {
        const SqliteObject& object = **it;
        if (object.type == "index") continue;  // dropped with its table
        std::string kind = object.type;
        std::transform(kind.begin(), kind.end(), kind.begin(), ::toupper);
        sql.downgrade.push_back(fmt::format("DROP {} {}", kind, quote_identifier(object.name)));
    }
    return sql;
}

// The views `after` adds, each after the views it selects from.
std::vector<const View*> new_views_in_order(const Schema& before, const Schema& after) {
    std::vector<const View*> pending, ordered;
    for (const auto& view : after.views) {
        if (!before.find_view(view.name)) pending.push_back(&view);
    }
    while (!pending.empty()) {
        auto ready = std::find_if(pending.begin(), pending.end(), [&](const View* view) {
            return std::none_of(pending.begin(), pending.end(), [&](const View* other) {
                return other != view && mentions_identifier(view->definition, other->name);
            });
        });
        if (ready == pending.end()) ready = pending.begin();  // a cycle cannot be; keep going
        ordered.push_back(*ready);
        pending.erase(ready);
    }
    return ordered;
}

// PostgreSQL: the introspected difference rendered as autogenerate renders a migration (every
// table, then its constraints and foreign keys, then plain indexes), then the views.
CheckpointSql postgres_checkpoint(const Snapshot& before, const Snapshot& after) {
    const MigrationSql tables =
        make_renderer(Dialect::postgresql, false)->render(diff_schemas(before.schema, after.schema));
    CheckpointSql sql;
    for (const auto& statement : tables.upgrade.statements) {
        if (statement.rfind("--", 0) != 0) sql.upgrade.push_back(statement);
    }
    const auto views = new_views_in_order(before.schema, after.schema);
    for (const View* view : views) sql.upgrade.push_back(view->create_sql);
    for (auto it = views.rbegin(); it != views.rend(); ++it)
        sql.downgrade.push_back("DROP VIEW " + quote_identifier((*it)->name));
    for (const auto& statement : tables.downgrade.statements) {
        if (statement.rfind("--", 0) != 0) sql.downgrade.push_back(statement);
    }
    return sql;
}

const Table& kept_table(const History& history, const Schema& schema, const std::string& name) {
    for (const auto& table : schema.tables) {
        if (table.name == name || lower_ascii(table.name) == lower_ascii(name)) return table;
    }
    throw usage_error(fmt::format(
        "{}: --keep-data {}: the replay of the range creates no such table", history.name(), name));
}

// INSERT statements holding the table's rows as the replay left them, and on PostgreSQL the
// state of its sequences.
std::vector<std::string> kept_rows(Database& db, const Table& table, size_t& count) {
    const bool sqlite = db.dialect() == Dialect::sqlite;
    std::vector<std::string> names, values;
    bool always_identity = false;
    for (const auto& column : table.columns) {
        if (!column.generated.empty()) continue;
        names.push_back(quote_identifier(column.name));
        values.push_back(fmt::format(sqlite ? "quote({})" : "quote_nullable({})",
                                     quote_identifier(column.name)));
        always_identity = always_identity || column.identity == "ALWAYS";
    }
    std::vector<std::string> out;
    if (names.empty()) return out;
    const std::string head =
        fmt::format("INSERT INTO {} ({}){} VALUES", quote_identifier(table.name),
                    fmt::join(names, ", "), always_identity ? " OVERRIDING SYSTEM VALUE" : "");
    const auto rows = db.query(fmt::format("SELECT {} FROM {}", fmt::join(values, ", "),
                                           quote_identifier(table.name)));
    for (size_t first = 0; first < rows.size(); first += kRowsPerInsert) {
        std::string statement = head;
        for (size_t i = first; i < std::min(rows.size(), first + kRowsPerInsert); ++i) {
            statement += i == first ? "\n(" : ",\n(";
            for (size_t c = 0; c < rows[i].size(); ++c)
                statement += (c ? ", " : "") + rows[i][c].value_or("NULL");
            statement += ")";
        }
        out.push_back(std::move(statement));
    }
    count += rows.size();
    if (sqlite) return out;
    for (const auto& column : table.columns) {
        const std::string table_arg = literal(quote_identifier(table.name));
        const auto sequence = db.query(fmt::format("SELECT pg_get_serial_sequence({}, {})",
                                                   table_arg, literal(column.name)));
        if (sequence.empty() || !sequence[0][0]) continue;
        const auto state =
            db.query(fmt::format("SELECT last_value, is_called FROM {}", *sequence[0][0]));
        out.push_back(fmt::format("SELECT setval(pg_get_serial_sequence({}, {}), {}, {})",
                                  table_arg, literal(column.name), state[0][0].value_or("1"),
                                  state[0][1].value_or("f") == "t" ? "true" : "false"));
    }
    return out;
}

void refuse_dependents(const History& history, const RevisionGraph& graph,
                       const std::vector<char>& inside, Node rev) {
    for (Node n = 0; n < static_cast<Node>(graph.size()); ++n) {
        if (inside[n]) continue;
        for (Node d : graph.all_down(n)) {
            if (!inside[d] || d == rev) continue;
            throw usage_error(fmt::format(
                "{}: revision {} ({}) builds on {}, inside the range base..{} a checkpoint "
                "would replace; squash to a revision every branch has merged into",
                history.name(), graph.id(n), graph.script(n).file, graph.id(d), graph.id(rev)));
        }
    }
}

void refuse_data(History& history, const std::vector<Step>& range, Dialect dialect) {
    for (const auto& step : range) {
        const MigrationScript& script = history.body(step.node);
        const Section* section = script.section(Direction::upgrade, to_string(dialect));
        if (!section) continue;  // the replay says so
        const DataStatement data = first_data_statement(section->sql);
        if (data.line == 0) continue;
        throw usage_error(fmt::format(
            "{}:{}: revision {} changes data ({}), and a checkpoint holds the schema; pass "
            "--keep-data TABLE... to keep the rows of the tables it fills, or --no-data to leave "
            "them out",
            script.file, section->marker_line + data.line, script.revision, data.statement));
    }
}

std::string header_list(const std::vector<std::string>& items) {
    return fmt::format("{}", fmt::join(items, ", "));
}

std::string sections_text(Dialect dialect, const CheckpointSql& sql) {
    SectionSql upgrade{sql.upgrade, {}}, downgrade{sql.downgrade, {}};
    return fmt::format("-- migrate:upgrade dialect:{}\n{}\n-- migrate:downgrade dialect:{}\n{}",
                       to_string(dialect), upgrade.text(), to_string(dialect), downgrade.text());
}

void write_file(const fs::path& file, const std::string& text, const std::string& history) {
    const fs::path partial = file.string() + ".partial";
    {
        std::ofstream out(partial, std::ios::binary);
        out << text;
        if (!out.flush()) {
            throw usage_error(fmt::format("{}: cannot write {}", history, partial.string()));
        }
    }
    fs::rename(partial, file);
}

fs::path add_dialect(const MigrationScript& existing, Dialect dialect, const CheckpointSql& sql) {
    const fs::path file = existing.file;
    std::ifstream in(file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) throw usage_error(fmt::format("cannot read {}", file.string()));
    if (!text.empty() && text.back() != '\n') text += '\n';
    write_file(file, text + "\n" + sections_text(dialect, sql), existing.checkpoint);
    return file;
}

fs::path write_checkpoint(History& history, const RevisionGraph& graph, Node rev,
                          const std::vector<Step>& range, Dialect dialect,
                          const CheckpointSql& sql) {
    std::vector<std::string> replaced, labels;
    for (const auto& step : range) {
        replaced.push_back(graph.id(step.node));
        for (const auto& label : graph.script(step.node).branch_labels) labels.push_back(label);
    }
    std::string text = fmt::format("-- checkpoint: {}\n-- replaces: {}\n", graph.id(rev),
                                   header_list(replaced));
    if (!labels.empty()) text += "-- branch_labels: " + header_list(labels) + "\n";
    text += fmt::format(
        "-- message: checkpoint of {} revisions, base to {}\n-- create_date: {}Z\n\n"
        "-- A fresh database runs this file in place of the revisions it replaces; a database\n"
        "-- at one of them goes on through their files. Written by `fastappkit migrate squash`;\n"
        "-- `fastappkit migrate check` compares it with a replay.\n\n",
        range.size(), graph.id(rev), utc_timestamp().substr(0, 19));
    text += sections_text(dialect, sql);
    const fs::path file = history.versions_dir() / (graph.id(rev) + "_checkpoint.sql");
    std::error_code exists;
    if (fs::exists(file, exists)) {
        throw usage_error(fmt::format("{}: {} exists already; move it away to write it again",
                                      history.name(), file.string()));
    }
    write_file(file, text, history.name());
    return file;
}

std::vector<std::string> compare_sqlite(const Snapshot& replay, const Snapshot& checkpoint) {
    std::map<std::string, std::string> want, got;
    for (const auto& o : replay.objects) want[o.type + " " + o.name] = o.sql;
    for (const auto& o : checkpoint.objects) got[o.type + " " + o.name] = o.sql;
    std::vector<std::string> out;
    for (const auto& [name, sql] : want) {
        auto it = got.find(name);
        if (it == got.end()) {
            out.push_back(name + ": the replay makes it, the checkpoint does not");
        } else if (it->second != sql) {
            out.push_back(fmt::format("{}: made differently (replay: {}; checkpoint: {})", name,
                                      first_line(sql), first_line(it->second)));
        }
    }
    for (const auto& [name, sql] : got) {
        if (!want.count(name)) out.push_back(name + ": the checkpoint makes it, the replay does not");
    }
    return out;
}

std::vector<std::string> compare_postgres(const Snapshot& replay, const Snapshot& checkpoint) {
    std::vector<std::string> out;
    for (const auto& line : diff_schemas(replay.schema, checkpoint.schema).describe())
        out.push_back("the checkpoint, against the replay: " + line);
    for (const auto& view : replay.schema.views) {
        const View* other = checkpoint.schema.find_view(view.name);
        if (!other) {
            out.push_back("view " + view.name + ": the replay makes it, the checkpoint does not");
        } else if (other->definition != view.definition) {
            out.push_back("view " + view.name + ": defined differently");
        }
    }
    for (const auto& view : checkpoint.schema.views) {
        if (!replay.schema.find_view(view.name))
            out.push_back("view " + view.name + ": the checkpoint makes it, the replay does not");
    }
    for (const auto& other : sorted_new(checkpoint.others, replay.others))
        out.push_back(other + ": the replay makes it, the checkpoint does not");
    for (const auto& other : sorted_new(replay.others, checkpoint.others))
        out.push_back(other + ": the checkpoint makes it, the replay does not");
    return out;
}

}  // namespace

DataStatement first_data_statement(const std::string& sql) {
    static const std::set<std::string> changing = {"insert", "update", "delete",
                                                   "merge",  "copy",   "replace"};
    for (const auto& whole : split_sql(sql)) {
        const Statement statement = from_first_code(whole);
        const std::string& text = statement.text;
        std::vector<std::string> words;  // at parenthesis depth 0
        int depth = 0;
        for (size_t pos = 0; pos < text.size();) {
            const SqlLexeme lexeme = scan_sql_lexeme(text, pos, false);
            const std::string_view piece(text.data() + lexeme.begin, lexeme.end - lexeme.begin);
            if (lexeme.kind == SqlLexeme::Kind::symbol) {
                if (piece == "(") ++depth;
                if (piece == ")") --depth;
            } else if (lexeme.kind == SqlLexeme::Kind::word && depth == 0) {
                words.push_back(lower_ascii(piece));
            }
            pos = std::max(lexeme.end, pos + 1);
        }
        if (words.empty()) continue;
        const auto has = [&](const char* word) {
            return std::find(words.begin(), words.end(), word) != words.end();
        };
        const bool data =
            changing.count(words.front()) ||
            (words.front() == "with" && (has("insert") || has("update") || has("delete"))) ||
            (words.front() == "create" && has("table") && has("as") && has("select")) ||
            (words.front() == "select" && has("into"));
        if (data) return {statement.line, first_line(text)};
    }
    return {};
}

Squashed squash(const DatabaseUrl& target, History& history, const SquashRequest& request,
                const std::vector<History*>& requirements) {
    if (request.no_data && !request.keep_data.empty()) {
        throw usage_error(fmt::format("{}: --keep-data and --no-data exclude each other; give one",
                                      history.name()));
    }
    const RevisionGraph& graph = history.graph();
    const Node rev = graph.resolve_one(request.to);
    if (!graph.script(rev).checkpoint.empty()) {
        throw usage_error(fmt::format("{}: revision {} is a checkpoint already ({})",
                                      history.name(), graph.id(rev), graph.script(rev).file));
    }
    const std::vector<Step> range = plan_from_base(graph, {rev});
    // A checkpoint is written for one dialect at a time: a project on both databases squashes
    // once on each, and the second adds its sections to the file the first wrote.
    const MigrationScript* existing = nullptr;
    for (size_t i = 0; i < graph.checkpoints().size(); ++i) {
        if (graph.checkpoints()[i].node != rev) continue;
        Step step(rev, Direction::upgrade);
        step.checkpoint = static_cast<int>(i);
        existing = &history.body(step);
        if (existing->section(Direction::upgrade, to_string(target.dialect))) {
            throw usage_error(fmt::format("{}: revision {} has a checkpoint already ({})",
                                          history.name(), graph.id(rev), existing->file));
        }
        std::vector<std::string> ids;
        for (const auto& s : range) ids.push_back(graph.id(s.node));
        if (existing->replaces != ids) {
            throw usage_error(fmt::format(
                "{}: {} replaces other revisions than base..{} does now; move it away to write "
                "the checkpoint again",
                history.name(), existing->file, graph.id(rev)));
        }
    }
    std::vector<char> inside(graph.size(), 0);
    for (const auto& step : range) inside[step.node] = 1;
    refuse_dependents(history, graph, inside, rev);
    if (request.keep_data.empty() && !request.no_data) refuse_data(history, range, target.dialect);

    const auto introspector = make_introspector(target.dialect);
    ReplayDatabase scratch(target, *introspector);
    for (History* requirement : requirements) replay_history(scratch.db(), *requirement);
    const Snapshot before = snapshot(scratch.db(), *introspector);
    replay_history(scratch.db(), history, {rev});
    const Snapshot after = snapshot(scratch.db(), *introspector);
    if (const auto others = sorted_new(before.others, after.others); !others.empty()) {
        throw usage_error(fmt::format(
            "{}: the range base..{} makes objects a checkpoint cannot carry yet ({}); keep "
            "replaying it, or squash to a revision before the first of them",
            history.name(), graph.id(rev), fmt::join(others, ", ")));
    }
    CheckpointSql sql = target.dialect == Dialect::sqlite ? sqlite_checkpoint(before, after)
                                                          : postgres_checkpoint(before, after);
    Squashed result;
    for (const auto& name : request.keep_data) {
        const Table& table = kept_table(history, after.schema, name);
        for (auto& statement : kept_rows(scratch.db(), table, result.kept_rows))
            sql.upgrade.push_back(std::move(statement));
    }
    result.revision = graph.id(rev);
    result.replaced = range.size();
    result.file = existing ? add_dialect(*existing, target.dialect, sql)
                           : write_checkpoint(history, graph, rev, range, target.dialect, sql);
    return result;
}

std::vector<CheckpointVerdict> check_checkpoints(const DatabaseUrl& target, History& history,
                                                 const std::vector<History*>& requirements) {
    const RevisionGraph& graph = history.graph();
    std::vector<CheckpointVerdict> verdicts;
    const auto introspector = make_introspector(target.dialect);
    for (size_t i = 0; i < graph.checkpoints().size(); ++i) {
        const auto& checkpoint = graph.checkpoints()[i];
        CheckpointVerdict& verdict = verdicts.emplace_back();
        verdict.file = checkpoint.script.file;
        verdict.revision = checkpoint.script.checkpoint;
        if (checkpoint.stands_in) {
            verdict.skipped = "the files it replaced were deleted, so there is no replay to compare";
            continue;
        }
        Step step(checkpoint.node, Direction::upgrade);
        step.checkpoint = static_cast<int>(i);
        const Section* section =
            history.body(step).section(Direction::upgrade, to_string(target.dialect));
        if (!section) {
            verdict.skipped = fmt::format("it has no upgrade section for {}", to_string(target.dialect));
            continue;
        }
        ReplayDatabase replayed(target, *introspector), built(target, *introspector);
        for (History* requirement : requirements) {
            replay_history(replayed.db(), *requirement);
            replay_history(built.db(), *requirement);
        }
        replay_history(replayed.db(), history, {checkpoint.node});
        try {
            built.db().execute(section->sql, section->marker_line + 1);
        } catch (const StatementError& e) {
            verdict.differences.push_back(fmt::format("running it failed at {}:{}: {} (statement: {})",
                                                      verdict.file, e.line, e.message,
                                                      first_line(e.statement)));
            continue;
        }
        const Snapshot replay = snapshot(replayed.db(), *introspector);
        const Snapshot made = snapshot(built.db(), *introspector);
        verdict.differences = target.dialect == Dialect::sqlite ? compare_sqlite(replay, made)
                                                                : compare_postgres(replay, made);
    }
    return verdicts;
}

}  // namespace fastappkit
