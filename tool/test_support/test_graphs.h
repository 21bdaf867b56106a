// In-memory histories for the graph, plan, head-maintainer and scripted migrator tests.
#pragma once

#include <string>
#include <vector>

#include "script/migration_file.h"
#include "script/revision_graph.h"

namespace fastappkit::test_support {

struct Rev {
    std::string id;
    std::vector<std::string> down;
    std::vector<std::string> labels = {};
    std::vector<std::string> depends_on = {};
    Timeouts timeouts = {};  // its `-- lock_timeout:` / `-- statement_timeout:` headers
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
        s.timeouts = r.timeouts;
        scripts.push_back(s);
    }
    return RevisionGraph("core", scripts);
}

inline std::vector<std::string> ids(const RevisionGraph& g, const RevisionGraph::Nodes& nodes) {
    std::vector<std::string> out;
    for (auto n : nodes) out.push_back(g.id(n));
    return out;
}

}  // namespace fastappkit::test_support
