// CREATE / DROP DATABASE for test fixtures, through the server's maintenance database.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "common/error.h"
#include "db/postgres_database.h"

namespace fastappkit {

namespace {

std::string quoted_identifier(const std::string& name) {
    std::string out = "\"";
    for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

// The first line of a server message, without its severity prefix and final period.
std::string first_line_of(std::string message) {
    message = message.substr(0, message.find('\n'));
    for (const char* severity : {"ERROR:  ", "FATAL:  "}) {
        const auto at = message.find(severity);  // libpq may put "connection to … failed: " first
        if (at != std::string::npos) message.erase(at, std::string(severity).size());
    }
    while (!message.empty() && (message.back() == '.' || message.back() == ' ')) message.pop_back();
    return message;
}

// DROP DATABASE … WITH (FORCE) ends the sessions of the database first, but a role that is
// not a superuser may not end an autovacuum worker's (42501), and autovacuum is busy right after
// heavy use. Then this role's own sessions are ended by hand and a plain DROP DATABASE, which
// stops autovacuum itself, follows; a session that connects in between (55006) is retried.
void drop_database(pqxx::nontransaction& work, const std::string& name,
                   const std::string& literal_name) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (bool force = true;; force = !force) {
        try {
            work.exec("DROP DATABASE IF EXISTS " + name + (force ? " WITH (FORCE)" : ""));
            return;
        } catch (const pqxx::sql_error& e) {
            const bool busy = e.sqlstate() == "42501" || e.sqlstate() == "55006";
            if (!busy || std::chrono::steady_clock::now() >= deadline) throw;
        }
        try {
            work.exec(fmt::format(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = {} AND "
                "pid <> pg_backend_pid() AND usesysid = (SELECT oid FROM pg_roles WHERE rolname "
                "= current_user)",
                literal_name));
        } catch (const pqxx::sql_error&) {
            // a session ended meanwhile, or is not ours after all: the DROP says what is left
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

}  // namespace

void reset_postgres_database(const DatabaseUrl& url, bool create) {
    DatabaseUrl maintenance = url;
    maintenance.database = "postgres";
    const auto name = quoted_identifier(url.database);
    try {
        pqxx::connection connection(maintenance.libpq_conninfo());
        pqxx::nontransaction work(connection);
        drop_database(work, name, work.quote(url.database));
        if (create) work.exec("CREATE DATABASE " + name);
    } catch (const std::exception& e) {
        throw failure(fmt::format("Cannot {} database {}: {}.", create ? "reset" : "drop",
                                  url.masked(), first_line_of(mask_passwords(e.what()))));
    }
}

void clone_postgres_database(const DatabaseUrl& from, const DatabaseUrl& to) {
    DatabaseUrl maintenance = to;
    maintenance.database = "postgres";
    const std::string refusal = fmt::format(
        "Cannot clone {}: other sessions are connected to it, and PostgreSQL copies a database "
        "only while nobody uses it; close them (or stop the application) and run again",
        from.masked());
    try {
        pqxx::connection connection(maintenance.libpq_conninfo());
        pqxx::nontransaction work(connection);
        drop_database(work, quoted_identifier(to.database), work.quote(to.database));
        // A session that just disconnected (the runner that migrated the source, a moment ago)
        // stays in pg_stat_activity until its backend has exited: give such sessions a moment.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        for (;;) {
            const auto others =
                work.exec(fmt::format("SELECT count(*) FROM pg_stat_activity WHERE datname = {}",
                                      work.quote(from.database)));
            if (others[0][0].as<long long>() == 0) {
                try {
                    work.exec("CREATE DATABASE " + quoted_identifier(to.database) + " TEMPLATE " +
                              quoted_identifier(from.database));
                    return;
                } catch (const pqxx::sql_error& e) {
                    if (e.sqlstate() != "55006") throw;  // 55006: someone connected in between
                }
            }
            if (std::chrono::steady_clock::now() >= deadline) throw failure(refusal);
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    } catch (const Error&) {
        throw;
    } catch (const pqxx::sql_error& e) {
        throw failure(fmt::format("Cannot clone {} into {}: {}", from.masked(), to.masked(),
                                  first_line_of(mask_passwords(e.what()))));
    } catch (const std::exception& e) {
        throw failure(fmt::format("Cannot clone {} into {}: {}", from.masked(), to.masked(),
                                  first_line_of(mask_passwords(e.what()))));
    }
}

}  // namespace fastappkit
