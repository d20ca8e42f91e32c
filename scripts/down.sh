#!/usr/bin/env bash
# down.sh stops the services that up.sh started, in reverse start order: SIGTERM,
# then a wait of up to STOP_WAIT seconds (default 20) for a graceful drain, and
# only then SIGKILL. Pid files of stopped services are removed.
#
# down.sh --reset (`make reset`, `make clean`) then starts the suite over: it
# removes the development chains' data folders (DEVCHAIN_DATA_DIR,
# DEVCHAIN_BSC_DATA_DIR), drops the
# services' MariaDB schemas (the *_MYSQL_SCHEMA settings of deploy/dev.env) and
# empties the suite's RabbitMQ queues, and says what it removed. Schemas and queues
# go with the chain because they hold deposits, orders and nonces of that chain.
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

# remove_chain_data removes development chain $1's data folder.
remove_chain_data() {
	local dir
	dir=$(devchain_data_dir "$1")
	if [[ -z "$dir" ]]; then
		log "reset: $1 keeps its chain in memory: no chain data to remove"
		return 0
	fi
	if [[ ! -e "$dir" ]]; then
		log "reset: no chain data in $dir"
		return 0
	fi
	# Only a folder the chain made (or an empty one) is removed: a mistyped setting
	# must not delete something else.
	if [[ -n "$(ls -A "$dir")" && ! -d "$dir/devchain" ]]; then
		die "reset: $dir ($1's data folder) is not a development chain's data folder; not removing it"
	fi
	rm -rf -- "$dir"
	log "reset: removed $1's chain data ($dir)"
}

# drop_schemas drops the services' MariaDB schemas that exist.
drop_schemas() {
	local schemas s
	if ! schemas=$(existing_schemas); then
		log "reset: WARNING: could not reach MariaDB as root on 127.0.0.1:3306: schemas not dropped" \
			"($(suite_schemas | paste -sd' ' -)); 'make up' refuses to start a new chain beside them"
		return 0
	fi
	if [[ -z "$schemas" ]]; then
		log "reset: no MariaDB schema of the suite to drop"
		return 0
	fi
	for s in $schemas; do
		mariadb_root -e "DROP DATABASE IF EXISTS \`$s\`" || die "reset: could not drop schema $s"
	done
	log "reset: dropped MariaDB schemas: $(paste -sd' ' - <<<"$schemas")"
}

# purge_queues empties the suite's queues (pay.* and internal.*) in its two
# virtual hosts: AMQP_URL's and the internal one (pkg/broker InternalVhost).
purge_queues() {
	local vhost url name messages purged=() out
	if ! command -v rabbitmqctl >/dev/null 2>&1; then
		log "reset: WARNING: no rabbitmqctl: RabbitMQ queues not emptied"
		return 0
	fi
	url=${AMQP_URL#*://}
	vhost=${url#*/}
	[[ "$url" == */* && -n "$vhost" ]] || vhost=/
	vhost=${vhost//%2[Ff]//}
	for vhost in "$vhost" paysuite.internal; do
		if ! out=$(rabbitmqctl -q list_queues -p "$vhost" name messages 2>/dev/null); then
			log "reset: WARNING: could not list the queues of RabbitMQ vhost $vhost: not emptied"
			continue
		fi
		while IFS=$'\t' read -r name messages; do
			[[ "$name" =~ ^(pay|internal)\. ]] || continue
			if rabbitmqctl -q purge_queue -p "$vhost" "$name" >/dev/null 2>&1; then
				purged+=("$vhost:$name (${messages:-?} messages)")
			else
				log "reset: WARNING: could not empty queue $name in vhost $vhost"
			fi
		done <<<"$out"
	done
	if ((${#purged[@]} == 0)); then
		log "reset: no RabbitMQ queue of the suite to empty"
	else
		log "reset: emptied RabbitMQ queues: ${purged[*]}"
	fi
}

main() {
	local i reset=false
	case ${1:-} in
	--reset) reset=true ;;
	'') ;;
	*) die "usage: down.sh [--reset]" ;;
	esac
	for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
		stop "${SERVICES[i]}"
	done
	if $reset; then
		load_env "$DEV_ENV"
		for i in "${DEVCHAINS[@]}"; do
			remove_chain_data "$i"
		done
		drop_schemas
		purge_queues
	fi
}

main "$@"
