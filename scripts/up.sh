#!/usr/bin/env bash
# up.sh starts the suite for development: the development chain, then the other
# services in the order of SERVICES (scripts/lib.sh), each in the background with
# its log in .run/<name>.log and its pid in .run/<name>.pid. It expects the
# binaries in bin/ (`make build`) and the local RabbitMQ and MariaDB up
# (scripts/ensure-infra.sh); `make up` does both first. A service whose binary is
# missing from bin/ is skipped with a warning, so the others can still be tried.
#
# Running it again starts only what is not running. Settings come from
# deploy/dev.env; a variable already set in the environment wins.
#
# Two development chains run: ETH (devchain, chain id 1337, 8545/8546) and BSC
# (devchain-bsc, chain id 1338, 8547/8548). When the node URL of one
# (CHAIN_ETH_RPC_URL, CHAIN_BSC_RPC_URL) is set in the environment and names
# another node than its development chain's, that node is used and that
# development chain is not started.
#
# Each development chain keeps its data in a folder (DEVCHAIN_DATA_DIR,
# DEVCHAIN_BSC_DATA_DIR: .run/devchain, .run/devchain-bsc), so `make down` then
# `make up` continues the same chains. A new chain beside schemas left by an
# earlier one is refused: the services would remember deposits and nonces of a
# chain that no longer exists. `make reset` starts both over.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly CHAIN_WAIT=${CHAIN_WAIT:-60} HEALTH_WAIT=${HEALTH_WAIT:-30}

