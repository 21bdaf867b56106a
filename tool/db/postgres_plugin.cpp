#include "db/postgres_plugin.h"

#include <dlfcn.h>

#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"

#ifndef FASTAPPKIT_PLUGIN_RELATIVE_DIR
#define FASTAPPKIT_PLUGIN_RELATIVE_DIR "../lib/fastappkit"
#endif

namespace fastappkit {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPluginFile = "fastappkit_postgresql.so";

// Beside the runner (build tree), then the installed plugin directory.
std::vector<fs::path> plugin_candidates() {
    std::error_code ec;
    fs::path exe_dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
    return {exe_dir / kPluginFile, (exe_dir / FASTAPPKIT_PLUGIN_RELATIVE_DIR / kPluginFile).lexically_normal()};
}

// The plugin stays loaded for the life of the process.
void* plugin() {
    static void* handle = [] {
        std::string errors;
        for (const auto& candidate : plugin_candidates()) {
            if (!fs::exists(candidate)) continue;
            if (void* h = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL)) return h;
            errors += std::string("; ") + dlerror();
        }
        const auto candidates = plugin_candidates();
        throw failure(fmt::format(
            "PostgreSQL support is not available: cannot load {} (looked in {} and {}{})", kPluginFile,
            candidates[0].parent_path().string(), candidates[1].parent_path().string(), errors));
        return static_cast<void*>(nullptr);
    }();
    return handle;
}

template <typename Function>
Function* symbol(const char* name) {
    void* address = dlsym(plugin(), name);
    if (!address) throw failure(fmt::format("The PostgreSQL plugin {} lacks {}", kPluginFile, name));
    return reinterpret_cast<Function*>(address);
}

}  // namespace

std::unique_ptr<Database> load_and_open_postgres(const DatabaseUrl& url, const OpenOptions& options) {
    using Open = Database*(const DatabaseUrl&, const OpenOptions&);
    return std::unique_ptr<Database>(symbol<Open>("fastappkit_postgresql_open")(url, options));
}

void load_and_reset_postgres(const DatabaseUrl& url, bool create) {
    using Reset = void(const DatabaseUrl&, bool);
    symbol<Reset>("fastappkit_postgresql_reset")(url, create);
}

void load_and_clone_postgres(const DatabaseUrl& from, const DatabaseUrl& to) {
    using Clone = void(const DatabaseUrl&, const DatabaseUrl&);
    symbol<Clone>("fastappkit_postgresql_clone")(from, to);
}

}  // namespace fastappkit
