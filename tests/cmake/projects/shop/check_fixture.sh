#!/bin/sh
# A test of the consumer project: its fixture's database is in DATABASE_URL, migrated.
# Prints what it saw (the URL's password masked), for the scenario scripts to assert on.
set -eu
fixture=$1
url=${DATABASE_URL:-}
case $url in
  sqlite:///*)
    db=${url#sqlite:///}
    test -f "$db" || { echo "the database $db does not exist"; exit 1; }
    query() {
      if command -v sqlite3 >/dev/null 2>&1; then sqlite3 -batch -noheader "$db" "$1"
      else python3 -c 'import sqlite3, sys
for row in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print(*row, sep="|")' "$db" "$1"
      fi
    } ;;
  postgresql://*|postgres://*)
    query() { psql "$url" -X -q -t -A -v ON_ERROR_STOP=1 -c "$1"; } ;;
  *) echo "DATABASE_URL is '$url', which this check cannot read"; exit 1 ;;
esac
payments=$(query "SELECT count(*) FROM payment")
core=$(query "SELECT version_num FROM alembic_version")
masked=$(printf '%s' "$url" | sed 's#://\([^:/@]*\):[^@]*@#://\1:***@#')
echo "fixture $fixture: DATABASE_URL=$masked core=$core payments=$payments"
test "$core" = c0c0c0c0c002 && test "$payments" = 1
