# docs/getting-started.md, step by step, so that the guide cannot rot: a project made with
# `core new`, two external apps made with `app new --as-package` in their own checkouts
# (billing requires accounts, with a foreign key to its table), makemigrations in each
# checkout, migrate all, the requires order of a per-app downgrade, a changed model, lint
# --strict, the CMake targets, a CTest fixture and a program that migrates its own database.
# On SQLite, or on PostgreSQL when a server URL is given:
#   bash scenario_getting_started.sh ... <work dir> [<server URL>]
source "$(dirname "$0")/lib.sh"
SERVER_URL=${7:-}
RUNNER=$PREFIX/bin/fastappkit
rm -rf "$WORK" && mkdir -p "$WORK/logs"
cd "$WORK"

# The URL of database <name>: on the server, else a SQLite file in the work directory.
database_url() {
  if [[ -z "$SERVER_URL" ]]; then echo "sqlite:///$WORK/$1.db"; return; fi
  local base=${SERVER_URL%%\?*} query=
  [[ "$SERVER_URL" == *\?* ]] && query="?${SERVER_URL#*\?}"
  local scheme=${base%%://*} rest=${base#*://}
  echo "$scheme://${rest%%/*}/$1$query"
}
url=$(database_url fastappkit_guide)
fresh_url=$(database_url fastappkit_guide_fresh)
test_url=$(database_url fastappkit_guide_test)
if [[ -n "$SERVER_URL" ]]; then
  trap 'for u in "$url" "$fresh_url" "$test_url"; do "$RUNNER" -q --database-url "$u" db drop >/dev/null 2>&1 || true; done' EXIT
  run_ok "$WORK/logs/reset.log" "$RUNNER" -q --database-url "$url" db reset
fi

step "1. the project and its apps"
log=$WORK/logs/new.log
run_ok "$log" "$RUNNER" core new shop
assert_in_log "$log" "Created project $WORK/shop" "core new"
run_fails "$WORK/logs/bad_name.log" "$RUNNER" core new my-shop
assert_in_log "$WORK/logs/bad_name.log" "(for example 'my_shop')" "core new with a hyphen"
run_ok "$WORK/logs/accounts.log" "$RUNNER" app new accounts --as-package
run_ok "$WORK/logs/billing.log" "$RUNNER" app new billing --as-package

step "2. the models"
cat >accounts/accounts/models.sql <<'SQL'
-- accounts: users
CREATE TABLE accounts_user (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE
);
SQL
cat >billing/billing/models.sql <<'SQL'
-- billing: invoices, each for an accounts user
CREATE TABLE billing_invoice (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES accounts_user (id),
    amount_cents INTEGER NOT NULL
);
SQL
sed -i 's/^# requires = \[\].*/requires = ["accounts"]/' billing/billing/fastappkit.toml
grep -qx 'requires = \["accounts"\]' billing/billing/fastappkit.toml || fail "billing's manifest has no requires line"

step "3. makemigrations in each app's checkout"
for app in accounts billing; do echo "DATABASE_URL=$url" >"$app/.env"; done
log=$WORK/logs/make_accounts.log
(cd accounts && run_ok "$log" "$RUNNER" migrate app accounts makemigrations -m "create user")
assert_in_log "$log" "add table accounts_user" "makemigrations of accounts"
log=$WORK/logs/make_billing.log
(cd billing && run_ok "$log" "$RUNNER" migrate app billing makemigrations -m "create invoice")
assert_in_log "$log" "add table billing_invoice" "makemigrations of billing"
assert_not_in_log "$log" "accounts_user" "billing's migration (its own tables only)"

step "4. the project migrates"
sed -i 's/^apps = \[\]/apps = ["accounts", "billing"]/; s/^# app_path = \["external"\]/app_path = [".."]/' \
  shop/fastappkit.toml
echo "DATABASE_URL=$url" >shop/.env
cd shop
log=$WORK/logs/list.log
run_ok "$log" "$RUNNER" app list -v
assert_in_log "$log" "requires accounts" "app list -v"
log=$WORK/logs/all.log
run_ok "$log" "$RUNNER" migrate all
assert_in_log "$log" "Applied 2 migrations" "migrate all"
log=$WORK/logs/status.log
run_ok "$log" "$RUNNER" migrate status --exit-code
assert_in_log "$log" "Database: " "migrate status"
run_ok "$WORK/logs/check.log" "$RUNNER" migrate check
assert_in_log "$WORK/logs/check.log" "billing: models and migrations agree" "migrate check"
log=$WORK/logs/downgrade.log
run_fails "$log" "$RUNNER" migrate app accounts downgrade base
assert_in_log "$log" "App 'billing' requires 'accounts' and is applied" "a per-app downgrade out of order"
run_fails "$WORK/logs/make_refused.log" "$RUNNER" migrate app billing makemigrations -m x
assert_in_log "$WORK/logs/make_refused.log" "belongs in its own checkout" "makemigrations in the project"

step "5. a changed model"
echo "CREATE INDEX billing_invoice_user_idx ON billing_invoice (user_id);" >>../billing/billing/models.sql
log=$WORK/logs/make_index.log
(cd ../billing && run_ok "$log" "$RUNNER" migrate app billing makemigrations -m "index invoices by user")
assert_in_log "$log" "add index billing_invoice_user_idx on billing_invoice (user_id)" "makemigrations"
log=$WORK/logs/lint.log
(cd ../billing && run_ok "$log" "$RUNNER" migrate lint --strict)
assert_in_log "$log" "0 errors, 0 warnings" "lint --strict of the generated migrations"
log=$WORK/logs/all_again.log
run_ok "$log" "$RUNNER" migrate all
assert_in_log "$log" "Applied 1 migration" "migrate all after the change"

step "6-8. targets, a fixture and a program that migrates itself"
cat >>CMakeLists.txt <<CMAKE
enable_testing()
fastappkit_add_test_fixture(shop_db DATABASE_URL "$test_url")
add_executable(shop main.cpp)
fastappkit_embed_migrations(shop)
if(TARGET fastappkit::postgresql)
  target_link_libraries(shop PRIVATE fastappkit::postgresql)
endif()
fastappkit_add_test(NAME shop_starts COMMAND shop FIXTURE shop_db)
CMAKE
cat >main.cpp <<'CPP'
#include <cstdlib>
#include <iostream>

#include <fastappkit/embedded.h>

int main() {
    const char* url = std::getenv("DATABASE_URL");
    try {
        fastappkit::MigrateOptions options;
        options.on_applied = [](const fastappkit::AppliedMigration& m) {
            std::cout << "applied " << m.history << " " << m.revision << " " << m.message << "\n";
        };
        const auto applied = fastappkit::migrate_all(url ? url : "sqlite:///shop.db", options);
        std::cout << "database ready (" << applied.size() << " migrations applied)\n";
    } catch (const fastappkit::Error& e) {
        std::cerr << e.what() << "\n";
        return e.exit_code();
    }
}
CPP
BUILD=$WORK/shop/build
run_ok "$WORK/logs/configure.log" "$CMAKE" -S . -B "$BUILD" -G Ninja -D "CMAKE_MAKE_PROGRAM=$NINJA" \
  -D "CMAKE_PREFIX_PATH=$PREFIX"
log=$WORK/logs/migrate_all.log
run_ok "$log" "$CMAKE" --build "$BUILD" --target migrate_all
assert_in_log "$log" "billing is up to date" "the migrate_all target"
run_ok "$WORK/logs/build.log" "$CMAKE" --build "$BUILD"
log=$WORK/logs/ctest.log
run_ok "$log" "$CTEST" --test-dir "$BUILD" --output-on-failure
assert_in_log "$log" "100% tests passed, 0 tests failed out of 7" "the project's tests"
[[ -n "$SERVER_URL" ]] && run_ok "$WORK/logs/fresh.log" "$RUNNER" -q --database-url "$fresh_url" db reset
log=$WORK/logs/program.log
run_ok "$log" env "DATABASE_URL=$fresh_url" "$BUILD/shop"
assert_in_log "$log" "database ready (3 migrations applied)" "the program's first start"
log=$WORK/logs/program_again.log
run_ok "$log" env "DATABASE_URL=$fresh_url" "$BUILD/shop"
assert_in_log "$log" "database ready (0 migrations applied)" "the program's second start"
echo "PASS"
