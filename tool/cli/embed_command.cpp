// fastappkit embed --output FILE: the project's histories as a C++ source for a program that
// migrates its own database (fastappkit_embed_migrations in CMake, fastappkit/embedded.h).
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/error.h"
#include "embedded/catalog_source.h"

namespace fastappkit {

namespace {

namespace fs = std::filesystem;

// Every script of `history` with its body, file names relative to the project root. Reading
// the whole files checks them, so a malformed migration fails here with path:line: message.
EmbeddedHistory embedded_history(History& history, const fs::path& root) {
    EmbeddedHistory out{history.name(), history.version_table(), {}, history.settings()};
    const auto& graph = history.graph();
    for (RevisionGraph::Node n = 0; n < static_cast<RevisionGraph::Node>(graph.size()); ++n) {
        MigrationScript script = history.body(n);
        script.file = fs::path(script.file).lexically_relative(root).generic_string();
        out.scripts.push_back(std::move(script));
    }
    // Then the checkpoints a fresh database may run instead of a replay (History::body).
    for (size_t i = 0; i < graph.checkpoints().size(); ++i) {
        if (graph.checkpoints()[i].stands_in) continue;  // a node, listed above
        Step step(graph.checkpoints()[i].node, Direction::upgrade);
        step.checkpoint = static_cast<int>(i);
        MigrationScript script = history.body(step);
        script.file = fs::path(script.file).lexically_relative(root).generic_string();
        out.scripts.push_back(std::move(script));
    }
    return out;
}

std::string read_file_or_empty(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    return in ? content.str() : std::string();
}

}  // namespace

int embed_migrations(Session& session, const std::string& output, const CatalogSymbol& symbol) {
    check_catalog_symbol(symbol);  // before any file is read
    std::vector<EmbeddedHistory> histories;
    for (History* history : session.all_histories()) {
        histories.push_back(embedded_history(*history, session.root()));
    }
    const std::string source = render_catalog_source(histories, symbol);
    const fs::path file = fs::absolute(output);
    // Unchanged output keeps its timestamp, so the program is not rebuilt for nothing.
    if (read_file_or_empty(file) == source) return 0;
    std::error_code error;
    if (file.has_parent_path()) fs::create_directories(file.parent_path(), error);
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << source;
    out.close();
    if (!out) throw failure(fmt::format("Cannot write {}", file.string()));
    return 0;
}

}  // namespace fastappkit
