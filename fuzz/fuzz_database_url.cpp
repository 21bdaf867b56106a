// Database URLs: parsing, masking and the libpq connection string never crash, and a
// password never survives masking.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "config/database_url.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    fastappkit::mask_passwords(text);
    try {
        const fastappkit::DatabaseUrl url = fastappkit::parse_database_url(text, "/srv/project");
        const std::string masked = url.masked();
        url.libpq_conninfo();
        // A password written once (and not percent-encoded) is gone from the masked URL.
        const std::string& password = url.password;
        if (password.size() >= 4 && password.find_first_of("%*") == std::string::npos &&
            text.find(password) == text.rfind(password) &&
            masked.find(password) != std::string::npos) {
            std::abort();
        }
    } catch (const fastappkit::Error&) {
    }
    return 0;
}
