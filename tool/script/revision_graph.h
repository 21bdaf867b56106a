// One migration history as a DAG of revisions, with Alembic's semantics (its
// script/revision.py is the reference): versioned down revisions, depends_on, branch labels,
// heads, bases, and resolution of revision arguments (head, heads, base, prefixes, labels).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "script/migration_file.h"

namespace fastappkit {

class RevisionGraph {
public:
    using Node = int;
    using Nodes = std::vector<Node>;

    // Validates the history: duplicate ids, dangling references, unknown dependencies or
    // labels, cycles. Throws usage_error naming the file; `history` ("core" or an app name)
    // prefixes every message.
    RevisionGraph(std::string history, std::vector<MigrationScript> scripts);

    const std::string& history() const { return history_; }
    size_t size() const { return scripts_.size(); }
    bool empty() const { return scripts_.empty(); }
    const MigrationScript& script(Node n) const { return scripts_[n]; }
    MigrationScript& script(Node n) { return scripts_[n]; }
    const std::string& id(Node n) const { return scripts_[n].revision; }
    Node find(const std::string& revision) const;  // exact id, or -1

    const Nodes& down(Node n) const { return down_[n]; }  // versioned down revisions
    const Nodes& normalized_down(Node n) const {
        return or_default(normalized_down_, n, down_[n]);
    }  // + needed deps
    const Nodes& all_down(Node n) const {
        return or_default(all_down_, n, down_[n]);
    }                                                             // + every dependency
    const Nodes& children(Node n) const { return children_[n]; }  // versioned next revisions
    const Nodes& all_children(Node n) const {
        return or_default(all_children_, n, children_[n]);
    }  // + dependents

    Nodes heads() const;       // no versioned child (Alembic `heads`)
    Nodes real_heads() const;  // no child at all, dependents included (what `heads` resolves to)
    Nodes bases() const;       // down_revision none

    // The nodes themselves and everything below / above them.
    std::vector<char> ancestors(const Nodes& from, bool include_dependencies = true) const;
    std::vector<char> descendants(const Nodes& from, bool include_dependencies = true) const;

    bool has_label(Node n, const std::string& label) const;
    // Declared and propagated labels (Alembic's Revision.branch_labels), sorted.
    const std::vector<std::string>& labels(Node n) const;
    Node label_revision(const std::string& label) const;  // the revision declaring it, or -1
    Nodes filter_for_lineage(const Nodes& targets, const std::string& label) const;

    // Alembic's get_revisions: "heads", "head", "base", "<label>@head", "<label>@heads",
    // a label, a revision id or a unique prefix (comma lists are not accepted here).
    // Throws usage_error with Alembic's wording ("Can't locate revision identified by …").
    Nodes resolve(const std::string& spec) const;
    Node resolve_one(const std::string& spec) const;  // exactly one revision, else error
    // The single head of the history (optionally within a label's lineage); -1 when empty;
    // several → the "Multiple head revisions are present …" error.
    Node current_head(const std::string& label = "") const;

    std::string describe(Node n) const;  // "<id> (<file>)" for messages

    // A checkpoint file of the history (docs/checkpoints.md). While the file of the revision it
    // checkpoints is there, it is no node: a fresh database may run it in place of base→REV
    // (`node` is REV). Once that file is deleted it stands in for the range: it is then the
    // node `node` itself, a base, and the files of the revisions it replaces are set aside.
    struct Checkpoint {
        MigrationScript script;  // its header; its body once read
        Node node = -1;
        bool stands_in = false;
    };
    const std::vector<Checkpoint>& checkpoints() const { return checkpoints_; }
    Checkpoint& checkpoint(size_t i) { return checkpoints_[i]; }
    // Where a history held in memory keeps the body of checkpoint i: the checkpoints that are
    // no node follow the nodes (History's BodyLoader, `fastappkit embed`, fleets).
    Node body_index(size_t i) const;
    // The script at such an index: a node's, or a checkpoint's past the nodes.
    const MigrationScript& script_at(Node index) const;
    // The checkpoint standing in for `revision`, one of the revisions it replaced (its file
    // deleted or set aside); nullptr otherwise.
    const MigrationScript* replaced_by(const std::string& revision) const;

private:
    void separate_checkpoints();
    void index_scripts();
    void link_down_revisions();
    void resolve_dependencies();
    void normalize_dependencies();
    void detect_cycles() const;
    void propagate_labels();
    Node resolve_ident(const std::string& ident, const std::string& label) const;
    [[noreturn]] void fail(const std::string& message) const;
    static const Nodes& or_default(const std::unordered_map<Node, Nodes>& sparse, Node n,
                                   const Nodes& fallback) {
        auto it = sparse.find(n);
        return it == sparse.end() ? fallback : it->second;
    }

    std::string history_;
    std::vector<MigrationScript> scripts_;
    std::unordered_map<std::string, Node> by_id_;
    std::unordered_map<std::string, Node> by_label_;
    std::vector<Nodes> down_, children_;
    // Dependencies are rare: only revisions that have (or are) one get an entry here, so a
    // long linear history costs two small vectors per revision.
    std::unordered_map<Node, Nodes> deps_, normalized_down_, all_down_, all_children_;
    std::unordered_map<Node, std::vector<std::string>> labels_;  // declared and propagated labels
    std::vector<Checkpoint> checkpoints_;
    std::unordered_map<std::string, size_t> replaced_;  // revision -> standing-in checkpoint
};

// "a, b, c" for messages.
std::string join_ids(const RevisionGraph& graph, const RevisionGraph::Nodes& nodes);

// What telling a no-op needs of a history, small enough to keep in the header index: with it, a
// run whose version rows are exactly the head(s) plans nothing, without the graph.
struct HistorySummary {
    std::string head;                // the one versioned head; empty when several or none
    std::vector<std::string> heads;  // what `heads` resolves to, sorted
    std::string revisions;           // every revision id, each followed by '\n'
    bool empty() const { return revisions.empty(); }
    bool contains(std::string_view revision) const;
};
HistorySummary summarize(const RevisionGraph& graph);

}  // namespace fastappkit
