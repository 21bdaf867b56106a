# The embedded-migrations scenario (scenario_embedded.sh) with fastappkit from the installed package.
MODE=find_package
source "$(dirname "$0")/scenario_embedded.sh"
