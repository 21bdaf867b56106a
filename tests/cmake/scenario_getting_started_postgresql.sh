# docs/getting-started.md on PostgreSQL (scenario_getting_started.sh with the server URL given as
# the 7th argument).
source "$(dirname "$0")/scenario_getting_started.sh"
