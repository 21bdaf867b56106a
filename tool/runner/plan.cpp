#include "runner/plan.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "common/error.h"
#include "common/error_reason.h"
#include "runner/head_maintainer.h"

namespace fastappkit {

namespace {

using Node = RevisionGraph::Node;
using Nodes = RevisionGraph::Nodes;

// Sentinels of a relative walk: below every base, and off the end of the graph.
constexpr Node kBase = -2;
constexpr Node kOverwalk = -1;

struct RelativeSpec {
    std::string label;   // before '@'
    std::string symbol;  // the revision the walk starts from; empty: the current heads
    int steps = 0;
};

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// "[symbol](+|-)N" at the start of `text` (Alembic's `(\w+)?([+-]\d+)`, matched, not searched).
bool parse_steps(const std::string& spec, std::size_t from, RelativeSpec& out) {
    std::size_t p = from;
    while (p < spec.size() && is_word_char(spec[p])) ++p;
    if (p >= spec.size() || (spec[p] != '+' && spec[p] != '-')) return false;
    std::size_t digits = p + 1;
    while (digits < spec.size() && std::isdigit(static_cast<unsigned char>(spec[digits]))) ++digits;
    if (digits == p + 1) return false;
    const std::string number = spec.substr(p + 1, digits - p - 1);
    if (number.size() > 9) {
        throw usage_error(
            fmt::format("Relative revision '{}' is out of range: at most 9 digits of steps", spec));
    }
    out.symbol = spec.substr(from, p - from);
    out.steps = std::stoi(number) * (spec[p] == '-' ? -1 : 1);
    return true;
}

// Alembic's _relative_destination: "[label@][symbol](+|-)N", matched from the start; the label
// ends at the first '@' after which the rest matches.
bool parse_relative(const std::string& spec, RelativeSpec& out) {
    // Only a sign makes a spec relative.
    if (spec.find_first_of("+-") == std::string::npos) return false;
    for (std::size_t at = spec.find('@', 1); at != std::string::npos; at = spec.find('@', at + 1)) {
        if (parse_steps(spec, at + 1, out)) {
            out.label = spec.substr(0, at);
            return true;
        }
    }
    out.label.clear();
    return parse_steps(spec, 0, out);
}

[[noreturn]] void fail(const RevisionGraph& graph, const std::string& message) {
    throw usage_error(fmt::format("{}: {}", graph.history(), message));
}

std::string didnt_produce(int steps) {
    return fmt::format("Relative revision {}{} didn't produce {} migrations", steps > 0 ? "+" : "",
                       steps, std::abs(steps));
}

// Walks `steps` up (children) or down (down revisions) from `start` (kBase: below the bases).
Node walk(const RevisionGraph& graph, Node start, int steps, const std::string& label) {
    Node current = start;
    for (int i = 0; i < std::abs(steps); ++i) {
        Nodes next;
        if (steps > 0) {
            next = current == kBase ? graph.bases() : graph.children(current);
            if (!label.empty()) next = graph.filter_for_lineage(next, label);
        } else if (current != kBase) {
            next = graph.down(current);
            if (next.empty()) next = {kBase};
        }
        if (next.empty()) return kOverwalk;
        if (next.size() > 1) fail(graph, "Ambiguous walk");
        current = next.front();
    }
    return current;
}

// Tips of the label's branch among everything applied: the revisions of `label`'s lineage
// below the current heads that nothing else of that set builds on (Alembic backtracks to
// these when no current head is on the branch). `with_dependencies` follows dependency
// edges too, as Alembic's upgrade does; its downgrade follows versioned edges only.
Nodes branch_tips(const RevisionGraph& graph, const Nodes& current, const std::string& label,
                  bool with_dependencies) {
    auto applied = graph.ancestors(current);
    Nodes all;
    for (Node n = 0; n < static_cast<Node>(graph.size()); ++n)
        if (applied[n]) all.push_back(n);
    Nodes on_branch = graph.filter_for_lineage(all, label);
    std::vector<char> below(graph.size(), 0);
    for (auto n : on_branch)
        for (auto d : with_dependencies ? graph.normalized_down(n) : graph.down(n)) below[d] = 1;
    Nodes tips;
    for (auto n : on_branch)
        if (!below[n]) tips.push_back(n);
    return tips;
}

// A relative downgrade from several current heads: Alembic 1.8 warns and picks one by hash
// order, differently from run to run; refused here, naming the two forms that say which.
std::string several_heads(const RevisionGraph& graph, Nodes heads, const RelativeSpec& r,
                          const std::string& target) {
    std::sort(heads.begin(), heads.end());  // file order, whatever the rows' order
    std::string label = "<label>";
    for (auto n : heads) {
        if (const auto& labels = graph.labels(n); !labels.empty()) {
            label = labels.front();
            break;
        }
    }
    return fmt::format(
        "Ambiguous downgrade {}: the database is at several heads ({}); name the branch to step "
        "back, as "
        "{}{} (a head) or {}@{} (a branch label)",
        target, join_ids(graph, heads), graph.id(heads.front()), r.steps, label, r.steps);
}

Node start_of_symbol(const RevisionGraph& graph, const RelativeSpec& r) {
    Nodes nodes = graph.resolve(r.label.empty() ? r.symbol : r.label + "@" + r.symbol);
    if (nodes.size() > 1) fail(graph, fmt::format("Ambiguous walk from '{}'", r.symbol));
    return nodes.empty() ? kBase : nodes.front();
}

Nodes parse_upgrade_target(const RevisionGraph& graph, const Nodes& current,
                           const std::string& target) {
    RelativeSpec r;
    if (!parse_relative(target, r)) return graph.resolve(target);
    if (r.steps <= 0) {
        if (r.symbol.empty()) fail(graph, didnt_produce(r.steps));
        Node n = walk(graph, start_of_symbol(graph, r), r.steps, "");
        if (n == kOverwalk) fail(graph, "Walked too far");
        return n == kBase ? Nodes{} : Nodes{n};
    }
    Node start = kBase;
    if (!r.symbol.empty()) {
        start = start_of_symbol(graph, {"", r.symbol, 0});
    } else {
        Nodes from = r.label.empty() ? current : graph.filter_for_lineage(current, r.label);
        if (from.empty() && !r.label.empty()) from = branch_tips(graph, current, r.label, true);
        if (from.size() > 1) fail(graph, "Ambiguous upgrade from multiple current revisions");
        if (!from.empty()) start = from.front();
    }
    Node n = walk(graph, start, r.steps, r.label);
    if (n == kOverwalk || n == kBase) fail(graph, didnt_produce(r.steps));
    return {n};
}

// Dependencies-first order of `members` (Kahn's algorithm with a stack, so that one branch
// is walked to its end before the next starts; ties follow file order).
std::vector<Node> topological(const RevisionGraph& graph, const std::vector<char>& members,
                              bool upward) {
    const auto& before = [&](Node n) -> const Nodes& {
        return upward ? graph.all_down(n) : graph.all_children(n);
    };
    const auto& after = [&](Node n) -> const Nodes& {
        return upward ? graph.all_children(n) : graph.all_down(n);
    };
    std::vector<int> waiting(graph.size(), 0);
    std::vector<Node> ready;
    for (Node n = static_cast<Node>(graph.size()) - 1; n >= 0; --n) {
        if (!members[n]) continue;
        for (auto b : before(n)) waiting[n] += members[b];
        if (waiting[n] == 0) ready.push_back(n);
    }
    std::vector<Node> order;
    while (!ready.empty()) {
        Node n = ready.back();
        ready.pop_back();
        order.push_back(n);
        const auto& next = after(n);
        for (auto it = next.rbegin(); it != next.rend(); ++it) {
            if (members[*it] && --waiting[*it] == 0) ready.push_back(*it);
        }
    }
    return order;
}

std::vector<Step> to_steps(const std::vector<Node>& nodes, Direction direction) {
    std::vector<Step> steps;
    steps.reserve(nodes.size());
    for (auto n : nodes) {
        Step& step = steps.emplace_back();
        step.node = n;
        step.direction = direction;
    }
    return steps;
}

struct DowngradeTarget {
    std::string label;
    Node node = kBase;
};

DowngradeTarget parse_downgrade_target(const RevisionGraph& graph, const Nodes& current,
                                       const std::string& target) {
    RelativeSpec r;
    if (!parse_relative(target, r)) {
        DowngradeTarget out;
        auto at = target.rfind('@');
        std::string symbol = target;
        if (at != std::string::npos) {
            out.label = target.substr(0, at);
            symbol = target.substr(at + 1);
        }
        Nodes nodes = graph.resolve(out.label.empty() ? symbol : out.label + "@" + symbol);
        if (nodes.size() > 1) {
            fail(graph, fmt::format("'{}' names several revisions ({}); downgrade to one revision",
                                    target, join_ids(graph, nodes)));
        }
        out.node = nodes.empty() ? kBase : nodes.front();
        return out;
    }
    if (r.steps >= 0) {
        if (r.symbol.empty()) fail(graph, didnt_produce(r.steps));
        Node n = walk(graph, start_of_symbol(graph, {"", r.symbol, 0}), r.steps, r.label);
        if (n == kOverwalk) fail(graph, "Walked too far");
        return {r.label, n};
    }
    const bool from_current = r.symbol.empty();
    if (from_current) {
        Nodes from = r.label.empty() ? current : graph.filter_for_lineage(current, r.label);
        if (from.empty() && !r.label.empty()) from = branch_tips(graph, current, r.label, false);
        if (from.empty()) fail(graph, didnt_produce(r.steps));
        if (from.size() > 1) fail(graph, several_heads(graph, from, r, target));
        r.symbol = graph.id(from.front());
        if (r.label.empty()) r.label = r.symbol;  // restrict the downgrade to that branch
    }
    Node n = walk(graph, start_of_symbol(graph, {"", r.symbol, 0}), r.steps, "");
    if (n == kOverwalk) fail(graph, from_current ? didnt_produce(r.steps) : "Walked too far");
    return {r.label, n};
}

}  // namespace

Nodes heads_from_versions(const RevisionGraph& graph, const std::vector<std::string>& versions) {
    Nodes heads;
    for (const auto& v : versions) {
        Node n = graph.find(v);
        if (n < 0 && graph.replaced_by(v)) {
            const MigrationScript& checkpoint = *graph.replaced_by(v);
            throw with_reason(
                ErrorReason::unknown_revision,
                failure(fmt::format(
                    "{}: the database is at revision {}, which checkpoint {} replaced, and its "
                    "file was deleted; restore the files the checkpoint replaced (for example "
                    "with git checkout) to upgrade this database through them",
                    graph.history(), v, checkpoint.file)));
        }
        if (n < 0) {
            throw with_reason(
                ErrorReason::unknown_revision,
                failure(fmt::format(
                    "{}: Can't locate revision identified by '{}' (the database records it, but "
                    "no migration file of this history defines it)",
                    graph.history(), v)));
        }
        heads.push_back(n);
    }
    return heads;
}

std::vector<Step> plan_upgrade(const RevisionGraph& graph, const Nodes& current,
                               const std::string& target) {
    Nodes targets = parse_upgrade_target(graph, current, target);
    auto needed = graph.ancestors(targets);
    auto present = graph.ancestors(current);
    for (size_t n = 0; n < needed.size(); ++n) needed[n] = needed[n] && !present[n];
    return to_steps(topological(graph, needed, true), Direction::upgrade);
}

std::vector<Step> plan_fresh_upgrade(const RevisionGraph& graph, const std::string& target,
                                     const std::function<bool(size_t)>& usable) {
    std::vector<Step> full = plan_upgrade(graph, {}, target);
    std::vector<char> planned(graph.size(), 0);
    for (const auto& step : full) planned[step.node] = 1;
    int best = -1;
    std::vector<Step> best_range;
    for (size_t c = 0; c < graph.checkpoints().size(); ++c) {
        const auto& checkpoint = graph.checkpoints()[c];
        if (checkpoint.stands_in || checkpoint.node < 0 || !planned[checkpoint.node] || !usable(c))
            continue;
        auto range = plan_from_base(graph, {checkpoint.node});
        const bool covered = std::all_of(range.begin(), range.end(),
                                         [&](const Step& step) { return planned[step.node]; });
        if (covered && range.size() > best_range.size()) {
            best = static_cast<int>(c);
            best_range = std::move(range);
        }
    }
    if (best < 0) return full;
    HeadMaintainer replay(graph, {});
    for (const auto& step : best_range) replay.update_to_step(step);
    Step checkpoint;
    checkpoint.node = graph.checkpoints()[best].node;
    checkpoint.checkpoint = best;
    checkpoint.rows = replay.heads();
    std::vector<Step> steps{checkpoint};
    for (auto& step : plan_upgrade(graph, heads_from_versions(graph, checkpoint.rows), target))
        steps.push_back(std::move(step));
    return steps;
}

std::vector<Step> plan_from_base(const RevisionGraph& graph, const Nodes& heads) {
    return to_steps(topological(graph, graph.ancestors(heads), true), Direction::upgrade);
}

std::vector<Step> plan_downgrade(const RevisionGraph& graph, const Nodes& current,
                                 const std::string& target) {
    DowngradeTarget t = parse_downgrade_target(graph, current, target);
    Nodes roots = t.node == kBase ? graph.bases() : graph.children(t.node);
    if (!t.label.empty() && roots.size() > 1) {
        Node anchor = graph.label_revision(t.label);
        if (anchor < 0) anchor = graph.resolve_one(t.label);
        auto lineage = graph.ancestors({anchor}, false);
        roots.erase(std::remove_if(roots.begin(), roots.end(), [&](Node n) { return !lineage[n]; }),
                    roots.end());
        if (roots.empty()) fail(graph, "Not a valid downgrade target from current heads");
    }
    auto dropped = graph.descendants(roots);
    auto active = graph.ancestors(current);
    bool any = false;
    for (size_t n = 0; n < dropped.size(); ++n) {
        dropped[n] = dropped[n] && active[n];
        any = any || dropped[n];
    }
    const bool target_is_head = std::find(current.begin(), current.end(), t.node) != current.end();
    if (t.node != kBase && !any && !target_is_head) {
        throw failure(
            fmt::format("{}: Destination {} is not a valid downgrade target from current head(s)",
                        graph.history(), graph.id(t.node)));
    }
    return to_steps(topological(graph, dropped, false), Direction::downgrade);
}

// Alembic's RevisionMap._topological_sort from the real heads, as `alembic history` walks:
// follow one head down while no other head still needs the revision, then the next; ties
// go by file order (Alembic's is the order the files were listed in).
std::vector<Node> history_order(const RevisionGraph& graph) {
    const auto ancestors_of = [&](Node n) { return graph.ancestors({n}); };
    std::vector<char> todo(graph.size(), 1);
    Nodes heads = graph.real_heads();
    std::vector<std::vector<char>> ancestors;
    for (auto h : heads) ancestors.push_back(ancestors_of(h));
    std::vector<Node> output;
    size_t index = 0;
    while (!heads.empty()) {
        const Node candidate = heads[index];
        bool needed_elsewhere = false;
        for (size_t other = 0; other < ancestors.size(); ++other) {
            if (other != index && ancestors[other][candidate]) {
                index = other;  // another head builds on it: walk that one first
                needed_elsewhere = true;
                break;
            }
        }
        if (needed_elsewhere) continue;
        if (todo[candidate]) {
            output.push_back(candidate);
            todo[candidate] = 0;
        }
        Nodes next;
        for (auto d : graph.normalized_down(candidate))
            if (todo[d] && std::find(heads.begin(), heads.end(), d) == heads.end())
                next.push_back(d);
        if (next.empty()) {
            heads.erase(heads.begin() + static_cast<std::ptrdiff_t>(index));
            ancestors.erase(ancestors.begin() + static_cast<std::ptrdiff_t>(index));
            index = index > 0 ? index - 1 : 0;
        } else if (graph.normalized_down(candidate).size() == graph.down(candidate).size() &&
                   graph.down(candidate).size() == 1) {
            heads[index] = next.front();  // plain movement down a line
            ancestors[index][candidate] = 0;
        } else {
            heads[index] = next.front();
            ancestors[index] = ancestors_of(next.front());
            for (size_t i = 1; i < next.size(); ++i) {
                heads.push_back(next[i]);
                ancestors.push_back(ancestors_of(next[i]));
            }
        }
    }
    return output;
}

}  // namespace fastappkit
