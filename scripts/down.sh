#!/usr/bin/env bash
# down.sh stops the services that up.sh started, in reverse start order: SIGTERM,
# then a wait of up to STOP_WAIT seconds (default 20) for a graceful drain, and
# only then SIGKILL. Pid files of stopped services are removed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly STOP_WAIT=${STOP_WAIT:-20}

log() { printf 'down: %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

# stop ends service $1 if its pid file names a live process of it.
stop() {
	local name=$1 pid waited=0
	if ! pid=$(service_pid "$name") || ! pid_alive "$name" "$pid"; then
		rm -f "$RUN_DIR/$name.pid"
		log "$name is not running"
		return 0
	fi
	log "stopping $name (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null; do
		if ((waited >= STOP_WAIT * 10)); then
			log "$name did not stop within ${STOP_WAIT}s; sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.1
		waited=$((waited + 1))
	done
	rm -f "$RUN_DIR/$name.pid"
	log "$name stopped"
}

main() {
	local i
	for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
		stop "${SERVICES[i]}"
	done
}

main "$@"
