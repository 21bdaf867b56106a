// The project loader on a scratch project: the input is fastappkit.toml, optionally followed
// by a line "#---" and the manifest of the external app "pay". Loads or gives a usage error.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/error.h"
#include "config/project.h"

namespace fs = std::filesystem;

namespace {

const fs::path& scratch() {
    static const fs::path root = [] {
        fs::path dir =
            fs::temp_directory_path() / ("fastappkit-fuzz-project-" + std::to_string(::getpid()));
        fs::create_directories(dir / "apps" / "blog");
        fs::create_directories(dir / "external" / "pay" / "pay" / "migrations" / "versions");
        return dir;
    }();
    return root;
}

void write(const fs::path& file, const std::string& text) {
    std::ofstream(file, std::ios::binary) << text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    const std::size_t split = input.find("\n#---\n");
    write(scratch() / "fastappkit.toml", input.substr(0, split));
    write(scratch() / "external" / "pay" / "pay" / "fastappkit.toml",
          split == std::string::npos ? std::string() : input.substr(split + 6));
    try {
        fastappkit::load_project(scratch(), {});
    } catch (const fastappkit::Error&) {
    }
    return 0;
}
