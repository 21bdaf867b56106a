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

// Who else is connected to the database: autovacuum workers (no role), sessions of this role,
// and sessions of other roles.
struct Connected {
    long long autovacuum = 0;
    long long ours = 0;
    long long others = 0;
    std::string others_roles;  // "alice, bob"
};

Connected connected_to(pqxx::nontransaction& work, const std::string& literal_name) {
    const auto rows = work.exec(fmt::format(
        "SELECT count(*) FILTER (WHERE a.usesysid IS NULL), "
        "count(*) FILTER (WHERE a.usesysid = r.oid), "
        "count(*) FILTER (WHERE a.usesysid <> r.oid), "
        "coalesce(string_agg(DISTINCT a.usename::text, ', ') FILTER (WHERE a.usesysid <> r.oid), '') "
        "FROM pg_stat_activity a, (SELECT oid FROM pg_roles WHERE rolname = current_user) r "
        "WHERE a.datname = {} AND a.pid <> pg_backend_pid()",
        literal_name));
    return {rows[0][0].as<long long>(), rows[0][1].as<long long>(), rows[0][2].as<long long>(),
            rows[0][3].as<std::string>()};
}

// DROP DATABASE … WITH (FORCE) ends the sessions of the database first, but a role that is
// not a superuser may not end an autovacuum worker's (42501, "must be a member of the role whose
// process is being terminated"), and autovacuum is busy right after heavy use, on a database of
// many tables for a good while. A plain DROP DATABASE stops autovacuum workers itself (waiting
// up to 5 s for them to go), but fails (55006) while any other session is connected. So after a
// refused FORCE this role's own sessions are ended by hand, the plain DROP follows once
// pg_stat_activity shows them gone, and the two alternate for up to two minutes while only
// autovacuum and this role's sessions are in the way. Sessions of another role, which this
// role may not end, are given a few seconds to leave, then named in the error.
void drop_database(pqxx::nontransaction& work, const std::string& name,
                   const std::string& literal_name) {
    using Clock = std::chrono::steady_clock;
    const auto started = Clock::now();
    const auto deadline = started + std::chrono::minutes(2);
    const auto others_deadline = started + std::chrono::seconds(5);
    for (;;) {
        try {
            work.exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            return;
        } catch (const pqxx::insufficient_privilege&) {
            // 42501, caught by its type: libpqxx 6.4 leaves this class's sqlstate() empty
        } catch (const pqxx::sql_error& e) {
            if (e.sqlstate() != "55006") throw;
        }
        Connected left;
        try {
            work.exec(fmt::format(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = {} AND "
                "pid <> pg_backend_pid() AND usesysid = (SELECT oid FROM pg_roles WHERE rolname "
                "= current_user)",
                literal_name));
        } catch (const pqxx::sql_error&) {
            // a session ended meanwhile: what is left is counted below
        }
        // pg_terminate_backend only signals: wait until this role's sessions have exited.
        const auto settle = Clock::now() + std::chrono::seconds(3);
        for (;;) {
            left = connected_to(work, literal_name);
            if (left.ours == 0 || Clock::now() >= settle) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        const auto now = Clock::now();
        if (left.others > 0 && now >= others_deadline) {
            throw failure(fmt::format(
                "{} session{} of role {} {} connected to {}, which this role may not end; close "
                "{} (or drop the database as a superuser) and run again",
                left.others, left.others == 1 ? "" : "s", left.others_roles,
                left.others == 1 ? "is" : "are", name, left.others == 1 ? "it" : "them"));
        }
        if (left.others == 0) {
            try {
                work.exec("DROP DATABASE IF EXISTS " + name);
                return;
            } catch (const pqxx::sql_error& e) {
                if (e.sqlstate() != "55006" || Clock::now() >= deadline) throw;
            }
        }
        if (Clock::now() >= deadline) {
            left = connected_to(work, literal_name);
            throw failure(fmt::format(
                "sessions kept connecting to {} for two minutes (still connected: {} autovacuum "
                "worker{}, {} session{} of this role, {} of other roles); run again later",
                name, left.autovacuum, left.autovacuum == 1 ? "" : "s", left.ours,
                left.ours == 1 ? "" : "s", left.others));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
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
