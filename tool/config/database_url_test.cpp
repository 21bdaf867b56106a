#include "config/database_url.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "test_support/test_support.h"

namespace fastappkit {
namespace {

namespace fs = std::filesystem;
using Params = std::vector<std::pair<std::string, std::string>>;

const fs::path kRoot = "/srv/project";

DatabaseUrl parse(const std::string& url) { return parse_database_url(url, kRoot); }

std::string error_of(const std::string& url) {
    return test_support::message_of(ExitCode::usage, [&] { parse(url); });
}

TEST(DatabaseUrlTest, SqliteRelativeToTheProjectRoot) {
    const DatabaseUrl url = parse("sqlite:///app.db");
    EXPECT_EQ(Dialect::sqlite, url.dialect);
    EXPECT_EQ("sqlite:///app.db", url.text);
    EXPECT_EQ(fs::path("/srv/project/app.db"), url.sqlite_path);
    EXPECT_EQ(fs::path("/srv/project/data/app.db"), parse("sqlite:///./data/app.db").sqlite_path);
    EXPECT_EQ(fs::path("/srv/shared.db"), parse("sqlite:///../shared.db").sqlite_path);
}

TEST(DatabaseUrlTest, SqliteAbsoluteAndMemory) {
    EXPECT_EQ(fs::path("/var/lib/app.db"), parse("sqlite:////var/lib/app.db").sqlite_path);
    EXPECT_EQ(fs::path(":memory:"), parse("sqlite://").sqlite_path);
    EXPECT_EQ(fs::path(":memory:"), parse("sqlite:///:memory:").sqlite_path);
    EXPECT_EQ(fs::path(":memory:"), parse("sqlite:///").sqlite_path);
}

TEST(DatabaseUrlTest, SqliteDriverSuffixAndQuery) {
    const DatabaseUrl url = parse("sqlite+aiosqlite:///app.db?check_same_thread=false");
    EXPECT_EQ(Dialect::sqlite, url.dialect);
    EXPECT_EQ(fs::path("/srv/project/app.db"), url.sqlite_path);
    EXPECT_EQ((Params{{"check_same_thread", "false"}}), url.params);
}

// "scheme:///…" URLs are split without the pattern; they must read exactly as through it.
TEST(DatabaseUrlTest, UrlsWithoutAHostReadAsThePatternReadsThem) {
    const DatabaseUrl sqlite = parse("sqlite:///data/app.db?mode=ro&cache=shared");
    EXPECT_EQ(fs::path("/srv/project/data/app.db"), sqlite.sqlite_path);
    EXPECT_EQ((Params{{"mode", "ro"}, {"cache", "shared"}}), sqlite.params);
    EXPECT_EQ(fs::path("/srv/project/a@b:c.db"), parse("sqlite:///a@b:c.db").sqlite_path);
    const DatabaseUrl postgres = parse("postgres:///app?host=/tmp&port=5433");
    EXPECT_EQ("app", postgres.database);
    EXPECT_EQ("", postgres.host);
    EXPECT_EQ((Params{{"host", "/tmp"}, {"port", "5433"}}), postgres.params);
    // '.' in the pattern stops at a line break: such a query stays unsupported.
    EXPECT_NE(std::string::npos,
              error_of("sqlite:///app.db?a=\nb").find("Unsupported database URL"));
    EXPECT_NE(std::string::npos, error_of("1sqlite:///app.db").find("Unsupported database URL"));
}

TEST(DatabaseUrlTest, MalformedSqlite) {
    EXPECT_EQ(
        "Malformed SQLite URL 'sqlite://localhost/app.db': use sqlite:///relative/path.db or "
        "sqlite:////absolute/path.db",
        error_of("sqlite://localhost/app.db"));
    EXPECT_EQ(
        "Malformed SQLite URL 'sqlite://u:***@/app.db': use sqlite:///relative/path.db or "
        "sqlite:////absolute/path.db",
        error_of("sqlite://u:secret@/app.db"));
}

TEST(DatabaseUrlTest, Postgresql) {
    const DatabaseUrl url = parse(
        "postgresql://app:s3cret@db.example.com:5433/shop?sslmode=require&application_name=m");
    EXPECT_EQ(Dialect::postgresql, url.dialect);
    EXPECT_EQ("app", url.user);
    EXPECT_EQ("s3cret", url.password);
    EXPECT_EQ("db.example.com", url.host);
    EXPECT_EQ(5433, url.port);
    EXPECT_EQ("shop", url.database);
    EXPECT_EQ((Params{{"sslmode", "require"}, {"application_name", "m"}}), url.params);
}

TEST(DatabaseUrlTest, PostgresqlSchemeSpellings) {
    for (const char* scheme :
         {"postgres", "postgresql+psycopg2", "postgresql+asyncpg", "POSTGRESQL"}) {
        const DatabaseUrl url = parse(fmt::format("{}://u@h/db", scheme));
        EXPECT_EQ(Dialect::postgresql, url.dialect) << scheme;
        EXPECT_EQ("u", url.user) << scheme;
        EXPECT_EQ("h", url.host) << scheme;
        EXPECT_EQ("db", url.database) << scheme;
        EXPECT_FALSE(url.port) << scheme;
    }
}

TEST(DatabaseUrlTest, PostgresqlMinimalAndUnixSocket) {
    const DatabaseUrl minimal = parse("postgresql:///app");
    EXPECT_EQ("", minimal.host);
    EXPECT_EQ("", minimal.user);
    EXPECT_EQ("app", minimal.database);
    const DatabaseUrl socket = parse("postgresql://me@/app?host=/var/run/postgresql");
    EXPECT_EQ("", socket.host);
    EXPECT_EQ((Params{{"host", "/var/run/postgresql"}}), socket.params);
    EXPECT_EQ("dbname=app user=me host=/var/run/postgresql", socket.libpq_conninfo());
    EXPECT_EQ("/var/run/postgresql", parse("postgresql://me@%2Fvar%2Frun%2Fpostgresql/app").host);
    EXPECT_EQ("::1", parse("postgresql://me@[::1]:5432/app").host);
}

TEST(DatabaseUrlTest, PercentDecoding) {
    const DatabaseUrl url =
        parse("postgresql://us%40er:p%40ss%3Aw%2Fd@h/my%20db?options=-c%20search_path%3Dx&bad=%zz");
    EXPECT_EQ("us@er", url.user);
    EXPECT_EQ("p@ss:w/d", url.password);
    EXPECT_EQ("my db", url.database);
    EXPECT_EQ((Params{{"options", "-c search_path=x"}, {"bad", "%zz"}}), url.params);
}

// As SQLAlchemy reads it: the password runs to the first '@', so an unencoded '/' stays in it.
TEST(DatabaseUrlTest, UnencodedCharactersInThePassword) {
    const DatabaseUrl url = parse("postgresql://u:pa/ss:w?rd@h:5432/db");
    EXPECT_EQ("pa/ss:w?rd", url.password);
    EXPECT_EQ("h", url.host);
    EXPECT_EQ("postgresql://u:***@h:5432/db", url.masked());
}

// libpq would take the password's tail for a host name and print it: refused before anything
// connects, the whole secret masked.
TEST(DatabaseUrlTest, UnencodedAtInThePasswordIsRefused) {
    const std::string message = error_of("postgresql://app:SECRET@TAIL123@127.0.0.1:5432/db");
    EXPECT_EQ(
        "The database URL 'postgresql://app:***@127.0.0.1:5432/db' has an '@' in its password (or "
        "user name): percent-encode it as %40",
        message);
    EXPECT_EQ(std::string::npos, message.find("SECRET"));
    EXPECT_EQ(std::string::npos, message.find("TAIL123"));
    EXPECT_EQ("SECRET@TAIL123", parse("postgresql://app:SECRET%40TAIL123@127.0.0.1/db").password);
}

// fastappkit's own parameter: validated here, never passed to libpq.
TEST(DatabaseUrlTest, LockParameter) {
    const DatabaseUrl url = parse("postgresql://app@db/shop?fastappkit_lock=table&sslmode=require");
    EXPECT_EQ((Params{{"fastappkit_lock", "table"}, {"sslmode", "require"}}), url.params);
    EXPECT_EQ("host=db dbname=shop user=app sslmode=require", url.libpq_conninfo());
    EXPECT_EQ(
        "Invalid value 'session' of URL parameter fastappkit_lock in "
        "'postgresql://app:***@db/shop?fastappkit_lock=session': expected auto, advisory or table",
        error_of("postgresql://app:pw@db/shop?fastappkit_lock=session"));
}

// The mask keeps the ': ' that follows a URL in a message.
TEST(DatabaseUrlTest, MaskKeepsTheSeparatorAfterAPasswordParameter) {
    EXPECT_EQ("Cannot connect to postgresql://u@h/x?password=***: refused",
              mask_passwords("Cannot connect to postgresql://u@h/x?password=s3cr:et: refused"));
    EXPECT_EQ("postgresql://u@h/x?password=***", mask_passwords("postgresql://u@h/x?password=ab:"));
}

// A fleet target's schema (docs/fleet.md): fastappkit's, not libpq's; SQLite has none.
TEST(DatabaseUrlTest, SchemaParameter) {
    const DatabaseUrl url = parse("postgresql://app@db/shop?schema=tenant_42&sslmode=require");
    EXPECT_EQ((Params{{"schema", "tenant_42"}, {"sslmode", "require"}}), url.params);
    EXPECT_EQ("host=db dbname=shop user=app sslmode=require", url.libpq_conninfo());
    EXPECT_EQ(
        "Invalid schema '' in 'postgresql://app:***@db/shop?schema=': a schema name has 1 to "
        "63 characters",
        error_of("postgresql://app:pw@db/shop?schema="));
    EXPECT_NE(
        std::string::npos,
        error_of("sqlite:///t.db?schema=tenant_1").find("Unknown SQLite URL option 'schema'"));
}

TEST(DatabaseUrlTest, InvalidPort) {
    EXPECT_EQ("Invalid port 'abc' in database URL 'postgresql://u:***@h:abc/db'",
              error_of("postgresql://u:pw@h:abc/db"));
    EXPECT_EQ("Invalid port '70000' in database URL 'postgresql://h:70000/db'",
              error_of("postgresql://h:70000/db"));
    EXPECT_EQ("Invalid port '0' in database URL 'postgresql://h:0/db'",
              error_of("postgresql://h:0/db"));
}

TEST(DatabaseUrlTest, UnsupportedSchemes) {
    EXPECT_EQ(
        "Unsupported database URL 'mysql://root:***@localhost/app': supported schemes are "
        "sqlite:// and "
        "postgresql:// (also postgres://, with an optional +driver suffix)",
        error_of("mysql://root:hunter2@localhost/app"));
    EXPECT_EQ(
        "Unsupported database URL 'app.db': supported schemes are sqlite:// and postgresql:// "
        "(also "
        "postgres://, with an optional +driver suffix)",
        error_of("app.db"));
    EXPECT_EQ(
        "Unsupported database URL '': supported schemes are sqlite:// and postgresql:// (also "
        "postgres://, with "
        "an optional +driver suffix)",
        error_of(""));
}

TEST(DatabaseUrlTest, Masked) {
    EXPECT_EQ("postgresql://user:***@host:5432/db?sslmode=require",
              parse("postgresql://user:secret@host:5432/db?sslmode=require").masked());
    EXPECT_EQ("postgres+asyncpg://user:***@host/db",
              parse("postgres+asyncpg://user:secret@host/db").masked());
    EXPECT_EQ(
        "postgresql://user@host/db?sslmode=require&password=***&PASSWORD=***",
        parse("postgresql://user@host/db?sslmode=require&password=secret&PASSWORD=x").masked());
    EXPECT_EQ("postgresql://user@host/db", parse("postgresql://user@host/db").masked());
    EXPECT_EQ("postgresql://user:@host/db", parse("postgresql://user:@host/db").masked());
    EXPECT_EQ("sqlite:///app.db", parse("sqlite:///app.db").masked());
}

TEST(DatabaseUrlTest, LibpqConninfo) {
    EXPECT_EQ("host=db port=5432 dbname=shop user=app password=s3cret sslmode=require",
              parse("postgresql://app:s3cret@db:5432/shop?sslmode=require").libpq_conninfo());
    EXPECT_EQ("host=db dbname='my db' user=app password='it\\'s \\\\ secret'",
              parse("postgresql://app:it's%20%5C%20secret@db/my%20db").libpq_conninfo());
    EXPECT_EQ("host=db port=6000 dbname=x",
              parse("postgresql://db:5432/x?port=6000").libpq_conninfo());
    EXPECT_EQ("host=db application_name=''",
              parse("postgresql://db?application_name=").libpq_conninfo());
}

TEST(DatabaseUrlTest, MaskPasswordsInFreeText) {
    EXPECT_EQ("could not connect to postgresql://app:***@db:5432/shop: refused",
              mask_passwords("could not connect to postgresql://app:s3cret@db:5432/shop: refused"));
    EXPECT_EQ("conninfo host=db password=*** user=app",
              mask_passwords("conninfo host=db password=s3cret user=app"));
    EXPECT_EQ("host=db password=*** user=app",
              mask_passwords("host=db password='it\\'s secret' user=app"));
    EXPECT_EQ("url ?password=***&sslmode=require",
              mask_passwords("url ?password=s3cret&sslmode=require"));
    EXPECT_EQ("PASSWORD = ***", mask_passwords("PASSWORD = hunter2"));
    EXPECT_EQ("postgresql://app@db/shop and http://example.com:8080/x",
              mask_passwords("postgresql://app@db/shop and http://example.com:8080/x"));
    EXPECT_EQ("already masked postgresql://app:***@db",
              mask_passwords("already masked postgresql://app:***@db"));
}

// Anything shaped like user:password@, well-formed URL or not, loses its password.
TEST(DatabaseUrlTest, MaskPasswordsInMalformedUrls) {
    EXPECT_EQ("postgresql:/u:***@h/db", mask_passwords("postgresql:/u:pw@h/db"));
    EXPECT_EQ("postgresql//u:***@h/db", mask_passwords("postgresql//u:pw@h/db"));
    EXPECT_EQ("postgresql ://u:***@h/db", mask_passwords("postgresql ://u:pw@h/db"));
    EXPECT_EQ("u:***@h/db", mask_passwords("u:pw@h/db"));
    EXPECT_EQ("invalid key 'postgresql://u:***@h/db?password' here",
              mask_passwords("invalid key 'postgresql://u:pw@h/db?password' here"));
    EXPECT_EQ("\"postgresql://u:***@h/db\"", mask_passwords("\"postgresql://u:p@ss@h/db\""));
    EXPECT_EQ("user@host and u:@h", mask_passwords("user@host and u:@h"));
    for (const char* url : {"postgresql:/u:pw@h/db", "postgresql//u:pw@h/db", "u:pw@h/db",
                            "postgresql ://u:pw@h/db"}) {
        const std::string message = error_of(url);
        EXPECT_EQ(std::string::npos, message.find("pw")) << message;
    }
}

// A URL is read in one pass: a long one is an ordinary error, not a stack overflow.
TEST(DatabaseUrlTest, LongUrls) {
    const std::string long_path(30000, 'a');
    EXPECT_EQ(fs::path("/srv/project/" + long_path), parse("sqlite:///" + long_path).sqlite_path);
    EXPECT_EQ(long_path, parse("postgresql://u:" + long_path + "@h/db").password);
    const std::string masked =
        mask_passwords("x postgresql://u:" + long_path + "@h/db password=" + long_path);
    EXPECT_EQ("x postgresql://u:***@h/db password=***", masked);
    EXPECT_NE(std::string::npos, error_of("mysql://" + long_path).find("Unsupported database URL"));
}

TEST(DatabaseUrlTest, UserRunsToTheLastAtWithoutPassword) {
    const DatabaseUrl url = parse("postgresql://a@b@host/db");
    EXPECT_EQ("a@b", url.user);
    EXPECT_EQ("host", url.host);
    EXPECT_EQ("db", url.database);
}

TEST(DatabaseUrlTest, SqliteOptions) {
    EXPECT_EQ((Params{{"mode", "ro"}, {"cache", "shared"}, {"uri", "true"}}),
              parse("sqlite:///app.db?mode=ro&cache=shared&uri=true").params);
    EXPECT_EQ(
        "Unknown SQLite URL option 'journal' in 'sqlite:///app.db?journal=wal': supported are "
        "SQLite's mode, "
        "cache, immutable, nolock, psow and vfs, and the driver's uri, check_same_thread, timeout, "
        "isolation_level, detect_types and cached_statements",
        error_of("sqlite:///app.db?journal=wal"));
    EXPECT_EQ(
        "Invalid value 'readonly' of SQLite URL option 'mode' in 'sqlite:///app.db?mode=readonly': "
        "expected ro, rw, rwc, memory",
        error_of("sqlite:///app.db?mode=readonly"));
}

TEST(DatabaseUrlTest, Dialects) {
    EXPECT_EQ(Dialect::sqlite, parse_dialect("sqlite"));
    EXPECT_EQ(Dialect::postgresql, parse_dialect("postgresql"));
    EXPECT_EQ(Dialect::postgresql, parse_dialect("postgres"));
    EXPECT_STREQ("sqlite", to_string(Dialect::sqlite));
    EXPECT_STREQ("postgresql", to_string(Dialect::postgresql));
    EXPECT_EQ("Unknown dialect 'mysql' (expected sqlite or postgresql)",
              test_support::message_of(ExitCode::usage, [] { parse_dialect("mysql"); }));
}

}  // namespace
}  // namespace fastappkit
