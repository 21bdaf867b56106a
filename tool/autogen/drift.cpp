#include "autogen/drift.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "autogen/dialects.h"
#include "autogen/history_replay.h"
#include "autogen/sql_text.h"
#include "common/error.h"
#include "db/database_admin.h"
#include "runner/unfinished_section.h"

namespace fastappkit {

namespace {

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
}

// "TEXT NOT NULL DEFAULT 0"
std::string column_spec(const Column& column) {
    std::string spec = column.type.empty() ? "untyped" : column.type;
    spec += column.not_null ? " NOT NULL" : " NULL";
    if (column.default_value) spec += " DEFAULT " + *column.default_value;
    if (!column.identity.empty()) spec += " GENERATED " + column.identity + " AS IDENTITY";
    if (!column.generated.empty()) spec += " GENERATED ALWAYS AS (" + column.generated + ")";
    return spec;
}

// A constraint or index as the findings name it: "foreign key" "items_order_fk" "(order_id) ->
// orders (id)".
struct Described {
    std::string label;
    std::string name;  // empty when the database does not name it (SQLite)
    std::string body;

    std::string text() const { return label + (name.empty() ? "" : " " + name) + " " + body; }
};

Described describe(const UniqueConstraint& unique) {
    return {"unique constraint", unique.name, "(" + joined(unique.columns) + ")"};
}

Described describe(const ForeignKey& key) {
    std::string body = fmt::format("({}) -> {} ({})", joined(key.columns), key.referred_table,
                                   joined(key.referred_columns));
    if (key.on_update != "NO ACTION") body += " ON UPDATE " + key.on_update;
    if (key.on_delete != "NO ACTION") body += " ON DELETE " + key.on_delete;
    return {"foreign key", key.name, body};
}

Described describe(const CheckConstraint& check) { return {"check", check.name, check.expression}; }

Described describe(const Index& index) {
    return {
        index.unique ? "unique index" : "index", index.name,
        "(" + joined(index.columns) + ")" + (index.where.empty() ? "" : " WHERE " + index.where)};
}

std::string default_text(const std::optional<std::string>& value) {
    return value ? *value : std::string("none");
}

// Added and removed constraints (or indexes) of one kind as findings; an added and a removed
// one of the same name are one that was changed in place.
template <typename T, typename Add>
void pair_up(const std::vector<T>& added, const std::vector<T>& removed, const std::string& kind,
             Add&& add) {
    std::vector<bool> paired(added.size(), false);
    for (const auto& gone : removed) {
        const Described before = describe(gone);
        std::size_t match = 0;
        while (match < added.size() && (paired[match] || before.name.empty() ||
                                        !same_identifier(describe(added[match]).name, before.name)))
            ++match;
        if (match == added.size()) {
            add(kind + "_removed", before.text() + " dropped");
            continue;
        }
        paired[match] = true;
        const Described after = describe(added[match]);
        add(kind + "_changed", fmt::format("{} {} changed from {} to {}", after.label, after.name,
                                           before.body, after.body));
    }
    for (std::size_t i = 0; i < added.size(); ++i) {
        if (!paired[i]) add(kind + "_added", describe(added[i]).text() + " added");
    }
}

// One finding per difference of a changed table, in the order of TableDiff's fields.
void describe_changes(const TableDiff& d, std::vector<DriftFinding>& out) {
    const std::string object = "table " + d.table;
    auto add = [&](const std::string& kind, std::string description) {
        out.push_back({object, kind, std::move(description) + " out of band", {}, {}});
    };
    if (d.added()) {
        out.push_back(
            {object, "table_added", "added out of band (no applied migration creates it)", {}, {}});
        return;
    }
    if (d.removed()) return add("table_removed", "dropped");
    for (const auto& c : d.added_columns)
        add("column_added", fmt::format("column {} added ({})", c.name, column_spec(c)));
    for (const auto& c : d.removed_columns)
        add("column_removed", fmt::format("column {} ({}) dropped", c.name, column_spec(c)));
    for (const auto& change : d.changed_columns) {
        const std::string& name = change.to.name;
        if (change.type)
            add("column_type", fmt::format("column {} type changed from {} to {}", name,
                                           change.from.type, change.to.type));
        if (change.nullability)
            add("column_nullability", fmt::format("column {} changed from {} to {}", name,
                                                  change.from.not_null ? "NOT NULL" : "NULL",
                                                  change.to.not_null ? "NOT NULL" : "NULL"));
        if (change.default_value)
            add("column_default", fmt::format("column {} default changed from {} to {}", name,
                                              default_text(change.from.default_value),
                                              default_text(change.to.default_value)));
        if (change.generation)
            add("column_generation", fmt::format("column {} changed from {} to {}", name,
                                                 column_spec(change.from), column_spec(change.to)));
    }
    if (d.primary_key_changed)
        add("primary_key", fmt::format("primary key changed from ({}) to ({})",
                                       joined(d.from->primary_key), joined(d.to->primary_key)));
    pair_up(d.added_uniques, d.removed_uniques, "unique", add);
    pair_up(d.added_foreign_keys, d.removed_foreign_keys, "foreign_key", add);
    pair_up(d.added_checks, d.removed_checks, "check", add);
    pair_up(d.added_indexes, d.removed_indexes, "index", add);
}

std::string statements_text(const std::vector<std::string>& statements) {
    SectionSql section;
    section.statements = statements;
    return section.text();
}

// What the live database says, read in one snapshot while no runner works on the histories.
struct LiveState {
    std::vector<std::vector<std::string>> versions;  // per history
    Schema schema;
};

LiveState read_live(Database& live, const std::vector<History*>& histories,
                    const Introspector& introspector) {
    // A lease (PostgreSQL) is only waited for, not held: a runner may start between the wait
    // and the snapshot, and be inside a transaction:false section, marked unfinished until it
    // ends. One more wait tells that runner from one that was stopped (whose mark stays).
    for (int attempt = 0;; ++attempt) {
        std::vector<std::unique_ptr<HistoryLock>> locks;
        for (History* history : histories) {
            if (live.has_table(history->version_table()))
                locks.push_back(live.wait_for_history(history->version_table()));
        }
        auto snapshot = live.begin_snapshot();
        bool unfinished = false;
        for (History* history : histories) {
            if (find_unfinished_section(live, history->version_table())) unfinished = true;
        }
        if (unfinished && attempt == 0) continue;
        LiveState state;
        for (History* history : histories) {
            refuse_unfinished_section(live, *history);
            state.versions.push_back(live.read_versions(history->version_table()));
        }
        state.schema = introspector.read_schema(live);
        snapshot->commit();
        return state;
    }
}

RevisionGraph::Nodes applied_heads(History& history, const std::vector<std::string>& versions) {
    const RevisionGraph& graph = history.graph();
    RevisionGraph::Nodes heads;
    for (const auto& version : versions) {
        const auto node = graph.find(version);
        if (node < 0) {
            throw usage_error(fmt::format(
                "{}: the database's {} names revision '{}', which no migration file in {} "
                "defines; drift is measured against the applied revisions, so their files are "
                "needed",
                history.name(), history.version_table(), version, history.versions_dir().string()));
        }
        heads.push_back(node);
    }
    return heads;
}

class DriftCheck {
public:
    DriftCheck(Database& live, const DatabaseUrl& target, std::vector<History*> histories,
               std::string only)
        : live_(live),
          target_(target),
          histories_(std::move(histories)),
          only_(std::move(only)),
          introspector_(make_introspector(live.dialect())),
          renderer_(make_renderer(live.dialect(), false)) {}

