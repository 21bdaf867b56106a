#include "autogen/revision_file.h"

#include <cctype>
#include <fstream>
#include <random>

#include <fmt/format.h>

#include "common/error.h"

namespace fastappkit {

namespace {

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
}

// A header value is one line.
std::string one_line(const std::string& text) {
    std::string out = text;
    for (char& c : out) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    return out;
}

std::string section(const char* direction, const SectionSql& sql) {
    std::string marker = std::string("-- migrate:") + direction;
    if (!sql.options.empty()) marker += " " + sql.options;
    return marker + "\n" + sql.text();
}

}  // namespace

std::string new_revision_id() {
    std::random_device device;
    std::mt19937_64 engine((static_cast<uint64_t>(device()) << 32) ^ device());
    return fmt::format("{:012x}", engine() & 0xffffffffffffULL);
}

std::string revision_slug(const std::string& message) {
    std::string out;
    for (char c : message) {
        if (std::isalnum(static_cast<unsigned char>(c))) {
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        } else if (!out.empty() && out.back() != '_') {
            out += '_';
        }
        if (out.size() >= 40) break;
    }
    while (!out.empty() && out.back() == '_') out.pop_back();
    return out.empty() ? "revision" : out;
}

std::string render_revision_file(const RevisionFile& file) {
    std::string header;
    for (const auto& line : file.sql.header) header += "-- " + one_line(line) + "\n";
    return fmt::format(
        "-- revision: {}\n-- down_revision: {}\n-- branch_labels:{}\n-- depends_on:{}\n"
        "-- message: {}\n-- create_date: {}\n{}\n{}\n{}",
        file.revision, file.down_revisions.empty() ? "none" : join(file.down_revisions),
        file.branch_labels.empty() ? "" : " " + join(file.branch_labels),
        file.depends_on.empty() ? "" : " " + join(file.depends_on), one_line(file.message),
        file.create_date, header, section("upgrade", file.sql.upgrade),
        section("downgrade", file.sql.downgrade));
}

std::filesystem::path write_revision_file(const std::filesystem::path& versions_dir,
                                          const RevisionFile& file) {
    std::filesystem::create_directories(versions_dir);
    const auto path =
        versions_dir / fmt::format("{}_{}.sql", file.revision, revision_slug(file.message));
    std::ofstream out(path, std::ios::binary);
    out << render_revision_file(file);
    out.close();
    if (!out) throw failure(fmt::format("Cannot write {}", path.string()));
    return path;
}

}  // namespace fastappkit
