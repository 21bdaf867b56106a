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

History::History(std::string name, std::string version_table,
                 std::shared_ptr<const RevisionGraph> graph, BodyLoader load_body)
    : name_(std::move(name)),
      version_table_(std::move(version_table)),
      shared_graph_(std::move(graph)),
      load_body_(std::move(load_body)) {}

const HistorySummary* History::summary() {
    if (!summary_looked_up_) {
        summary_looked_up_ = true;
        if (shared_graph_ || graph_) {
            summary_ = summarize(graph());
        } else if (auto index_dir = header_index_dir()) {
            std::vector<ListedFile> files;
            summary_ = read_indexed_summary(versions_dir_, *index_dir, &files, &index_read_);
            if (summary_) indexed_files_ = std::move(files);
            index_dir_ = *index_dir;
        }
    }
    return summary_ ? &*summary_ : nullptr;
}

const RevisionGraph& History::graph() {
    if (shared_graph_) return *shared_graph_;
    if (!graph_ && index_read_) {
        graph_ = std::make_unique<RevisionGraph>(
            name_, read_indexed_headers(versions_dir_, index_dir_, std::chrono::seconds(2),
                                        std::move(index_read_)));
    }
    if (!graph_)
        graph_ = std::make_unique<RevisionGraph>(name_, read_script_headers(versions_dir_));
    return *graph_;
}

const MigrationScript& History::body(RevisionGraph::Node node) {
    if (shared_graph_) return in_memory_body(node);
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

const MigrationScript& History::header(const Step& step) {
    if (step.checkpoint < 0) return graph().script(step.node);
    return graph().checkpoints()[static_cast<size_t>(step.checkpoint)].script;
}

const MigrationScript& History::body(const Step& step) {
    if (step.checkpoint < 0) return body(step.node);
    const auto index = static_cast<size_t>(step.checkpoint);
    const MigrationScript& checkpoint_header = graph().checkpoints()[index].script;
    MigrationScript* script = nullptr;
    if (shared_graph_) {
        script = &checkpoint_bodies_.try_emplace(step.checkpoint, checkpoint_header).first->second;
    } else {
        script = &graph_->checkpoint(index).script;
    }
    if (script->body_loaded) return *script;
    if (shared_graph_) {
        script->sections = load_body_(graph().body_index(index));
    } else {
        MigrationScript full = read_migration_file(script->file, false);
        if (full.checkpoint != script->checkpoint) {
            throw usage_error(fmt::format(
                "{}: the file changed while it was being read (it is no longer the checkpoint "
                "of revision {})",
                script->file, script->checkpoint));
        }
        script->sections = std::move(full.sections);
    }
    script->body_loaded = true;
    return *script;
}

// The shared graph is never written: the body goes into this History's own copy of the
// header, which stays (without its sections) when the body is released, so that references
// to it remain valid as they do for a file's.
const MigrationScript& History::in_memory_body(RevisionGraph::Node node) {
    auto found = bodies_.find(node);
    if (found == bodies_.end()) found = bodies_.emplace(node, shared_graph_->script(node)).first;
    MigrationScript& script = found->second;
    if (script.body_loaded) return script;
    script.sections = load_body_(node);
    script.body_loaded = true;
    for (const auto& section : script.sections) loaded_body_bytes_ += section.sql.size();
    return script;
}

void History::release_body(RevisionGraph::Node node) {
    MigrationScript* loaded = nullptr;
    if (!shared_graph_) {
        loaded = &graph_->script(node);
    } else if (auto found = bodies_.find(node); found != bodies_.end()) {
        loaded = &found->second;
    }
    if (!loaded) return;
    for (const auto& section : loaded->sections) loaded_body_bytes_ -= section.sql.size();
    std::vector<Section>().swap(loaded->sections);
    loaded->body_loaded = false;
}

}  // namespace fastappkit
