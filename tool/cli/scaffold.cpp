// core new / app new: copy a directory of templates/, replacing {{name}}-style placeholders
// in file contents and __name__ in paths.
#include <cctype>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/clock.h"
#include "common/error.h"

#ifndef FASTAPPKIT_TEMPLATES_DIR
#define FASTAPPKIT_TEMPLATES_DIR ""
#endif

namespace fastappkit {

namespace fs = std::filesystem;

namespace {

// Installed: <prefix>/share/fastappkit/templates beside <prefix>/bin; else the source tree.
fs::path templates_dir() {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        fs::path installed = exe.parent_path().parent_path() / "share" / "fastappkit" / "templates";
        if (fs::is_directory(installed)) return installed;
    }
    fs::path source = FASTAPPKIT_TEMPLATES_DIR;
    if (!source.empty() && fs::is_directory(source)) return source;
    throw failure("Cannot find the fastappkit templates directory (share/fastappkit/templates)");
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

std::string substitute(std::string text, const std::string& name) {
    text = replace_all(std::move(text), "{{name}}", name);
    return replace_all(std::move(text), "{{create_date}}", utc_timestamp().substr(0, 19) + "Z");
}

void copy_template(const fs::path& from, const fs::path& to, const std::string& name) {
    if (fs::exists(to))
        throw usage_error(fmt::format("{} already exists; choose another name", to.string()));
    for (const auto& entry : fs::recursive_directory_iterator(from)) {
        fs::path target =
            to / replace_all(entry.path().lexically_relative(from).string(), "__name__", name);
        if (entry.is_directory()) {
            fs::create_directories(target);
            continue;
        }
        fs::create_directories(target.parent_path());
        std::ifstream in(entry.path(), std::ios::binary);
        std::stringstream content;
        content << in.rdbuf();
        std::ofstream out(target, std::ios::binary);
        out << substitute(content.str(), name);
        if (!out) throw failure(fmt::format("Cannot write {}", target.string()));
    }
}

// "My-Shop" -> "my_shop": the valid name closest to what was asked for.
std::string valid_name_like(const std::string& name) {
    std::string out;
    for (char c : name) {
        const auto u = static_cast<unsigned char>(c);
        out += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '_';
    }
    if (!out.empty() && std::isdigit(static_cast<unsigned char>(out.front()))) out.insert(0, "_");
    return out.substr(0, 40);
}

void require_valid_name(const std::string& name) {
    if (!is_valid_app_name(name)) {
        const std::string suggestion = valid_name_like(name);
        throw usage_error(fmt::format(
            "'{}' is not a valid name: use lowercase letters, digits and underscores, starting "
            "with a letter or underscore, at most 40 characters{}",
            name,
            is_valid_app_name(suggestion) ? fmt::format(" (for example '{}')", suggestion) : ""));
    }
}

}  // namespace

int core_new(Session& session, const std::string& name) {
    require_valid_name(name);
    fs::path target = session.root() / name;
    copy_template(templates_dir() / "project", target, name);
    session.reporter().line(
        fmt::format("Created project {} (cd {} && cmake -S . -B build -G Ninja && "
                    "cmake --build build --target migrate_all)",
                    target.string(), name));
    return 0;
}

int app_new(Session& session, const std::string& name, bool as_package) {
    require_valid_name(name);
    if (as_package) {
        fs::path target = session.root() / name;
        copy_template(templates_dir() / "external_app", target, name);
        session.reporter().line(fmt::format(
            "Created external app {}; add \"{}\" to apps in the project's fastappkit.toml and its "
            "parent directory to app_path",
            target.string(), name));
        return 0;
    }
    fs::path target = session.root() / "apps" / name;
    copy_template(templates_dir() / "internal_app", target, name);
    session.reporter().line(
        fmt::format("Created internal app {}; add \"apps.{}\" to apps in fastappkit.toml",
                    target.string(), name));
    return 0;
}

}  // namespace fastappkit