log() { printf 'up: %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

# service_env prints the settings that differ between services (see dev.env):
# <PREFIX>_HTTP_ADDR and <PREFIX>_MYSQL_SCHEMA become HTTP_ADDR and MYSQL_SCHEMA,
# and AMQP_URL names the service's own RabbitMQ user.
service_env() {
	local prefix addr_var schema_var
	if is_devchain "$1"; then
		echo "HTTP_ADDR=$(devchain_var "$1" OPS_HTTP_ADDR)"
		echo "DEVCHAIN_HTTP_ADDR=$(devchain_var "$1" HTTP_ADDR)"
		echo "DEVCHAIN_WS_ADDR=$(devchain_var "$1" WS_ADDR)"
		echo "DEVCHAIN_DATA_DIR=$(devchain_data_dir "$1")"
		echo "DEVCHAIN_CHAIN_ID=$(devchain_chain_id "$1")"
		return 0
	fi
	prefix=$(env_prefix "$1")
	addr_var=${prefix}_HTTP_ADDR
	schema_var=${prefix}_MYSQL_SCHEMA
	[[ -n "${!addr_var:-}" ]] || die "$addr_var is not set (deploy/dev.env)"
	[[ -n "${!schema_var:-}" ]] || die "$schema_var is not set (deploy/dev.env)"
	echo "HTTP_ADDR=${!addr_var}"
	echo "MYSQL_SCHEMA=${!schema_var}"
	# Each service connects as its own RabbitMQ user (scripts/broker-users.sh --dev).
	echo "AMQP_URL=amqp://$1:$1@127.0.0.1:5672/"
}

# start launches bin/$1 in the background unless it already runs.
start() {
	local name=$1 bin pid
	local -a extra
	if running "$name"; then
		log "$name already running (pid $(service_pid "$name"))"
		return 0
	fi
	bin="$BIN_DIR/$(service_bin "$name")"
	[[ -x "$bin" ]] || die "$bin is missing; run 'make build'"
	mapfile -t extra < <(service_env "$name")
	printf '\n==== %s started %s ====\n' "$name" "$(date -u +%FT%TZ)" >>"$RUN_DIR/$name.log"
	# nohup: the service outlives the terminal that ran `make up`.
	nohup env "${extra[@]}" "$bin" >>"$RUN_DIR/$name.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$RUN_DIR/$name.pid"
	log "started $name (pid $pid, log .run/$name.log)"
}

# fail_with_log reports a service that stopped or never became ready.
fail_with_log() {
	log "last lines of .run/$1.log:"
	tail -n 30 "$RUN_DIR/$1.log" >&2 || true
	die "$2"
}

# wait_until runs "$@" once a second until it succeeds, for at most $2 seconds,
# failing at once if service $1 exits meanwhile.
wait_until() {
	local name=$1 limit=$2 waited=0
	shift 2
	until "$@"; do
		running "$name" || fail_with_log "$name" "$name exited during start-up"
		((waited < limit)) || return 1
		if ((waited > 0 && waited % 5 == 0)); then
			log "waiting for $name (${waited}s of ${limit}s)"
		fi
		sleep 1
		waited=$((waited + 1))
	done
}

# chain_answers succeeds when the JSON-RPC endpoint at $1 answers eth_chainId.
chain_answers() {
	curl -fsS --max-time 2 -H 'Content-Type: application/json' \
		--data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' \
		"$1" 2>/dev/null | grep -q '"result"'
}

# healthy succeeds when /healthz at HTTP address $1 answers with a 2xx status.
healthy() {
	curl -fsS --max-time 2 -o /dev/null "http://$1/healthz" 2>/dev/null
}

# start_service starts a long-running service and waits for its /healthz. A
# service that exits fails the start; one that runs but does not answer yet is
# only reported, since it may still be catching up with the chain.
start_service() {
	local name=$1 addr
	start "$name"
	addr=$(service_env "$name" | sed -n 's/^HTTP_ADDR=//p')
	if ! wait_until "$name" "$HEALTH_WAIT" healthy "$addr"; then
		log "WARNING: $name runs but http://$addr/healthz did not answer within ${HEALTH_WAIT}s; see .run/$name.log"
		return 0
	fi
	log "$name is healthy (http://$addr/healthz)"
}

# check_new_chain refuses to create a chain in data folder $1 while MariaDB holds
# the services' schemas of an earlier one.
check_new_chain() {
	local schemas
	if ! schemas=$(existing_schemas); then
		log "WARNING: could not ask MariaDB whether the suite's schemas exist; starting a new chain"
		return 0
	fi
	[[ -z "$schemas" ]] && return 0
	die "the development chain is new (no chain in $1), but MariaDB still has the schemas" \
		"of an earlier one: $(paste -sd' ' - <<<"$schemas"). Run 'make reset' to start over" \
		"(it drops them, the chain data and the queues' messages), or restore the chain folder."
}

# head_block prints the chain's head block number (decimal) from the JSON-RPC endpoint at $1.
head_block() {
	local hex
	hex=$(curl -fsS --max-time 2 -H 'Content-Type: application/json' \
		--data '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}' "$1" |
		sed -nE 's/.*"result":"0x([0-9a-fA-F]+)".*/\1/p')
	[[ -n "$hex" ]] && echo $((16#$hex))
}

# devchain_chain_id prints the chain id of development chain $1 (contract section 5).
devchain_chain_id() {
	if [[ $1 == devchain-bsc ]]; then echo 1338; else echo 1337; fi
}

# node_given prints the node URL set for development chain $1's chain in the
# caller's environment (before dev.env is read), if any.
node_given() {
	if [[ $1 == devchain ]]; then
		echo "${CHAIN_ETH_RPC_URL:-}"
	else
		local var
		var=CHAIN_$(env_prefix "${1#devchain-}")_RPC_URL
		echo "${!var:-}"
	fi
}

# start_chain starts development chain $1, unless it runs, and says whether it
# created a chain or continued the stored one.
start_chain() {
	local name=$1 data state="a new chain in memory" head url
	url="http://$(devchain_var "$name" HTTP_ADDR)"
	data=$(devchain_data_dir "$name")
	if [[ -n "$data" ]]; then
		if running "$name"; then
			state="the running chain"
		elif devchain_has_chain "$data"; then
			state="the chain in $data, continued"
		else
			check_new_chain "$data"
			state="a new chain in $data"
		fi
	fi
	start "$name"
	wait_until "$name" "$CHAIN_WAIT" chain_answers "$url" ||
		fail_with_log "$name" "$name did not answer eth_chainId on $url within ${CHAIN_WAIT}s"
	head=$(head_block "$url") || head=unknown
	log "$name (chain id $(devchain_chain_id "$name")) answers eth_chainId on $url: $state, head block $head"
}

main() {
	mkdir -p "$RUN_DIR"
	local name given
	declare -A nodes_given
	for name in "${DEVCHAINS[@]}"; do
		nodes_given[$name]=$(node_given "$name")
	done
	load_env "$DEV_ENV"

	for name in "${DEVCHAINS[@]}"; do
		given=${nodes_given[$name]}
		if [[ -n "$given" && "$given" != "http://$(devchain_var "$name" HTTP_ADDR)" ]]; then
			log "$given is set as the node of $name's chain: not starting $name"
		else
			start_chain "$name"
		fi
	done
	local started=() skipped=()
	for name in "${SERVICES[@]}"; do
		is_devchain "$name" && continue
		if [[ ! -x "$BIN_DIR/$name" ]]; then
			log "WARNING: $BIN_DIR/$name is missing; not starting $name (run 'make build')"
			skipped+=("$name")
			continue
		fi
		start_service "$name"
		started+=("$name")
	done

	cat >&2 <<MSG

The suite is up: ${started[*]:-no service}${skipped[*]:+ (skipped, no binary: ${skipped[*]})}.
Logs are in .run/, 'make down' stops it.
  ETH (chain id $CHAIN_ETH_CHAIN_ID): JSON-RPC $CHAIN_ETH_RPC_URL, WebSocket $CHAIN_ETH_WS_URL
  BSC (chain id $CHAIN_BSC_CHAIN_ID): JSON-RPC $CHAIN_BSC_RPC_URL, WebSocket $CHAIN_BSC_WS_URL
  RabbitMQ $AMQP_URL, MariaDB $MYSQL_DSN
Drive it with the CLI under the same settings:
  scripts/dev-env.sh bin/payctl --help
MSG
}

main "$@"
