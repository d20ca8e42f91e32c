#!/usr/bin/env bash
# modules.sh prints the directories of the workspace's modules (the `use` list of
# go.work), relative to the repository root, one per line: ./pkg, ./services/topup...
# With --patterns it prints package patterns instead (./pkg/...), which `go test`,
# `go vet` and staticcheck accept together in one run in workspace mode, whereas a
# pattern spanning several modules (./services/...) is refused.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

suffix=
case ${1:-} in
--patterns) suffix=/... ;;
"") ;;
*)
	echo "usage: $0 [--patterns]" >&2
	exit 2
	;;
esac

dirs=$(go list -m -f '{{.Dir}}')
[[ -n "$dirs" ]] || {
	echo "modules.sh: go list -m found no modules" >&2
	exit 1
}
while IFS= read -r dir; do
	if [[ "$dir" == "$ROOT" ]]; then
		echo ".$suffix"
	else
		echo "./${dir#"$ROOT"/}$suffix"
	fi
done <<<"$dirs"
