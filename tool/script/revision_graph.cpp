#include "script/revision_graph.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"
#include "common/error_reason.h"

namespace fastappkit {

namespace {

void append_unique(RevisionGraph::Nodes& nodes, RevisionGraph::Node n) {
    if (std::find(nodes.begin(), nodes.end(), n) == nodes.end()) nodes.push_back(n);
}

// Walk from `from` along `edges(node)`; the start nodes are included.
template <typename Edges>
std::vector<char> reach(size_t size, Edges edges, const RevisionGraph::Nodes& from) {
    std::vector<char> seen(size, 0);
    std::vector<RevisionGraph::Node> todo;
    for (auto n : from) {
        if (!seen[n]) {
            seen[n] = 1;
            todo.push_back(n);
        }
    }
    while (!todo.empty()) {
        auto n = todo.back();
        todo.pop_back();
        for (auto next : edges(n)) {
            if (!seen[next]) {
                seen[next] = 1;
                todo.push_back(next);
            }
        }
    }
    return seen;
}

}  // namespace

RevisionGraph::RevisionGraph(std::string history, std::vector<MigrationScript> scripts)
    : history_(std::move(history)), scripts_(std::move(scripts)) {
    separate_checkpoints();
    index_scripts();
    for (auto& checkpoint : checkpoints_) {
        if (!checkpoint.stands_in) checkpoint.node = find(checkpoint.script.checkpoint);
    }
    link_down_revisions();
    resolve_dependencies();
    detect_cycles();
    normalize_dependencies();
    propagate_labels();
}

void RevisionGraph::fail(const std::string& message) const {
    throw usage_error(fmt::format("{}: {}", history_, message));
}

// Checkpoints leave the list of nodes; one whose revision has no file any more comes back as
// that revision's node, and the files of the other revisions it replaced are set aside (they
// were built into it).
// In place: at 2,000 files a copy of the headers and a map of their revisions were a tenth of
// the start of a fresh database through a checkpoint. The map is built only for a checkpoint
// whose own revision's file is gone (one that stands in for its range).
void RevisionGraph::separate_checkpoints() {
    if (std::none_of(scripts_.begin(), scripts_.end(),
                     [](const MigrationScript& s) { return !s.checkpoint.empty(); }))
        return;
    size_t kept = 0;  // the files that are not checkpoints, in their order
    for (size_t i = 0; i < scripts_.size(); ++i) {
        MigrationScript& script = scripts_[i];
        if (script.checkpoint.empty()) {
            if (kept != i) scripts_[kept] = std::move(script);
            ++kept;
            continue;
        }
        for (const auto& other : checkpoints_) {
            if (other.script.checkpoint == script.checkpoint) {
                fail(fmt::format("Revision {} has two checkpoints ({} and {}); delete one",
                                 script.checkpoint, other.script.file, script.file));
            }
        }
        checkpoints_.push_back({std::move(script), -1, false});
    }
    scripts_.erase(scripts_.begin() + static_cast<long>(kept), scripts_.end());
    std::unordered_map<std::string, size_t> files;  // revision -> index in scripts_
    std::vector<char> set_aside;
    for (size_t c = 0; c < checkpoints_.size(); ++c) {
        Checkpoint& checkpoint = checkpoints_[c];
        const std::string& revision = checkpoint.script.checkpoint;
        if (std::any_of(scripts_.begin(), scripts_.end(),
                        [&](const MigrationScript& s) { return s.revision == revision; }))
            continue;
        if (set_aside.empty()) {
            for (size_t i = 0; i < scripts_.size(); ++i) files.emplace(scripts_[i].revision, i);
            set_aside.assign(scripts_.size(), 0);
        }
        checkpoint.stands_in = true;
        for (const auto& replaced : checkpoint.script.replaces) {
            if (replaced == revision) continue;
            replaced_.emplace(replaced, c);
            if (auto it = files.find(replaced); it != files.end()) set_aside[it->second] = 1;
        }
    }
    if (!set_aside.empty()) {
        kept = 0;
        for (size_t i = 0; i < scripts_.size(); ++i) {
            if (set_aside[i]) continue;
            if (kept != i) scripts_[kept] = std::move(scripts_[i]);
            ++kept;
        }
        scripts_.erase(scripts_.begin() + static_cast<long>(kept), scripts_.end());
    }
    for (auto& checkpoint : checkpoints_) {
        if (!checkpoint.stands_in) continue;
        checkpoint.node = static_cast<Node>(scripts_.size());
        scripts_.push_back(checkpoint.script);
    }
}

RevisionGraph::Node RevisionGraph::body_index(size_t i) const {
    if (checkpoints_[i].stands_in) return checkpoints_[i].node;
    const auto before = std::count_if(checkpoints_.begin(),
                                      checkpoints_.begin() + static_cast<long>(i),
                                      [](const Checkpoint& c) { return !c.stands_in; });
    return static_cast<Node>(size()) + static_cast<Node>(before);
}

const MigrationScript& RevisionGraph::script_at(Node index) const {
    if (index < static_cast<Node>(size())) return scripts_[index];
    auto k = index - static_cast<Node>(size());
    for (const auto& checkpoint : checkpoints_) {
        if (!checkpoint.stands_in && k-- == 0) return checkpoint.script;
    }
    fail(fmt::format("no script at index {}", index));
}

const MigrationScript* RevisionGraph::replaced_by(const std::string& revision) const {
    auto it = replaced_.find(revision);
    return it == replaced_.end() ? nullptr : &checkpoints_[it->second].script;
}

void RevisionGraph::index_scripts() {
    const auto n = scripts_.size();
    down_.resize(n);
    children_.resize(n);
    by_id_.reserve(n);
    for (Node i = 0; i < static_cast<Node>(n); ++i) {
        const auto& s = scripts_[i];
        auto [it, inserted] = by_id_.emplace(s.revision, i);
        if (!inserted) {
            fail(fmt::format("Revision {} is present more than once ({} and {})", s.revision,
                             scripts_[it->second].file, s.file));
        }
    }
    for (Node i = 0; i < static_cast<Node>(n); ++i) {
        for (const auto& label : scripts_[i].branch_labels) {
            if (by_id_.count(label)) {
                fail(fmt::format("{}: branch label '{}' is also a revision id", scripts_[i].file,
                                 label));
            }
            auto [it, inserted] = by_label_.emplace(label, i);
            if (!inserted) {
                fail(fmt::format("{}: Branch name '{}' in revision {} already used by revision {}",
                                 scripts_[i].file, label, scripts_[i].revision,
                                 scripts_[it->second].revision));
            }
            labels_[i].push_back(label);
        }
    }
}

void RevisionGraph::link_down_revisions() {
    for (Node i = 0; i < static_cast<Node>(size()); ++i) {
        for (const auto& d : scripts_[i].down_revisions) {
            Node parent = find(d);
            if (parent < 0 && replaced_by(d)) {
                fail(fmt::format("{}: revision {} builds on {}, which checkpoint {} replaced; "
                                 "restore the files of the revisions it replaced (for example "
                                 "with git checkout) or base this revision on {}",
                                 scripts_[i].file, scripts_[i].revision, d, replaced_by(d)->file,
                                 replaced_by(d)->checkpoint));
            }
            if (parent < 0) {
                fail(fmt::format("{}: Revision {} referenced from {} is not present",
                                 scripts_[i].file, d, scripts_[i].revision));
            }
            if (parent == i) {
                fail(fmt::format("Self-loop is detected in revisions ({})", id(i)));
            }
            append_unique(down_[i], parent);
            append_unique(children_[parent], i);
        }
    }
}

// depends_on names revisions or branch labels (a label means the revision declaring it).
void RevisionGraph::resolve_dependencies() {
    for (Node i = 0; i < static_cast<Node>(size()); ++i) {
        for (const auto& d : scripts_[i].depends_on) {
            Node dep = find(d);
            if (dep < 0) {
                auto it = by_label_.find(d);
                if (it != by_label_.end()) dep = it->second;
            }
            if (dep < 0) {
                fail(fmt::format("{}: Revision {} referenced from {} is not present",
                                 scripts_[i].file, d, scripts_[i].revision));
            }
            if (dep == i)
                fail(fmt::format("Dependency self-loop is detected in revisions ({})", id(i)));
            append_unique(deps_[i], dep);
        }
    }
    // In node order, so that dependents are listed deterministically.
    for (Node i = 0; i < static_cast<Node>(size()); ++i) {
        auto deps = deps_.find(i);
        if (deps == deps_.end()) continue;
        Nodes& all = all_down_[i] = down_[i];
        for (auto dep : deps->second) append_unique(all, dep);
        for (auto parent : all)
            append_unique(all_children_.try_emplace(parent, children_[parent]).first->second, i);
    }
}

// Colour depth-first search over every down edge; reports the revisions of the first cycle.
void RevisionGraph::detect_cycles() const {
    enum : char { white, grey, black };
    std::vector<char> colour(size(), white);
    std::vector<std::pair<Node, size_t>> stack;
    for (Node start = 0; start < static_cast<Node>(size()); ++start) {
        if (colour[start] != white) continue;
        stack.emplace_back(start, 0);
        colour[start] = grey;
        while (!stack.empty()) {
            auto& [n, next] = stack.back();
            if (next == all_down(n).size()) {
                colour[n] = black;
                stack.pop_back();
                continue;
            }
            Node d = all_down(n)[next++];
            if (colour[d] == white) {
                colour[d] = grey;
                stack.emplace_back(d, 0);
            } else if (colour[d] == grey) {
                // The cycle is the stack from d to its top, closed by the edge top -> d.
                Nodes cycle;
                auto from = std::find_if(stack.begin(), stack.end(),
                                         [&](const auto& frame) { return frame.first == d; });
                for (auto it = from; it != stack.end(); ++it) cycle.push_back(it->first);
                bool via_dependency = false;
                for (size_t k = 0; k < cycle.size(); ++k) {
                    Node child = cycle[k], parent = cycle[(k + 1) % cycle.size()];
                    const auto& versioned = down_[child];
                    if (std::find(versioned.begin(), versioned.end(), parent) == versioned.end())
                        via_dependency = true;
                }
                std::sort(cycle.begin(), cycle.end(),
                          [&](Node a, Node b) { return id(a) < id(b); });
                fail(fmt::format("{} is detected in revisions ({})",
                                 via_dependency ? "Dependency cycle" : "Cycle",
                                 join_ids(*this, cycle)));
            }
        }
    }
}

// A dependency that is already a dependency of one of the revision's ancestors is not an
// immediate down revision (Alembic's _normalize_depends_on).
void RevisionGraph::normalize_dependencies() {
    for (const auto& [i, deps] : deps_) {
        Nodes kept = deps;
        auto below = ancestors({i}, false);
        for (const auto& [a, deps_of_a] : deps_) {
            if (a == i || !below[a]) continue;
            // C++17 lambdas cannot capture a structured binding (clang rejects it): by name.
            const Nodes& covered = deps_of_a;
            kept.erase(std::remove_if(kept.begin(), kept.end(),
                                      [&covered](Node d) {
                                          return std::find(covered.begin(), covered.end(), d) !=
                                                 covered.end();
                                      }),
                       kept.end());
        }
        Nodes& normalized = normalized_down_[i] = down_[i];
        for (auto d : kept) append_unique(normalized, d);
    }
}

// Alembic's _add_branches: a label covers every versioned descendant of its revision; then,
// from the last descendant a depth-first walk visits (the head, on an unforked branch), it
// covers each down revision until one that is a branch point (dependents included) or a
// merge point, so a label set on a branch's second revision also names its first.
void RevisionGraph::propagate_labels() {
    for (const auto& [label, owner] : by_label_) {
        const auto add = [this, &label = label](Node n) {
            auto& labels = labels_[n];
            if (std::find(labels.begin(), labels.end(), label) == labels.end())
                labels.push_back(label);
        };
        std::vector<char> seen(size(), 0);
        Nodes stack{owner};
        Node last = owner;
        while (!stack.empty()) {
            const Node n = stack.back();
            stack.pop_back();
            if (seen[n]) continue;
            seen[n] = 1;
            add(n);
            last = n;
            for (Node child : children_[n]) stack.push_back(child);
        }
        for (Node n = last; all_children(n).size() <= 1 && down_[n].size() <= 1; n = down_[n][0]) {
            add(n);
            if (down_[n].empty()) break;
        }
    }
    for (auto& [node, labels] : labels_) std::sort(labels.begin(), labels.end());
}

const std::vector<std::string>& RevisionGraph::labels(Node n) const {
    static const std::vector<std::string> none;
    auto it = labels_.find(n);
    return it == labels_.end() ? none : it->second;
}

RevisionGraph::Node RevisionGraph::find(const std::string& revision) const {
    auto it = by_id_.find(revision);
    return it == by_id_.end() ? -1 : it->second;
}

RevisionGraph::Nodes RevisionGraph::heads() const {
    Nodes out;
    for (Node n = 0; n < static_cast<Node>(size()); ++n)
        if (children_[n].empty()) out.push_back(n);
    return out;
}

RevisionGraph::Nodes RevisionGraph::real_heads() const {
    Nodes out;
    for (Node n = 0; n < static_cast<Node>(size()); ++n)
        if (all_children(n).empty()) out.push_back(n);
    return out;
}

RevisionGraph::Nodes RevisionGraph::bases() const {
    Nodes out;
    for (Node n = 0; n < static_cast<Node>(size()); ++n)
        if (down_[n].empty()) out.push_back(n);
    return out;
}

std::vector<char> RevisionGraph::ancestors(const Nodes& from, bool include_dependencies) const {
    if (!include_dependencies)
        return reach(
            size(), [this](Node n) -> const Nodes& { return down_[n]; }, from);
    return reach(
        size(), [this](Node n) -> const Nodes& { return all_down(n); }, from);
}

std::vector<char> RevisionGraph::descendants(const Nodes& from, bool include_dependencies) const {
    if (!include_dependencies)
        return reach(
            size(), [this](Node n) -> const Nodes& { return children_[n]; }, from);
    return reach(
        size(), [this](Node n) -> const Nodes& { return all_children(n); }, from);
}

bool RevisionGraph::has_label(Node n, const std::string& label) const {
    auto it = labels_.find(n);
    return it != labels_.end() &&
           std::find(it->second.begin(), it->second.end(), label) != it->second.end();
}

RevisionGraph::Node RevisionGraph::label_revision(const std::string& label) const {
    auto it = by_label_.find(label);
    return it == by_label_.end() ? -1 : it->second;
}

// Targets sharing lineage (ancestor or descendant, without dependencies) with the label's
// revision; the label may also be a revision id.
RevisionGraph::Nodes RevisionGraph::filter_for_lineage(const Nodes& targets,
                                                       const std::string& label) const {
    Node anchor = label_revision(label);
    if (anchor < 0) anchor = resolve_ident(label, "");
    auto up = ancestors({anchor}, false);
    auto downward = descendants({anchor}, false);
    Nodes out;
    for (auto t : targets)
        if (up[t] || downward[t]) out.push_back(t);
    return out;
}

RevisionGraph::Node RevisionGraph::current_head(const std::string& label) const {
    Nodes candidates = heads();
    if (!label.empty()) candidates = filter_for_lineage(candidates, label);
    if (candidates.empty()) return -1;
    if (candidates.size() > 1) {
        const std::string arg = label.empty() ? "head" : label + "@head";
        fail(fmt::format(
            "Multiple head revisions are present for given argument '{}' ({}); please specify a "
            "specific target revision, '<branchname>@head' to narrow to a specific head, or "
            "'heads' for all heads, or join them with 'fastappkit migrate merge'",
            arg, join_ids(*this, candidates)));
    }
    return candidates.front();
}

RevisionGraph::Node RevisionGraph::resolve_ident(const std::string& ident,
                                                 const std::string& label) const {
    Node n = find(ident);
    if (n < 0) n = label_revision(ident);
    if (n < 0) {
        Nodes matches;
        for (Node i = 0; i < static_cast<Node>(size()); ++i) {
            if (id(i).size() > 3 && id(i).compare(0, ident.size(), ident) == 0)
                matches.push_back(i);
        }
        if (!label.empty()) matches = filter_for_lineage(matches, label);
        if (matches.empty()) {
            throw with_reason(ErrorReason::unknown_revision,
                              usage_error(fmt::format("{}: Can't locate revision identified by '{}'",
                                                      history_, ident)));
        }
        if (matches.size() > 1) {
            fail(fmt::format("Multiple revisions start with '{}': {}", ident,
                             join_ids(*this, matches)));
        }
        n = matches.front();
    }
    if (!label.empty() && filter_for_lineage({n}, label).empty()) {
        fail(fmt::format("Revision {} is not a member of branch '{}'", id(n), label));
    }
    return n;
}

RevisionGraph::Nodes RevisionGraph::resolve(const std::string& spec) const {
    std::string label, symbol = spec;
    if (auto at = spec.find('@'); at != std::string::npos) {
        label = spec.substr(0, at);
        symbol = spec.substr(at + 1);
        if (label_revision(label) < 0 && find(label) < 0) {
            throw with_reason(ErrorReason::unknown_revision,
                              usage_error(fmt::format("{}: Can't locate revision identified by '{}'",
                                                      history_, spec)));
        }
    }
    if (symbol == "heads") return label.empty() ? real_heads() : filter_for_lineage(heads(), label);
    if (symbol == "head") {
        Node h = current_head(label);
        return h < 0 ? Nodes{} : Nodes{h};
    }
    if (symbol == "base" || symbol.empty()) return {};
    return {resolve_ident(symbol, label)};
}

RevisionGraph::Node RevisionGraph::resolve_one(const std::string& spec) const {
    Nodes nodes = resolve(spec);
    if (nodes.size() != 1) {
        fail(fmt::format("'{}' does not name exactly one revision (it names {})", spec,
                         nodes.empty() ? std::string("none") : join_ids(*this, nodes)));
    }
    return nodes.front();
}

std::string RevisionGraph::describe(Node n) const {
    return fmt::format("{} ({})", id(n), script(n).file);
}

std::string join_ids(const RevisionGraph& graph, const RevisionGraph::Nodes& nodes) {
    std::string out;
    for (auto n : nodes) {
        if (!out.empty()) out += ", ";
        out += graph.id(n);
    }
    return out;
}

bool HistorySummary::contains(std::string_view revision) const {
    for (size_t at = 0; at < revisions.size();) {
        const size_t end = revisions.find('\n', at);
        if (std::string_view(revisions).substr(at, end - at) == revision) return true;
        at = end + 1;
    }
    return false;
}

HistorySummary summarize(const RevisionGraph& graph) {
    HistorySummary summary;
    const RevisionGraph::Nodes versioned = graph.heads();
    if (versioned.size() == 1) summary.head = graph.id(versioned.front());
    for (auto n : graph.real_heads()) summary.heads.push_back(graph.id(n));
    std::sort(summary.heads.begin(), summary.heads.end());
    for (RevisionGraph::Node n = 0; n < static_cast<RevisionGraph::Node>(graph.size()); ++n) {
        summary.revisions += graph.id(n);
        summary.revisions += '\n';
    }
    return summary;
}

}  // namespace fastappkit
