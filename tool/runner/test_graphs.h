// In-memory histories for the graph, plan and head-maintainer tests.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/error.h"

#include "script/migration_file.h"
#include "script/revision_graph.h"

namespace fastappkit::testing {

struct Rev {
    std::string id;
    std::vector<std::string> down;
    std::vector<std::string> labels = {};
    std::vector<std::string> depends_on = {};
};

inline RevisionGraph graph_of(const std::vector<Rev>& revs) {
    std::vector<MigrationScript> scripts;
    for (const auto& r : revs) {
        MigrationScript s;
        s.file = r.id + ".sql";
        s.revision = r.id;
        s.down_revisions = r.down;
        s.branch_labels = r.labels;
        s.depends_on = r.depends_on;
        s.message = "rev " + r.id;
        scripts.push_back(s);
    }
    return RevisionGraph("core", scripts);
}

inline std::vector<std::string> ids(const RevisionGraph& g, const RevisionGraph::Nodes& nodes) {
    std::vector<std::string> out;
    for (auto n : nodes) out.push_back(g.id(n));
    return out;
}

// The message of the fastappkit::Error `fn` throws, or "no error".
inline std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace fastappkit::testing
