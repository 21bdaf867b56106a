// Migration files: any text parses (header only, and whole) or gives a usage error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "script/migration_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (const bool header_only : {true, false}) {
        try {
            fastappkit::parse_migration_text(text, "versions/aa1111111111_fuzz.sql", header_only);
        } catch (const fastappkit::Error&) {
        }
    }
    return 0;
}
