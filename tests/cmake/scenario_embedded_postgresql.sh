# The embedded-migrations scenario (scenario_embedded.sh) against the installed package, on SQLite
# and on the PostgreSQL server given as the 7th argument.
MODE=find_package
source "$(dirname "$0")/scenario_embedded.sh"
