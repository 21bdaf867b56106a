#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster for the tests and CI, and prints on stdout the
# variables that point at it, for:
#
#   eval "$(bash tests/support/pg-start.sh)"
#   ...
#   bash tests/support/pg-stop.sh
#
# The cluster listens on 127.0.0.1 only, on FASTAPPKIT_PG_PORT (default 55432), with its unix
# socket inside its own directory (FASTAPPKIT_PG_DIR, default /tmp/fastappkit-pg-<port>), and
# asks TCP clients for a scram-sha-256 password. It has a role `fastappkit` (CREATEDB) owning a
# database `fastappkit_test`. Running it again while the cluster runs only prints the variables.
# Run it as root (the server then runs as the `postgres` user) or as any other user that owns
# the directory. Everything but the variables goes to stderr. For the tests the cluster skips
# syncing to disk (fsync, synchronous_commit and full_page_writes off); FASTAPPKIT_PG_DURABLE=1
# keeps PostgreSQL's durable defaults instead, for benchmarks that must count what a commit
# costs on a real server.
set -euo pipefail

pg_bin=${FASTAPPKIT_PG_BIN:-/usr/lib/postgresql/15/bin}
port=${FASTAPPKIT_PG_PORT:-55432}
dir=${FASTAPPKIT_PG_DIR:-${TMPDIR:-/tmp}/fastappkit-pg-$port}
user=fastappkit
password=${FASTAPPKIT_PG_PASSWORD:-fk_test_pw}
database=fastappkit_test
admin_password=fk_admin_pw

data=$dir/data
socket=$dir/socket

say() { echo "pg-start: $*" >&2; }

# Runs a command as the server's owner: `postgres` when we are root, else ourselves.
as_owner() {
    if [[ $EUID -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

prepare_directory() {
    mkdir -p "$dir"
    touch "$dir/.fastappkit-pg"  # marks the directory as ours for pg-stop.sh
    if [[ $EUID -eq 0 ]]; then
        getent passwd postgres >/dev/null || { say "there is no postgres user."; exit 1; }
        chown postgres: "$dir"
    fi
    chmod 0700 "$dir"
}

init_cluster() {
    [[ -f $data/PG_VERSION ]] && return
    rm -rf "$data" "$socket"
    as_owner mkdir -p "$socket"
    local pwfile=$dir/pwfile
    (umask 077 && echo "$admin_password" >"$pwfile")
    [[ $EUID -eq 0 ]] && chown postgres: "$pwfile"
    # The socket directory is private (0700), so trusting local connections admits only the
    # directory's owner; TCP clients must give a password.
    as_owner "$pg_bin/initdb" -D "$data" -U postgres --pwfile="$pwfile" -E UTF8 --no-sync \
        --auth-local=trust --auth-host=scram-sha-256 >&2
    rm -f "$pwfile"
    cat <<EOF | as_owner tee -a "$data/postgresql.conf" >/dev/null
# fastappkit test cluster
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$socket'
unix_socket_permissions = 0700
password_encryption = 'scram-sha-256'
EOF
    if [[ ${FASTAPPKIT_PG_DURABLE:-0} != 1 ]]; then
        printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n' |
            as_owner tee -a "$data/postgresql.conf" >/dev/null
    fi
}

start_server() {
    if as_owner "$pg_bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        say "the cluster in $dir is already running."
        return
    fi
    as_owner "$pg_bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >&2 || {
        say "the server did not start; its log follows."
        cat "$dir/server.log" >&2 || true
        exit 1
    }
}

create_role_and_database() {
    as_owner "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$socket" -p "$port" -U postgres \
        -d postgres >&2 <<EOF
SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', '$user', '$password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$user')
\gexec
ALTER ROLE $user WITH LOGIN CREATEDB PASSWORD '$password';
SELECT format('CREATE DATABASE %I OWNER %I', '$database', '$user')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$database')
\gexec
EOF
}

prepare_directory
init_cluster
start_server
create_role_and_database

echo "export FASTAPPKIT_TEST_POSTGRES_URL=postgresql://$user:$password@127.0.0.1:$port/$database"
echo "export FASTAPPKIT_TEST_POSTGRES_ADMIN_URL=postgresql://postgres:$admin_password@127.0.0.1:$port/postgres"
echo "export FASTAPPKIT_PG_DIR=$dir"
echo "export FASTAPPKIT_PG_PORT=$port"
