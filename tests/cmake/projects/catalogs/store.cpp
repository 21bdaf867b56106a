// A library that migrates its own database with the catalog it embeds (CATALOG), whatever
// else the program links. STORE and CATALOG come from CMakeLists.txt.
#include <fastappkit/migrator.h>

#include <string>

#define FASTAPPKIT_STR2(x) #x
#define FASTAPPKIT_STR(x) FASTAPPKIT_STR2(x)
#include FASTAPPKIT_STR(fastappkit_catalogs/CATALOG.h)

#define FASTAPPKIT_JOIN2(a, b) a##b
#define FASTAPPKIT_JOIN(a, b) FASTAPPKIT_JOIN2(a, b)

std::size_t FASTAPPKIT_JOIN(migrate_, STORE)(const std::string& url) {
    fastappkit::MigratorOptions options;
    options.catalog = &CATALOG();
    return fastappkit::Migrator::open(url, options).upgrade().size();
}
