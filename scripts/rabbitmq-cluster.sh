#!/usr/bin/env bash
# rabbitmq-cluster.sh runs a three-node RabbitMQ cluster of the installed
# rabbitmq-server next to the main broker, for failover tests with quorum
# queues. It leaves the main node (rabbit@localhost, 127.0.0.1:5672) alone:
# each node has its own name, ports, data folder, configuration and Erlang
# cookie, and is started by running the server script directly (as root)
# with RABBITMQ_* variables that point at those, not at /etc/rabbitmq.
#
#   node  name            AMQP             distribution
#   1     pc1@localhost   127.0.0.1:5681   25681
#   2     pc2@localhost   127.0.0.1:5682   25682
#   3     pc3@localhost   127.0.0.1:5683   25683
#
# Usage: rabbitmq-cluster.sh <command>
#   start          start the nodes that are down and join 2 and 3 to 1 (idempotent)
#   stop           stop every node and delete the cluster's data
#   kill <n>       SIGKILL node n's Erlang VM, as a crash would
#   restart <n>    start node n again (after kill or stop-node) and wait for it
#   stop-node <n>  stop node n gracefully
#   status         which nodes run, and the cluster status as node 1 sees it
#   urls [vhost]   the AMQP URLs of the three nodes, comma-separated (guest/guest)
#   ctl <n> ...    rabbitmqctl against node n, e.g. ctl 1 add_vhost test
#
# Environment:
#   CLUSTER_DIR    data, logs, configuration and cookie (/var/tmp/paysuite-rabbitmq-cluster)
#   CLUSTER_WAIT   seconds to wait for a node to start (120)
set -euo pipefail

readonly NODES=(1 2 3)
readonly AMQP_BASE=5680 DIST_BASE=25680
readonly RMQ_BIN=/usr/lib/rabbitmq/bin
CLUSTER_DIR=${CLUSTER_DIR:-/var/tmp/paysuite-rabbitmq-cluster}
CLUSTER_WAIT=${CLUSTER_WAIT:-120}

