// shop_report: a tiny consumer of the shop's database. It migrates the database itself at
// start (the migrations are compiled in: fastappkit_embed_migrations in CMakeLists.txt), then:
//
//   shop_report                      list every table with its row count and the version rows
//   shop_report --check-schema       exit 1 unless every table and column the migrations
//                                    create is there and each history sits on one head
//   shop_report --check-constraints  exit 1 unless defaults, foreign keys, unique and check
//                                    constraints behave (inside a transaction it rolls back)
//   shop_report --sign-up EMAIL      add a user and commit; exit 1 unless it is the only user
//                                    (a test with a database of its own sees no one else's)
//
// The database comes from --database-url, else the environment's DATABASE_URL, else the
// DATABASE_URL line of <project root>/.env. Only sqlite:/// URLs are understood; a relative
// path is relative to the project root, as for fastappkit itself. The project root is
// --project-root, else the current directory.

#include <fastappkit/embedded.h>
#include <sqlite3.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct CloseDatabase {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct FinalizeStatement {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using Database = std::unique_ptr<sqlite3, CloseDatabase>;
using Statement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

// The schema the shared history, analytics and payments produce at their heads.
const std::map<std::string, std::vector<std::string>> kExpectedTables = {
    {"core_setting", {"name", "value", "updated_at"}},
    {"core_audit_log", {"id", "actor", "action", "payload", "created_at"}},
    {"auth_user",
     {"id", "email", "password_hash", "display_name", "is_active", "created_at",
      "email_verified_at", "last_login_at"}},
    {"auth_session", {"id", "user_id", "token_hash", "created_at", "expires_at"}},
    {"auth_password_reset", {"id", "user_id", "token_hash", "created_at", "expires_at", "used_at"}},
    {"blog_post", {"id", "author_id", "slug", "title", "body", "published_at", "created_at"}},
    {"blog_comment", {"id", "post_id", "author_id", "body", "created_at", "is_approved"}},
    {"blog_tag", {"id", "name", "slug"}},
    {"blog_post_tag", {"post_id", "tag_id"}},
    {"blog_subscription", {"post_id", "user_id", "created_at"}},
    {"analytics_event_type", {"id", "name", "description"}},
    {"analytics_event", {"id", "event_type_id", "occurred_at", "subject", "properties"}},
    {"analytics_daily_count", {"event_type_id", "day", "event_count"}},
    {"payments_customer", {"id", "user_id", "email", "created_at"}},
    {"payments_charge",
     {"id", "customer_id", "amount_cents", "currency", "status", "created_at", "provider_ref"}},
    {"payments_refund", {"id", "charge_id", "amount_cents", "reason", "created_at"}},
};

// One version table per history: the shared one (core + auth + blog) and one per external app.
const std::vector<std::string> kVersionTables = {"alembic_version", "alembic_version_analytics",
                                                 "alembic_version_payments"};

std::string trim(const std::string& text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return "";
    const auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

std::string unquote(const std::string& value) {
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front())
        return value.substr(1, value.size() - 2);
    return value;
}

std::optional<std::string> url_from_env_file(const std::string& path) {
    std::ifstream file(path);
    std::string line;
    while (std::getline(file, line)) {
        line = trim(line);
        if (line.rfind("export ", 0) == 0) line = trim(line.substr(7));
        const auto equals = line.find('=');
        if (line.empty() || line[0] == '#' || equals == std::string::npos) continue;
        if (trim(line.substr(0, equals)) == "DATABASE_URL")
            return unquote(trim(line.substr(equals + 1)));
    }
    return std::nullopt;
}

std::string resolve_database_url(const std::optional<std::string>& from_command_line,
                                 const std::string& project_root) {
    if (from_command_line) return *from_command_line;
    if (const char* from_environment = std::getenv("DATABASE_URL")) return from_environment;
    if (auto from_file = url_from_env_file(project_root + "/.env")) return *from_file;
    throw Failure("no database: pass --database-url, set DATABASE_URL, or add " + project_root +
                  "/.env");
}

