// One migration history: the shared core one (core + internal apps, `alembic_version`) or an
// external app's (`alembic_version_<app>`). Reads revision headers on first use and a file's
// body only when that revision runs.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/project.h"
#include "script/revision_graph.h"

namespace fastappkit {

class History {
public:
    History(std::string name, std::string version_table, std::filesystem::path versions_dir);
    // A history held in memory, every script with its body (a program's embedded migrations):
    // no file is read and bodies are never released.
    History(std::string name, std::string version_table, std::vector<MigrationScript> scripts);

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
    // The whole file of `node`, read once (sections included).
    const MigrationScript& body(RevisionGraph::Node node);
    // Drops a body that has run, so memory stays flat however long the history is.
    void release_body(RevisionGraph::Node node);
    // Bytes of SQL held by loaded bodies.
    size_t loaded_body_bytes() const { return loaded_body_bytes_; }

private:
    std::string name_;
    std::string version_table_;
    std::filesystem::path versions_dir_;
    std::unique_ptr<RevisionGraph> graph_;
    std::optional<HistorySummary> summary_;
    bool summary_looked_up_ = false;
    size_t loaded_body_bytes_ = 0;
    bool in_memory_ = false;
    MigrationSettings settings_;
};

}  // namespace fastappkit