log() { printf 'rabbitmq-cluster: %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

node_name() { echo "pc$1@localhost"; }
node_dir() { echo "$CLUSTER_DIR/pc$1"; }
pid_file() { echo "$(node_dir "$1")/pid"; }

check_node() {
	[[ "${1:-}" =~ ^[123]$ ]] || die "node must be 1, 2 or 3, got '${1:-}'"
}

# ctl runs rabbitmqctl against node $1 with the cluster's cookie, which the
# Erlang VM reads from $HOME/.erlang.cookie.
ctl() {
	local n=$1
	shift
	HOME=$CLUSTER_DIR RABBITMQ_CONF_ENV_FILE=$CLUSTER_DIR/none \
		"$RMQ_BIN/rabbitmqctl" -n "$(node_name "$n")" "$@"
}

# beam_pid prints the pid of node $1's Erlang VM if it is alive.
beam_pid() {
	local f
	f=$(pid_file "$1")
	[[ -s "$f" ]] || return 1
	local pid
	pid=$(<"$f")
	kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

running() { beam_pid "$1" >/dev/null; }

prepare() {
	mkdir -p "$CLUSTER_DIR"
	chmod 700 "$CLUSTER_DIR"
	if [[ ! -s "$CLUSTER_DIR/.erlang.cookie" ]]; then
		(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$CLUSTER_DIR/.erlang.cookie")
	fi
	chmod 400 "$CLUSTER_DIR/.erlang.cookie"
	local n dir
	for n in "${NODES[@]}"; do
		dir=$(node_dir "$n")
		mkdir -p "$dir/mnesia" "$dir/log"
		cat >"$dir/rabbitmq.conf" <<-EOF
			listeners.tcp.local = 127.0.0.1:$((AMQP_BASE + n))
			loopback_users = none
			max_message_size = 2097152
			log.file.level = info
			log.console = false
		EOF
		echo '[].' >"$dir/enabled_plugins"
	done
}

# start_node launches node $1 in the background; it does not wait.
start_node() {
	local n=$1 dir
	dir=$(node_dir "$n")
	if running "$n"; then
		return 0
	fi
	rm -f "$(pid_file "$n")"
	(
		cd "$dir"
		RABBITMQ_NODENAME=$(node_name "$n")
		RABBITMQ_PID_FILE=$(pid_file "$n")
		export RABBITMQ_NODENAME RABBITMQ_PID_FILE
		export HOME=$CLUSTER_DIR
		# A file that does not exist: nothing of /etc/rabbitmq/rabbitmq-env.conf
		# (the main node's name) applies.
		export RABBITMQ_CONF_ENV_FILE=$CLUSTER_DIR/none
		export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
		export RABBITMQ_NODE_PORT=$((AMQP_BASE + n))
		export RABBITMQ_DIST_PORT=$((DIST_BASE + n))
		export RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf
		export RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins
		export RABBITMQ_MNESIA_BASE=$dir/mnesia
		export RABBITMQ_LOG_BASE=$dir/log
		export ERL_EPMD_ADDRESS=127.0.0.1
		export ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}"
		# Two quiet schedulers each: the machine is shared with the tests.
		export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="+S 2:2 +sbwt none +sbwtdcpu none +sbwtdio none"
		setsid "$RMQ_BIN/rabbitmq-server" >"$dir/log/startup.log" 2>&1 </dev/null &
	)
}

# await_node waits until node $1 has booted, or fails naming its log.
await_node() {
	local n=$1 began=$SECONDS
	# await_startup fails at once while the node is not yet reachable. The
	# VM writes its pid file early in the boot: a node without one after 10
	# seconds has failed to start.
	until ctl "$n" await_startup --timeout "$CLUSTER_WAIT" >/dev/null 2>&1; do
		if ((SECONDS - began >= CLUSTER_WAIT)) || { ! running "$n" && ((SECONDS - began >= 10)); }; then
			tail -n 30 "$(node_dir "$n")/log/startup.log" >&2 || true
			die "node $(node_name "$n") did not start within ${CLUSTER_WAIT}s (logs: $(node_dir "$n")/log)"
		fi
		sleep 0.5
	done
}

# clustered reports whether node $1 already lists pc1 as a disc node of its cluster.
clustered() {
	ctl "$1" cluster_status --formatter json 2>/dev/null | grep -q '"pc1@localhost"'
}

cmd_start() {
	local began=$SECONDS n
	command -v "$RMQ_BIN/rabbitmq-server" >/dev/null || die "rabbitmq-server is not installed (run scripts/ensure-infra.sh)"
	prepare
	for n in "${NODES[@]}"; do
		start_node "$n"
	done
	for n in "${NODES[@]}"; do
		await_node "$n"
	done
	local out
	for n in 2 3; do
		if ! clustered "$n"; then
			# The CLI reports transient errors of the restarting app on stderr:
			# shown only when joining fails.
			out=$({ ctl "$n" stop_app && ctl "$n" join_cluster "$(node_name 1)" && ctl "$n" start_app; } 2>&1) ||
				die "join $(node_name "$n") to $(node_name 1): $out"
		fi
	done
	ctl 1 await_online_nodes 3 --timeout "$CLUSTER_WAIT" >/dev/null
	log "cluster of 3 nodes up in $((SECONDS - began))s: $(cmd_urls)"
}

cmd_stop() {
	local n pid
	for n in "${NODES[@]}"; do
		if running "$n"; then
			ctl "$n" stop >/dev/null 2>&1 || true
		fi
	done
	for n in "${NODES[@]}"; do
		if pid=$(beam_pid "$n"); then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
	rm -rf "$CLUSTER_DIR"
	log "stopped; data removed"
}

cmd_kill() {
	check_node "${1:-}"
	local pid
	pid=$(beam_pid "$1") || die "node $(node_name "$1") is not running"
	kill -KILL "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	log "killed $(node_name "$1") (pid $pid)"
}

cmd_restart() {
	check_node "${1:-}"
	start_node "$1"
	await_node "$1"
	log "$(node_name "$1") is up"
}

cmd_stop_node() {
	check_node "${1:-}"
	ctl "$1" stop >/dev/null
}

cmd_status() {
	local n
	for n in "${NODES[@]}"; do
		if running "$n"; then
			echo "$(node_name "$n") running (pid $(beam_pid "$n"), amqp 127.0.0.1:$((AMQP_BASE + n)))"
		else
			echo "$(node_name "$n") down"
		fi
	done
	for n in "${NODES[@]}"; do
		if running "$n"; then
			ctl "$n" cluster_status
			return 0
		fi
	done
}

cmd_urls() {
	local vhost=${1:-} n out=()
	for n in "${NODES[@]}"; do
		out+=("amqp://guest:guest@127.0.0.1:$((AMQP_BASE + n))/$vhost")
	done
	(
		IFS=,
		echo "${out[*]}"
	)
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
kill) cmd_kill "${2:-}" ;;
restart) cmd_restart "${2:-}" ;;
stop-node) cmd_stop_node "${2:-}" ;;
status) cmd_status ;;
urls) cmd_urls "${2:-}" ;;
ctl)
	check_node "${2:-}"
	n=$2
	shift 2
	ctl "$n" "$@"
	;;
*)
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
