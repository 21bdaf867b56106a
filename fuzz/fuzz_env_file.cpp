// .env files: any text parses or gives a usage error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.h"
#include "config/env_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        fastappkit::parse_env_text(std::string(reinterpret_cast<const char*>(data), size), ".env");
    } catch (const fastappkit::Error&) {
    }
    return 0;
}
