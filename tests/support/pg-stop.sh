#!/usr/bin/env bash
# Stops the throwaway PostgreSQL cluster started by pg-start.sh and removes its directory
# (FASTAPPKIT_PG_DIR, default /tmp/fastappkit-pg-<FASTAPPKIT_PG_PORT or 55432>). Does nothing
# when there is no such cluster; never removes a directory pg-start.sh did not create.
set -euo pipefail

pg_bin=${FASTAPPKIT_PG_BIN:-/usr/lib/postgresql/15/bin}
port=${FASTAPPKIT_PG_PORT:-55432}
dir=${FASTAPPKIT_PG_DIR:-${TMPDIR:-/tmp}/fastappkit-pg-$port}
data=$dir/data

say() { echo "pg-stop: $*" >&2; }

as_owner() {
    if [[ $EUID -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

if [[ ! -f $dir/.fastappkit-pg ]]; then
    say "no fastappkit test cluster in $dir."
    exit 0
fi

if [[ -f $data/PG_VERSION ]] && as_owner "$pg_bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_owner "$pg_bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >&2
fi
rm -rf "$dir"