std::string sqlite_path_from_url(const std::string& url, const std::string& project_root) {
    const std::string prefix = "sqlite:///";
    if (url.rfind(prefix, 0) != 0)
        throw Failure("shop_report only reads sqlite:/// URLs, got a '" +
                      url.substr(0, url.find(':')) + "' URL");  // never echo a password
    const auto path = url.substr(prefix.size());  // "sqlite:////abs.db" leaves "/abs.db"
    return path.rfind('/', 0) == 0 ? path : project_root + "/" + path;
}

Database open_database(const std::string& path, bool writable) {
    sqlite3* raw = nullptr;
    const int flags = writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    Database db(raw);
    if (rc != SQLITE_OK)
        throw Failure("cannot open " + path + ": " + (raw ? sqlite3_errmsg(raw) : "out of memory"));
    sqlite3_busy_timeout(db.get(), 5000);
    return db;
}

Statement prepare(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK)
        throw Failure(std::string(sqlite3_errmsg(db)) + " in: " + sql);
    return Statement(raw);
}

std::vector<std::string> column_strings(sqlite3* db, const std::string& sql) {
    auto stmt = prepare(db, sql);
    std::vector<std::string> values;
    while (sqlite3_step(stmt.get()) == SQLITE_ROW) {
        const auto* text = sqlite3_column_text(stmt.get(), 0);
        values.emplace_back(text ? reinterpret_cast<const char*>(text) : "NULL");
    }
    return values;
}

long long count_rows(sqlite3* db, const std::string& table) {
    auto stmt = prepare(db, "SELECT count(*) FROM \"" + table + "\"");
    sqlite3_step(stmt.get());
    return sqlite3_column_int64(stmt.get(), 0);
}

std::set<std::string> existing_tables(sqlite3* db) {
    const auto names = column_strings(
        db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
    return {names.begin(), names.end()};
}

std::string join(const std::vector<std::string>& items) {
    std::string joined;
    for (const auto& item : items) joined += (joined.empty() ? "" : ", ") + item;
    return joined;
}

int report(sqlite3* db) {
    const auto tables = existing_tables(db);
    for (const auto& table : tables)
        std::cout << table << ": " << count_rows(db, table) << " rows\n";
    for (const auto& table : kVersionTables) {
        if (tables.count(table) == 0) continue;
        std::cout << table << " = " << join(column_strings(db, "SELECT version_num FROM " + table))
                  << "\n";
    }
    return 0;
}

std::vector<std::string> schema_problems(sqlite3* db) {
    std::vector<std::string> problems;
    const auto tables = existing_tables(db);
    for (const auto& [table, expected_columns] : kExpectedTables) {
        if (tables.count(table) == 0) {
            problems.push_back("missing table " + table);
            continue;
        }
        const auto columns =
            column_strings(db, "SELECT name FROM pragma_table_info('" + table + "')");
        if (columns != expected_columns)
            problems.push_back(table + " has columns (" + join(columns) + "), expected (" +
                               join(expected_columns) + ")");
    }
    for (const auto& table : kVersionTables) {
        if (tables.count(table) == 0) {
            problems.push_back("missing version table " + table);
            continue;
        }
        const auto heads = column_strings(db, "SELECT version_num FROM " + table);
        if (heads.size() != 1)
            problems.push_back(table + " should hold one head, holds (" + join(heads) + ")");
    }
    return problems;
}

int check_schema(sqlite3* db) {
    const auto problems = schema_problems(db);
    for (const auto& problem : problems) std::cerr << "shop_report: " << problem << "\n";
    if (!problems.empty()) return 1;
    std::cout << "schema ok: " << kExpectedTables.size() << " tables, " << kVersionTables.size()
              << " histories at one head each\n";
    return 0;
}

void execute(sqlite3* db, const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = message ? message : "unknown error";
        sqlite3_free(message);
        throw Failure(text + " in: " + sql);
    }
}

// Runs a statement that the schema must refuse; returns a problem when it is accepted.
std::optional<std::string> expect_refused(sqlite3* db, const std::string& why,
                                          const std::string& sql) {
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_CONSTRAINT) return {};
    return "accepted " + why + ": " + sql;
}