    DriftReport run() {
        const LiveState live = read_live(live_, histories_, *introspector_);
        std::vector<RevisionGraph::Nodes> heads;
        for (size_t i = 0; i < histories_.size(); ++i)
            heads.push_back(applied_heads(*histories_[i], live.versions[i]));
        ReplayDatabase scratch(target_, *introspector_);
        report_.scratch_schema = scratch.in_target();
        Schema migrated;
        for (size_t i = 0; i < histories_.size(); ++i) {
            History& history = *histories_[i];
            replay_history(scratch.db(), history, heads[i]);
            migrated = introspector_->read_schema(scratch.db());
            claim(migrated, history.name());
            HistoryDrift& drift = report_.histories.emplace_back();
            drift.history = history.name();
            drift.applied = live.versions[i];
            drift.replayed = heads[i].empty() ? 0 : plan_size(history, heads[i]);
        }
        compare(migrated, live.schema);
        if (!only_.empty()) {
            auto& all = report_.histories;
            all.erase(std::remove_if(all.begin(), all.end(),
                                     [&](const HistoryDrift& d) { return d.history != only_; }),
                      all.end());
        }
        return std::move(report_);
    }

private:
    static size_t plan_size(History& history, const RevisionGraph::Nodes& heads) {
        const auto members = history.graph().ancestors(heads);
        return static_cast<size_t>(std::count(members.begin(), members.end(), 1));
    }

