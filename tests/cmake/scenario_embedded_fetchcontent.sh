# The embedded-migrations scenario (scenario_embedded.sh) with fastappkit from fetchcontent.
MODE=fetchcontent
source "$(dirname "$0")/scenario_embedded.sh"
