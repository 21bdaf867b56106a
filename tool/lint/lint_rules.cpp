#include "lint/lint_rules.h"

#include <algorithm>
#include <initializer_list>

#include <fmt/format.h>

namespace fastappkit {

namespace {

using Tokens = std::vector<SqlToken>;

const std::vector<LintRule> kRules = {
    {"drop-table", Severity::error, "an upgrade drops a table"},
    {"drop-column", Severity::error, "an upgrade drops a column"},
    {"truncate", Severity::error, "an upgrade truncates a table"},
    {"delete-without-where", Severity::error, "an upgrade deletes every row of a table"},
    {"rename-table", Severity::warning, "an upgrade renames a table"},
    {"rename-column", Severity::warning, "an upgrade renames a column"},
    {"irreversible", Severity::warning, "a revision has no downgrade section"},
    {"sqlite-alter-unsupported", Severity::error, "an ALTER TABLE form SQLite rejects"},
    {"pg-create-index-blocking", Severity::error,
     "CREATE INDEX without CONCURRENTLY on an existing table"},
    {"pg-concurrently-in-transaction", Severity::error,
     "CONCURRENTLY in a section that runs in a transaction"},
    {"pg-add-foreign-key-validating", Severity::warning,
     "a foreign key added to an existing table without NOT VALID"},
    {"pg-set-not-null", Severity::warning, "SET NOT NULL on an existing table"},
    {"pg-alter-column-type", Severity::error, "a column type change on an existing table"},
    {"pg-add-column-volatile-default", Severity::error,
     "a column added to an existing table with a volatile default"},
    {"pg-no-lock-timeout", Severity::warning,
     "an existing table altered with no lock timeout configured"},
    {"lint-ignore", Severity::error, "a lint:ignore line without a known rule id and a reason"},
};

// Functions whose default PostgreSQL evaluates for every existing row (a table rewrite).
const std::set<std::string> kVolatileFunctions = {
    "random",    "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v4",   "clock_timestamp",
    "timeofday", "nextval",         "txid_current",     "statement_timestamp"};
const std::set<std::string> kSerialTypes = {"serial",  "bigserial", "smallserial",
                                            "serial2", "serial4",   "serial8"};

// Reads a statement's tokens front to back.
class Cursor {
public:
    Cursor(const Tokens& tokens, std::size_t begin, std::size_t end)
        : tokens_(tokens), at_(begin), end_(end) {}

