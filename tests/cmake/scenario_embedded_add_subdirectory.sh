# The embedded-migrations scenario (scenario_embedded.sh) with fastappkit from add_subdirectory.
MODE=add_subdirectory
source "$(dirname "$0")/scenario_embedded.sh"
