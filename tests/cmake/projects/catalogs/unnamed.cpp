// A library embedding an unnamed catalog (no CATALOG): fine alone, a link error beside another.
#include <fastappkit/embedded.h>

#include <string>

#define FASTAPPKIT_JOIN2(a, b) a##b
#define FASTAPPKIT_JOIN(a, b) FASTAPPKIT_JOIN2(a, b)

std::size_t FASTAPPKIT_JOIN(migrate_, STORE)(const std::string& url) {
    return fastappkit::migrate_all(url).size();
}