    bool done() const { return at_ >= end_; }
    // The lower-case word at the cursor (+ ahead), or "" for anything else.
    std::string word(std::size_t ahead = 0) const {
        const std::size_t i = at_ + ahead;
        if (i >= end_ || tokens_[i].kind != SqlToken::Kind::word) return {};
        return lower_ascii(tokens_[i].text);
    }
    // Consumes `words` when they come next, in order.
    bool accept(std::initializer_list<std::string_view> words) {
        std::size_t ahead = 0;
        for (auto w : words) {
            if (word(ahead++) != w) return false;
        }
        at_ += words.size();
        return true;
    }
    // A possibly qualified name (schema.table): its last part in lower case, unless quoted.
    std::string name() {
        std::string last;
        while (!done()) {
            const SqlToken& token = tokens_[at_];
            if (token.kind == SqlToken::Kind::word) {
                last = lower_ascii(token.text);
            } else if (token.kind == SqlToken::Kind::quoted_identifier) {
                last = token.text;
            } else {
                break;
            }
            ++at_;
            if (done() || tokens_[at_].text != ".") break;
            ++at_;
        }
        return last;
    }
    std::size_t position() const { return at_; }
    std::size_t end() const { return end_; }

private:
    const Tokens& tokens_;
    std::size_t at_;
    std::size_t end_;
};

bool is_symbol(const SqlToken& token, std::string_view text) {
    return token.kind == SqlToken::Kind::symbol && token.text == text;
}

// Lower-case words of tokens[begin, end) at parenthesis depth 0 (relative to begin).
std::vector<std::string> top_level_words(const Tokens& tokens, std::size_t begin, std::size_t end) {
    std::vector<std::string> words;
    int depth = 0;
    for (std::size_t i = begin; i < end; ++i) {
        if (is_symbol(tokens[i], "(")) ++depth;
        if (is_symbol(tokens[i], ")")) --depth;
        if (depth == 0 && tokens[i].kind == SqlToken::Kind::word)
            words.push_back(lower_ascii(tokens[i].text));
    }
    return words;
}

bool contains(const std::vector<std::string>& words, std::string_view word) {
    return std::find(words.begin(), words.end(), word) != words.end();
}

bool contains_sequence(const std::vector<std::string>& words, std::string_view a,
                       std::string_view b) {
    for (std::size_t i = 0; i + 1 < words.size(); ++i) {
        if (words[i] == a && words[i + 1] == b) return true;
    }
    return false;
}

// [begin, end) ranges of the comma-separated actions of an ALTER TABLE, from `begin`.
std::vector<std::pair<std::size_t, std::size_t>> actions(const Tokens& tokens, std::size_t begin) {
    std::vector<std::pair<std::size_t, std::size_t>> ranges;
    int depth = 0;
    std::size_t start = begin;
    for (std::size_t i = begin; i < tokens.size(); ++i) {
        if (is_symbol(tokens[i], "(")) ++depth;
        if (is_symbol(tokens[i], ")")) --depth;
        if (depth == 0 && is_symbol(tokens[i], ",")) {
            ranges.emplace_back(start, i);
            start = i + 1;
        }
    }
    if (start < tokens.size()) ranges.emplace_back(start, tokens.size());
    return ranges;
}

bool volatile_default(const Tokens& tokens, std::size_t begin, std::size_t end) {
    bool after_default = false;
    for (std::size_t i = begin; i < end; ++i) {
        if (tokens[i].kind != SqlToken::Kind::word) continue;
        const std::string word = lower_ascii(tokens[i].text);
        if (kSerialTypes.count(word)) return true;
        if (word == "default") after_default = true;
        if (after_default && kVolatileFunctions.count(word)) return true;
    }
    return false;
}

struct AlterTable {
    std::string table;
    bool existing = false;
    std::size_t actions_begin = 0;
};

std::optional<AlterTable> parse_alter_table(const Tokens& tokens, const StatementContext& context) {
    Cursor c(tokens, 0, tokens.size());
    if (!c.accept({"alter", "table"})) return std::nullopt;
    c.accept({"if", "exists"});
    c.accept({"only"});
    AlterTable alter;
    alter.table = c.name();
    alter.existing = !context.created_tables.count(alter.table);
    alter.actions_begin = c.position();
    return alter;
}

class StatementChecks {
public:
    StatementChecks(const Tokens& tokens, StatementContext& context)
        : tokens_(tokens), context_(context) {}

    std::vector<RuleHit> run() {
        Cursor c(tokens_, 0, tokens_.size());
        if (c.accept({"create", "table"}) || c.accept({"create", "unlogged", "table"}) ||
            c.accept({"create", "temp", "table"}) || c.accept({"create", "temporary", "table"})) {
            c.accept({"if", "not", "exists"});
            context_.created_tables.insert(c.name());
        } else if (c.accept({"drop", "table"})) {
            check_drop_table(c);
        } else if (c.accept({"truncate"})) {
            c.accept({"table"});
            c.accept({"only"});
            if (upgrade()) {
                hit("truncate", fmt::format("TRUNCATE {} deletes every row; move data out in a "
                                            "reviewed data migration, or annotate why it is safe",
                                            c.name()));
            }
        } else if (c.accept({"delete", "from"})) {
            c.accept({"only"});
            const std::string table = c.name();
            if (upgrade() &&
                !contains(top_level_words(tokens_, c.position(), tokens_.size()), "where")) {
                hit("delete-without-where",
                    fmt::format(
                        "DELETE FROM {} without WHERE deletes every row; add a WHERE clause "
                        "naming the rows to remove",
                        table));
            }
        } else if (auto alter = parse_alter_table(tokens_, context_)) {
            check_alter_table(*alter);
        } else if (c.accept({"create"})) {
            c.accept({"unique"});
            if (c.accept({"index"})) check_create_index(c);
        } else if (c.accept({"drop", "index", "concurrently"}) || c.accept({"reindex"})) {
            if (contains(top_level_words(tokens_, 0, tokens_.size()), "concurrently")) {
                check_concurrently_in_transaction();
            }
        }
        return std::move(hits_);
    }

private:
    bool upgrade() const { return context_.direction == Direction::upgrade; }
    bool postgresql() const { return context_.dialect == Dialect::postgresql; }
    void hit(std::string_view rule, std::string message) {
        hits_.push_back({rule, std::move(message)});
    }

