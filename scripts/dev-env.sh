#!/usr/bin/env bash
# dev-env.sh runs a command with the development settings of deploy/dev.env, the
# ones `make up` gives the services, e.g.:
#   scripts/dev-env.sh bin/payctl --help
# Without a command it prints them as shell exports: eval "$(scripts/dev-env.sh)".
# A variable already set in the environment wins over deploy/dev.env.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
die() {
	printf 'dev-env: ERROR: %s\n' "$*" >&2
	exit 1
}
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

load_env "$DEV_ENV"
if [[ $# -gt 0 ]]; then
	exec "$@"
fi
# Print the variables the file names, with the values in force.
while IFS= read -r key; do
	if [[ -n "${!key+x}" ]]; then printf 'export %s=%q\n' "$key" "${!key}"; fi
done < <(sed -nE 's/^[[:space:]]*([A-Z_][A-Z0-9_]*)=.*/\1/p' "$DEV_ENV")