std::vector<std::string> constraint_problems(sqlite3* db) {
    std::vector<std::string> problems;
    auto add = [&](std::optional<std::string> problem) {
        if (problem) problems.push_back(*problem);
    };
    execute(db,
            "INSERT INTO auth_user (id, email, password_hash, display_name) "
            "VALUES (9001, 'check@example.com', 'x', 'Check');"
            "INSERT INTO blog_post (id, author_id, slug, title, body) "
            "VALUES (9001, 9001, 'check-post', 'Check', 'Body');"
            "INSERT INTO blog_comment (id, post_id, author_id, body) "
            "VALUES (9001, 9001, 9001, 'First!');"
            "INSERT INTO payments_customer (id, user_id, email) "
            "VALUES (9001, 9001, 'check@example.com');");
    if (column_strings(db, "SELECT is_approved FROM blog_comment WHERE id = 9001") !=
        std::vector<std::string>{"0"})
        problems.push_back("blog_comment.is_approved does not default to false");
    add(expect_refused(
        db, "a comment on a missing post",
        "INSERT INTO blog_comment (post_id, author_id, body) VALUES (-1, 9001, 'x')"));
    add(expect_refused(db, "a duplicate e-mail address",
                       "INSERT INTO auth_user (email, password_hash, display_name) "
                       "VALUES ('check@example.com', 'x', 'Twin')"));
    add(expect_refused(db, "a charge of zero cents",
                       "INSERT INTO payments_charge (customer_id, amount_cents) VALUES (9001, 0)"));
    execute(db, "DELETE FROM blog_post WHERE id = 9001");
    if (!column_strings(db, "SELECT id FROM blog_comment WHERE id = 9001").empty())
        problems.push_back("deleting a blog post does not cascade to its comments");
    return problems;
}

int check_constraints(sqlite3* db) {
    execute(db, "PRAGMA foreign_keys = ON; BEGIN IMMEDIATE");
    std::vector<std::string> problems;
    try {
        problems = constraint_problems(db);
    } catch (...) {
        execute(db, "ROLLBACK");
        throw;
    }
    execute(db, "ROLLBACK");  // leave the fixture database as the migrations made it
    for (const auto& problem : problems) std::cerr << "shop_report: " << problem << "\n";
    if (!problems.empty()) return 1;
    std::cout << "constraints ok: defaults, foreign keys, unique, check and cascade\n";
    return 0;
}

int sign_up(sqlite3* db, const std::string& email) {
    execute(db, "INSERT INTO auth_user (email, password_hash, display_name) VALUES ('" + email +
                    "', 'x', 'New user')");
    const auto users = column_strings(db, "SELECT email FROM auth_user ORDER BY id");
    if (users != std::vector<std::string>{email}) {
        std::cerr << "shop_report: expected " << email << " to be the only user, found "
                  << join(users) << "\n";
        return 1;
    }
    std::cout << "signed up " << email << ", the only user of this database\n";
    return 0;
}

int usage(const char* program) {
    std::cerr << "usage: " << program
              << " [--check-schema | --check-constraints | --sign-up EMAIL] [--project-root DIR]"
                 " [--database-url sqlite:///FILE]\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = "report";
    std::optional<std::string> url;
    std::string project_root = ".";
    std::string email;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--check-schema" || arg == "--check-constraints")
            mode = arg;
        else if (arg == "--sign-up" && i + 1 < argc)
            mode = arg, email = argv[++i];
        else if (arg == "--database-url" && i + 1 < argc)
            url = argv[++i];
        else if (arg == "--project-root" && i + 1 < argc)
            project_root = argv[++i];
        else
            return usage(argv[0]);
    }
    try {
        const auto path =
            sqlite_path_from_url(resolve_database_url(url, project_root), project_root);
        fastappkit::MigrateOptions options;
        options.on_applied = [](const fastappkit::AppliedMigration& m) {
            std::cout << "migrated " << m.history << " " << m.revision << " " << m.message << "\n";
        };
        fastappkit::migrate_all("sqlite:///" + path, options);
        const auto db = open_database(path, mode != "report" && mode != "--check-schema");
        std::cout << "database: " << path << "\n";
        if (mode == "--check-schema") return check_schema(db.get());
        if (mode == "--check-constraints") return check_constraints(db.get());
        if (mode == "--sign-up") return sign_up(db.get(), email);
        return report(db.get());
    } catch (const Failure& failure) {
        std::cerr << "shop_report: " << failure.what() << "\n";
        return 1;
    } catch (const fastappkit::Error& error) {
        std::cerr << "shop_report: " << error.what() << "\n";
        return error.exit_code();
    }
}