    void check_drop_table(Cursor& c) {
        c.accept({"if", "exists"});
        if (!upgrade()) return;
        hit("drop-table",
            fmt::format("DROP TABLE {} destroys the table and its data; stop using it "
                        "first and drop it in a later release, after a backup",
                        c.name()));
    }

    void check_concurrently_in_transaction() {
        if (!postgresql() || !context_.transactional) return;
        hit("pg-concurrently-in-transaction",
            "CONCURRENTLY cannot run inside a transaction block; put the statement in a section "
            "marked '-- migrate:upgrade transaction:false' (or downgrade)");
    }

    void check_create_index(Cursor& c) {
        const bool concurrently = c.accept({"concurrently"});
        if (concurrently) check_concurrently_in_transaction();
        c.accept({"if", "not", "exists"});
        if (c.word() != "on") c.name();  // the index name
        if (!c.accept({"on"})) return;
        c.accept({"only"});
        const std::string table = c.name();
        if (concurrently || !postgresql() || !upgrade() || context_.created_tables.count(table))
            return;
        hit("pg-create-index-blocking",
            fmt::format("CREATE INDEX on existing table {} blocks its writes while the index "
                        "builds; use CREATE INDEX CONCURRENTLY in a transaction:false section",
                        table));
    }

    void check_alter_table(const AlterTable& alter) {
        const auto ranges = actions(tokens_, alter.actions_begin);
        if (context_.dialect == Dialect::sqlite) check_sqlite_alter(alter, ranges);
        for (const auto& [begin, end] : ranges) {
            Cursor c(tokens_, begin, end);
            if (c.accept({"rename"})) {
                check_rename(alter, c);
            } else if (c.accept({"drop"})) {
                check_drop_action(alter, c);
            } else if (postgresql() && upgrade() && alter.existing) {
                check_postgres_action(alter, c);
            }
        }
    }

    void check_rename(const AlterTable& alter, Cursor& c) {
        if (!upgrade() || c.word() == "constraint") return;
        if (c.accept({"to"})) {
            hit("rename-table",
                fmt::format("renaming table {} to {} breaks code still using the old "
                            "name during a deploy; add the new table or a view "
                            "first and switch code over before removing the old name",
                            alter.table, c.name()));
            return;
        }
        c.accept({"column"});
        const std::string column = c.name();
        hit("rename-column",
            fmt::format("renaming column {}.{} breaks code still using the old name "
                        "during a deploy; add the new column, copy, switch code over, "
                        "then drop the old one",
                        alter.table, column));
    }

    void check_drop_action(const AlterTable& alter, Cursor& c) {
        static const std::set<std::string> not_columns = {"constraint", "default", "not",
                                                          "expression", "identity"};
        if (!upgrade() || not_columns.count(c.word())) return;
        c.accept({"column"});
        c.accept({"if", "exists"});
        hit("drop-column", fmt::format("dropping column {}.{} destroys its data and breaks code "
                                       "still reading it; stop using it first and drop it in a "
                                       "later release",
                                       alter.table, c.name()));
    }