    // The tables and views the replay of `history` created are its own.
    void claim(const Schema& schema, const std::string& history) {
        for (const auto& table : schema.tables)
            owners_.try_emplace(lower_ascii(table.name), history);
        for (const auto& view : schema.views)
            owners_.try_emplace("view " + lower_ascii(view.name), history);
    }

    // The history an object belongs to: the one that created it, else the first (core).
    HistoryDrift& owner(const std::string& key) {
        const auto it = owners_.find(key);
        const std::string& name = it == owners_.end() ? histories_.front()->name() : it->second;
        for (auto& drift : report_.histories) {
            if (drift.history == name) return drift;
        }
        return report_.histories.front();
    }

    void compare(const Schema& migrated, const Schema& live) {
        std::map<std::string, SchemaDiff> per_history;
        const SchemaDiff diff = diff_schemas(migrated, live);
        for (const auto& table : diff.tables) {
            HistoryDrift& drift = owner(lower_ascii(table.table));
            SchemaDiff one;
            one.tables.push_back(table);
            const auto around = dependent_views(migrated, live, one);
            const MigrationSql sql = renderer_->render(one);
            std::vector<DriftFinding> findings;
            describe_changes(table, findings);
            for (auto& finding : findings) {
                finding.reproduce_sql = statements_text(wrapped(around, sql.upgrade.statements));
                finding.revert_sql = statements_text(wrapped(around, sql.downgrade.statements));
                drift.findings.push_back(std::move(finding));
            }
            per_history[drift.history].tables.push_back(table);
        }
        ByHistory drop_live, create_live, drop_migrated, create_migrated;
        compare_views(migrated, live, drop_live, create_live, drop_migrated, create_migrated);
        for (auto& drift : report_.histories) {
            MigrationSql tables;
            std::pair<std::vector<std::string>, std::vector<std::string>> around;
            if (auto it = per_history.find(drift.history); it != per_history.end()) {
                tables = renderer_->render(it->second);
                around = dependent_views(migrated, live, it->second);
            }
            // Views may select from the tables: dropped before the tables change, created after.
            std::vector<std::string> reproduce = drop_migrated[drift.history];
            for (const auto& s : wrapped(around, tables.upgrade.statements)) reproduce.push_back(s);
            for (const auto& s : create_live[drift.history]) reproduce.push_back(s);
            std::vector<std::string> revert = drop_live[drift.history];
            for (const auto& s : wrapped(around, tables.downgrade.statements)) revert.push_back(s);
            for (const auto& s : create_migrated[drift.history]) revert.push_back(s);
            drift.reproduce_sql = statements_text(reproduce);
            drift.revert_sql = statements_text(revert);
        }
    }

