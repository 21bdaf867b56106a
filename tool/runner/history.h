// One migration history: the shared core one (core + internal apps, `alembic_version`) or an
// external app's (`alembic_version_<app>`). Reads revision headers on first use and a file's
// body only when that revision runs.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/project.h"
#include "runner/plan.h"
#include "script/header_index.h"
#include "script/revision_graph.h"

namespace fastappkit {

class History {
public:
    History(std::string name, std::string version_table, std::filesystem::path versions_dir);
    // The sections of one revision, from wherever the history keeps them.
    using BodyLoader = std::function<std::vector<Section>(RevisionGraph::Node)>;
    // A history held in memory (a program's embedded migrations): no file is read. The graph
    // is built once and shared, read-only, by every History over it, so that several threads
    // can run at once; each History keeps the bodies it loaded through `load_body` apart.
    // A checkpoint's body is load_body(graph.body_index(i)).
    History(std::string name, std::string version_table, std::shared_ptr<const RevisionGraph> graph,
            BodyLoader load_body);

    const std::string& name() const { return name_; }
    const std::string& version_table() const { return version_table_; }
    const std::filesystem::path& versions_dir() const { return versions_dir_; }
    // Timeouts and lock retries of its migrations, before each file's own headers.
    const MigrationSettings& settings() const { return settings_; }
    void set_settings(const MigrationSettings& settings) { settings_ = settings; }

    const RevisionGraph& graph();
    // Enough to tell a no-op (script/revision_graph.h): from the graph once it is built (a
    // history in memory has it from the start), else from the header index without reading a
    // header; nullptr when neither can vouch for it.
    const HistorySummary* summary();
    // The files (names, modification times) a summary read from the header index vouches for;
    // nullptr when the summary came from elsewhere or there is none.
    const std::vector<ListedFile>* indexed_files() {
        return summary() && indexed_files_ ? &*indexed_files_ : nullptr;
    }
    // The whole file of `node`, read once (sections included).
    const MigrationScript& body(RevisionGraph::Node node);
    // The file a step runs: its revision's, or a checkpoint's (Step::checkpoint); header() does
    // not read the body.
    const MigrationScript& body(const Step& step);
    const MigrationScript& header(const Step& step);
    // Drops a body that has run, so memory stays flat however long the history is.
    void release_body(RevisionGraph::Node node);
    void release_body(const Step& step) {
        if (step.checkpoint < 0) release_body(step.node);
    }
    // Bytes of SQL held by loaded bodies.
    size_t loaded_body_bytes() const { return loaded_body_bytes_; }

private:
    const MigrationScript& in_memory_body(RevisionGraph::Node node);

    std::string name_;
    std::string version_table_;
    std::filesystem::path versions_dir_;
    std::unique_ptr<RevisionGraph> graph_;
    std::optional<HistorySummary> summary_;
    std::optional<std::vector<ListedFile>> indexed_files_;
    IndexReadPtr index_read_;  // what the summary read, for graph() to start from
    std::filesystem::path index_dir_;
    bool summary_looked_up_ = false;
    size_t loaded_body_bytes_ = 0;
    // In memory: the shared graph (headers only) and this History's loaded bodies.
    std::shared_ptr<const RevisionGraph> shared_graph_;
    BodyLoader load_body_;
    std::unordered_map<RevisionGraph::Node, MigrationScript> bodies_;
    std::unordered_map<int, MigrationScript> checkpoint_bodies_;
    MigrationSettings settings_;
};

}  // namespace fastappkit
