#include "embedded/catalog_source.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "test_support/test_support.h"

namespace fastappkit {
namespace {

// The bytes of the generated `text` array.
std::string text_bytes(const std::string& source) {
    const auto begin = source.find("const unsigned char text[] = {");
    const auto end = source.find("};", begin);
    std::string bytes;
    const std::string numbers = source.substr(begin + 30, end - begin - 30);
    const std::regex number("[0-9]+");
    for (std::sregex_iterator it(numbers.begin(), numbers.end(), number), last; it != last; ++it) {
        bytes += static_cast<char>(std::stoi(it->str()));
    }
    return bytes;
}

// {offset, size} of the sql span of the generated section `index`.
std::pair<size_t, size_t> section_sql_span(const std::string& source, size_t index) {
    const auto begin = source.find("const c::Section sections[] = {");
    const std::string rest = source.substr(begin, source.find("};", begin) - begin);
    const std::regex entry(R"(\{(\d+), (\d+), (\d+), \{(\d+), (\d+)\}, \{(\d+), (\d+)\}\})");
    std::sregex_iterator it(rest.begin(), rest.end(), entry);
    for (size_t i = 0; i < index; ++i) ++it;
    return {std::stoul((*it)[6].str()), std::stoul((*it)[7].str())};
}

MigrationScript script_with(const std::string& upgrade_sql) {
    MigrationScript script;
    script.file = "core/db/migrations/versions/a1_delimiters.sql";
    script.revision = "a1";
    script.message = "R\"fastappkit( )fastappkit\"";
    script.body_loaded = true;
    Section upgrade;
    upgrade.sql = upgrade_sql;
    upgrade.marker_line = 7;
    script.sections.push_back(upgrade);
    return script;
}

TEST(CatalogSource, SqlThatLooksLikeDelimitersRoundTripsByteForByte) {
    const std::string sql =
        std::string("INSERT INTO t VALUES (')\"');\r\n-- )fastappkit\" )x\" R\"x(\n") +
        "/* \\0 \\x41 */ '\xff\xfe" + std::string(1, '\0') + "' \t é\n";
    const std::string source =
        render_catalog_source({{"core", "alembic_version", {script_with(sql)}, {}}});
    const std::string bytes = text_bytes(source);
    const auto [offset, size] = section_sql_span(source, 0);
    ASSERT_LE(offset + size, bytes.size());
    EXPECT_EQ(sql, bytes.substr(offset, size));
    EXPECT_NE(std::string::npos, bytes.find("R\"fastappkit( )fastappkit\""));  // the message too
    // No string literal carries the text: nothing in it can end one.
    EXPECT_EQ(std::string::npos, source.find("R\""));
}

TEST(CatalogSource, EmptyProjectStillCompilesAsArrays) {
    const std::string source = render_catalog_source({});
    EXPECT_NE(
        std::string::npos,
        source.find("const c::History histories[] = {\n    {{0, 0}, {0, 0}, 0, 0, -1, -1, -1},"));
    EXPECT_NE(std::string::npos, source.find("text, names, sections, scripts, histories, 0}"));
}

TEST(CatalogSource, TimeoutsAndRetriesAreKeptUnsetOrInMilliseconds) {
    MigrationScript script = script_with("SELECT 1;");
    script.timeouts.statement_timeout = std::chrono::seconds(2);
    MigrationSettings settings;
    settings.timeouts.lock_timeout = std::chrono::milliseconds(500);
    settings.lock_retries = 5;
    const std::string source =
        render_catalog_source({{"core", "alembic_version", {script}, settings}});
    EXPECT_NE(std::string::npos, source.find(", 0, 1, -1, 2000, {"));     // the script
    EXPECT_NE(std::string::npos, source.find(", 0, 1, 500, -1, 5},\n"));  // the history
}

TEST(CatalogSource, UnnamedCatalogIsTheProgramsOneWithAnOptionalLinkAnchor) {
    const std::string plain = render_catalog_source({});
    EXPECT_NE(std::string::npos,
              plain.find("const fastappkit::catalog::Catalog fastappkit::catalog::embedded = {"));
    EXPECT_EQ(std::string::npos, plain.find("extern \"C\""));

    const std::string anchored = render_catalog_source({}, {"", "fastappkit_catalog_shop"});
    EXPECT_NE(std::string::npos,
              anchored.find("extern \"C\" {\nextern const int fastappkit_catalog_shop;\n"
                            "const int fastappkit_catalog_shop = 0;\n}\n"));
}

TEST(CatalogSource, NamedCatalogIsAFunctionAndNoUnnamedOne) {
    const std::string source = render_catalog_source({}, {"shop_migrations", ""});
    EXPECT_NE(std::string::npos,
              source.find("const fastappkit::catalog::Catalog& shop_migrations() {\n"
                          "    static const fastappkit::catalog::Catalog catalog = {"));
    EXPECT_EQ(std::string::npos, source.find("catalog::embedded"));
}

TEST(CatalogSource, ANameThatIsNoIdentifierIsBadInput) {
    EXPECT_EQ(
        "The catalog name 'shop-migrations' is not a C++ identifier (letters, digits and _, not "
        "starting with a digit)",
        test_support::message_of(ExitCode::usage,
                                 [] { render_catalog_source({}, {"shop-migrations", ""}); }));
}

}  // namespace
}  // namespace fastappkit
