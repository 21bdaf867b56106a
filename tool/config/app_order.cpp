// The order of `migrate all` (docs/configuration.md): a stable topological sort of the external
// apps over their `requires`, so that `apps` order is kept wherever the requirements allow it.
#include "config/app_order.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"

namespace fastappkit {

namespace {

using Edges = std::vector<std::vector<std::size_t>>;  // edges[i]: indices app i requires

std::size_t index_of(const std::vector<const App*>& apps, const std::string& name) {
    for (std::size_t i = 0; i < apps.size(); ++i) {
        if (apps[i]->name == name) return i;
    }
    return apps.size();
}

// Only `requires` orders apps; the sequential dependency of apps without one follows the order.
Edges required_apps(const std::vector<const App*>& apps, const Project& project) {
    Edges edges(apps.size());
    for (std::size_t i = 0; i < apps.size(); ++i) {
        const AppManifest& manifest = *apps[i]->manifest;
        for (const std::string& name :
             manifest.requires_apps.value_or(std::vector<std::string>{})) {
            const std::size_t required = index_of(apps, name);
            if (required == apps.size()) {
                throw usage_error(fmt::format(
                    "{}: app '{}' requires '{}', which is not an external app in apps of {}",
                    manifest.manifest_file.string(), apps[i]->name, name,
                    project.config_file.string()));
            }
            if (std::find(edges[i].begin(), edges[i].end(), required) == edges[i].end())
                edges[i].push_back(required);
        }
    }
    return edges;
}

bool all_placed(const std::vector<std::size_t>& required, const std::vector<bool>& placed) {
    return std::all_of(required.begin(), required.end(),
                       [&placed](std::size_t i) { return placed[i]; });
}

// Every unplaced app has an unplaced requirement (else it would have been placed): follow
// those from the first one until an app repeats; the repeated stretch is a cycle.
[[noreturn]] void throw_cycle(const std::vector<const App*>& apps, const Edges& edges,
                              const std::vector<bool>& placed) {
    std::vector<std::size_t> path{
        static_cast<std::size_t>(std::find(placed.begin(), placed.end(), false) - placed.begin())};
    for (;;) {
        const std::vector<std::size_t>& required = edges[path.back()];
        const std::size_t next = *std::find_if(required.begin(), required.end(),
                                               [&](std::size_t i) { return !placed[i]; });
        const auto seen = std::find(path.begin(), path.end(), next);
        if (seen != path.end()) {
            std::vector<std::string> names;
            for (auto it = seen; it != path.end(); ++it) names.push_back(apps[*it]->name);
            names.push_back(apps[next]->name);
            throw usage_error(fmt::format("{}: external apps require each other in a cycle: {}",
                                          apps[next]->manifest->manifest_file.string(),
                                          fmt::join(names, " -> ")));
        }
        path.push_back(next);
    }
}

// Repeatedly takes the first app, in `apps` order, whose requirements are all placed.
std::vector<std::size_t> stable_topological_order(const std::vector<const App*>& apps,
                                                  const Edges& edges) {
    std::vector<std::size_t> order;
    std::vector<bool> placed(apps.size(), false);
    while (order.size() < apps.size()) {
        std::size_t i = 0;
        while (i < apps.size() && (placed[i] || !all_placed(edges[i], placed))) ++i;
        if (i == apps.size()) throw_cycle(apps, edges, placed);
        placed[i] = true;
        order.push_back(i);
    }
    return order;
}

}  // namespace

std::vector<AppStep> external_app_order(const Project& project) {
    const std::vector<const App*> apps = project.external_apps();
    const Edges edges = required_apps(apps, project);
    std::vector<AppStep> steps;
    for (std::size_t i : stable_topological_order(apps, edges)) {
        AppStep step{apps[i]->name, {}};
        if (apps[i]->manifest->requires_apps) {
            for (std::size_t required : edges[i]) step.depends_on.push_back(apps[required]->name);
        } else if (!steps.empty()) {
            // No `requires` key: the seed's sequential behaviour, after the app migrated before it.
            step.depends_on.push_back(steps.back().name);
        }
        steps.push_back(std::move(step));
    }
    return steps;
}

}  // namespace fastappkit
