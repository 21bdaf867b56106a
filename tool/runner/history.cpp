#include "runner/history.h"

#include <fmt/format.h>

#include "common/error.h"
#include "script/header_index.h"
#include "script/script_directory.h"

namespace fastappkit {

History::History(std::string name, std::string version_table, std::filesystem::path versions_dir)
    : name_(std::move(name)),
      version_table_(std::move(version_table)),
      versions_dir_(std::move(versions_dir)) {}

History::History(std::string name, std::string version_table, std::vector<MigrationScript> scripts)
    : name_(std::move(name)), version_table_(std::move(version_table)), in_memory_(true) {
    graph_ = std::make_unique<RevisionGraph>(name_, std::move(scripts));
    summary_ = summarize(*graph_);  // now, so that threads sharing this history only read it
    summary_looked_up_ = true;
}

const HistorySummary* History::summary() {
    if (!summary_looked_up_) {
        summary_looked_up_ = true;
        if (graph_) {
            summary_ = summarize(*graph_);
        } else if (auto index_dir = header_index_dir()) {
            summary_ = read_indexed_summary(versions_dir_, *index_dir);
        }
    }
    return summary_ ? &*summary_ : nullptr;
}

const RevisionGraph& History::graph() {
    if (!graph_)
        graph_ = std::make_unique<RevisionGraph>(name_, read_script_headers(versions_dir_));
    return *graph_;
}

const MigrationScript& History::body(RevisionGraph::Node node) {
    graph();
    MigrationScript& script = graph_->script(node);
    if (script.body_loaded) return script;
    MigrationScript full = read_migration_file(script.file, false);
    if (full.revision != script.revision) {
        throw usage_error(
            fmt::format("{}: the file changed while it was being read (revision {} is now {})",
                        script.file, script.revision, full.revision));
    }
    script.sections = std::move(full.sections);
    script.body_loaded = true;
    for (const auto& section : script.sections) loaded_body_bytes_ += section.sql.size();
    return script;
}

void History::release_body(RevisionGraph::Node node) {
    if (in_memory_) return;
    MigrationScript& script = graph_->script(node);
    for (const auto& section : script.sections) loaded_body_bytes_ -= section.sql.size();
    std::vector<Section>().swap(script.sections);
    script.body_loaded = false;
}

}  // namespace fastappkit