    void check_postgres_action(const AlterTable& alter, Cursor& c) {
        const auto words = top_level_words(tokens_, c.position(), c.end());
        if (c.accept({"add"})) {
            const bool foreign_key =
                contains_sequence(words, "foreign", "key") || contains(words, "references");
            if (foreign_key && !contains_sequence(words, "not", "valid")) {
                hit("pg-add-foreign-key-validating",
                    fmt::format("adding a foreign key to existing table {} checks every row while "
                                "both tables are locked; add it with NOT VALID, then VALIDATE "
                                "CONSTRAINT in a later migration",
                                alter.table));
            }
            if (c.word() != "constraint" && volatile_default(tokens_, c.position(), c.end())) {
                hit("pg-add-column-volatile-default",
                    fmt::format("a column added to existing table {} with a volatile default "
                                "rewrites the whole table under an exclusive lock; add it without "
                                "a default, then fill it in batches",
                                alter.table));
            }
            return;
        }
        if (!c.accept({"alter"})) return;
        c.accept({"column"});
        const std::string column = c.name();
        if (c.accept({"set", "not", "null"})) {
            hit("pg-set-not-null",
                fmt::format("SET NOT NULL on {}.{} scans the whole table under an exclusive lock; "
                            "add a CHECK ({} IS NOT NULL) NOT VALID constraint, VALIDATE it, then "
                            "SET NOT NULL",
                            alter.table, column, column));
        } else if (c.accept({"type"}) || c.accept({"set", "data", "type"})) {
            hit("pg-alter-column-type",
                fmt::format("changing the type of {}.{} rewrites the table under an exclusive "
                            "lock; add a new column, backfill it in batches and switch over",
                            alter.table, column));
        }
    }

    // SQLite's ALTER TABLE takes one action: RENAME TO, RENAME [COLUMN] a TO b, ADD [COLUMN] or
    // DROP [COLUMN]; constraints cannot be added or dropped and columns cannot be altered.
    void check_sqlite_alter(const AlterTable& alter,
                            const std::vector<std::pair<std::size_t, std::size_t>>& ranges) {
        auto unsupported = [&](const std::string& what) {
            hit("sqlite-alter-unsupported",
                fmt::format("SQLite cannot {} with ALTER TABLE {}; rebuild the table instead "
                            "(create the new table, copy the rows, drop the old one, rename)",
                            what, alter.table));
        };
        if (ranges.size() > 1) return unsupported("run several actions in one statement");
        if (ranges.empty()) return;
        Cursor c(tokens_, ranges.front().first, ranges.front().second);
        const std::string verb = c.word();
        const std::string object = c.word(1);
        if (verb == "rename") return;
        if (verb == "add" || verb == "drop") {
            static const std::set<std::string> constraints = {"constraint", "primary", "unique",
                                                              "foreign", "check"};
            if (constraints.count(object)) unsupported(fmt::format("{} a constraint", verb));
            return;
        }
        unsupported(verb.empty() ? std::string("do this") : fmt::format("{} a column", verb));
    }

    const Tokens& tokens_;
    StatementContext& context_;
    std::vector<RuleHit> hits_;
};

}  // namespace

const char* to_string(Severity severity) {
    return severity == Severity::error ? "error" : "warning";
}

const std::vector<LintRule>& lint_rules() { return kRules; }

const LintRule* find_lint_rule(std::string_view id) {
    for (const auto& rule : kRules) {
        if (rule.id == id) return &rule;
    }
    return nullptr;
}

std::vector<RuleHit> check_statement(const Tokens& tokens, StatementContext& context) {
    return StatementChecks(tokens, context).run();
}

std::string altered_existing_table(const Tokens& tokens, const StatementContext& context) {
    const auto alter = parse_alter_table(tokens, context);
    return alter && alter->existing ? alter->table : std::string();
}

bool sets_lock_timeout(const Tokens& tokens) {
    Cursor c(tokens, 0, tokens.size());
    if (!c.accept({"set"})) return false;
    if (!c.accept({"local"})) c.accept({"session"});
    return c.word() == "lock_timeout";
}

}  // namespace fastappkit
