#include "autogen/model_loader.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/error.h"

namespace fastappkit {

namespace {

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw usage_error(fmt::format("{}: cannot read the models file ({})", file.string(),
                                      std::strerror(errno)));
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

void load_models(Database& db, const std::vector<std::filesystem::path>& files) {
    for (const auto& file : files) {
        try {
            db.execute(read_text(file));
        } catch (const StatementError& e) {
            throw usage_error(fmt::format("{}:{}: {} (statement: {})", file.string(), e.line,
                                          e.message, first_line(e.statement)));
        }
    }
}

}  // namespace fastappkit