    // The views both sides have alike that select from a table of `diff`: a table rebuilt
    // (SQLite) or a column retyped (PostgreSQL) under them fails, so they are dropped before
    // and created again after. Returns the DROP and the CREATE statements.
    static std::pair<std::vector<std::string>, std::vector<std::string>> dependent_views(
        const Schema& migrated, const Schema& live, const SchemaDiff& diff) {
        std::pair<std::vector<std::string>, std::vector<std::string>> around;
        for (const auto& view : live.views) {
            const View* expected = migrated.find_view(view.name);
            if (!expected || expected->definition != view.definition) continue;
            const bool selects =
                std::any_of(diff.tables.begin(), diff.tables.end(), [&](const TableDiff& table) {
                    return !table.added() && mentions_identifier(view.definition, table.table);
                });
            if (!selects) continue;
            around.first.push_back("DROP VIEW " + quote_identifier(view.name));
            around.second.push_back(view.create_sql);
        }
        return around;
    }

    static std::vector<std::string> wrapped(
        const std::pair<std::vector<std::string>, std::vector<std::string>>& around,
        const std::vector<std::string>& statements) {
        if (statements.empty() || around.first.empty()) return statements;
        std::vector<std::string> out = around.first;
        out.insert(out.end(), statements.begin(), statements.end());
        out.insert(out.end(), around.second.begin(), around.second.end());
        return out;
    }

    using ByHistory = std::map<std::string, std::vector<std::string>>;

    void compare_views(const Schema& migrated, const Schema& live, ByHistory& drop_live,
                       ByHistory& create_live, ByHistory& drop_migrated,
                       ByHistory& create_migrated) {
        auto drop = [](const View& view) { return "DROP VIEW " + quote_identifier(view.name); };
        for (const auto& view : live.views) {
            const View* expected = migrated.find_view(view.name);
            if (expected && expected->definition == view.definition) continue;
            HistoryDrift& drift = owner("view " + lower_ascii(view.name));
            DriftFinding finding;
            finding.object = "view " + view.name;
            if (!expected) {
                finding.kind = "view_added";
                finding.description = "added out of band (no applied migration creates it)";
                finding.reproduce_sql = statements_text({view.create_sql});
                finding.revert_sql = statements_text({drop(view)});
            } else {
                finding.kind = "view_changed";
                finding.description = "definition changed out of band";
                finding.reproduce_sql = statements_text({drop(*expected), view.create_sql});
                finding.revert_sql = statements_text({drop(view), expected->create_sql});
                drop_migrated[drift.history].push_back(drop(*expected));
                create_migrated[drift.history].push_back(expected->create_sql);
            }
            drop_live[drift.history].push_back(drop(view));
            create_live[drift.history].push_back(view.create_sql);
            drift.findings.push_back(std::move(finding));
        }
        for (const auto& view : migrated.views) {
            if (live.find_view(view.name)) continue;
            HistoryDrift& drift = owner("view " + lower_ascii(view.name));
            drift.findings.push_back({"view " + view.name, "view_removed", "dropped out of band",
                                      statements_text({drop(view)}),
                                      statements_text({view.create_sql})});
            drop_migrated[drift.history].push_back(drop(view));
            create_migrated[drift.history].push_back(view.create_sql);
        }
    }

    Database& live_;
    const DatabaseUrl& target_;
    std::vector<History*> histories_;
    std::string only_;
    std::unique_ptr<Introspector> introspector_;
    std::unique_ptr<Renderer> renderer_;
    std::map<std::string, std::string> owners_;  // lower-case table, "view <name>" -> history
    DriftReport report_;
};

}  // namespace

std::string DriftFinding::text() const { return "drift: " + object + ": " + description; }

bool DriftReport::empty() const {
    for (const auto& history : histories) {
        if (!history.findings.empty()) return false;
    }
    return true;
}

DriftReport check_drift(Database& live, const DatabaseUrl& target,
                        const std::vector<History*>& histories, const std::string& only) {
    std::vector<History*> compared;
    for (History* history : histories) {
        compared.push_back(history);
        if (history->name() == only) break;
    }
    return DriftCheck(live, target, std::move(compared), only).run();
}

}  // namespace fastappkit
