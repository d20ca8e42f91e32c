#!/usr/bin/env bash
# ensure-infra.sh makes sure the local RabbitMQ and MariaDB that the suite and its
# tests use are reachable: RabbitMQ on 127.0.0.1:5672 (guest/guest, with the virtual
# host of internal messages, the development users and dead-letter policies of
# scripts/broker-users.sh, and a 2 MiB bound on messages) and
# MariaDB on 127.0.0.1:3306 (root, empty password, over TCP), and Node.js with npm,
# which run Hardhat Network, the second node implementation of the end-to-end tests.
#
# For each server: if its port answers, nothing is done (so the common case takes a
# few milliseconds); otherwise the installed server is started, or, when running as
# root, installed from Debian's packages and started. These machines have no
# systemd, so servers are started directly rather than through service units.
#
# Environment:
#   RABBITMQ_WAIT, MARIADB_WAIT   seconds to wait for a starting server (60, 60)
#   ENSURE_INFRA_DRY_RUN=1        print the commands that change the machine instead
#                                 of running them (also: --dry-run)
set -euo pipefail

readonly HOST=127.0.0.1
readonly RABBITMQ_PORT=5672 MARIADB_PORT=3306
RABBITMQ_WAIT=${RABBITMQ_WAIT:-60}
MARIADB_WAIT=${MARIADB_WAIT:-60}
DRY_RUN=${ENSURE_INFRA_DRY_RUN:-0}
APT_UPDATED=0

log() { printf 'ensure-infra: %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

# run executes a command that changes the machine, or only prints it in dry-run mode.
run() {
	if [[ "$DRY_RUN" == 1 ]]; then
		log "dry-run: would run: $*"
		return 0
	fi
	"$@"
}

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# port_open succeeds when something accepts TCP connections on HOST:$1.
port_open() {
	timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

# wait_port waits up to $3 seconds for HOST:$2 to answer, printing progress.
wait_port() {
	local name=$1 port=$2 limit=$3 waited=0
	if [[ "$DRY_RUN" == 1 ]]; then
		log "dry-run: would wait up to ${limit}s for $name on $HOST:$port"
		return 0
	fi
	until port_open "$port"; do
		if ((waited >= limit)); then
			return 1
		fi
		if ((waited % 5 == 0)); then
			log "waiting for $name on $HOST:$port (${waited}s of ${limit}s)"
		fi
		sleep 1
		waited=$((waited + 1))
	done
	log "$name answers on $HOST:$port after ${waited}s"
}

# apt_install installs Debian packages, refreshing the package lists once per run.
apt_install() {
	if ((APT_UPDATED == 0)); then
		run apt-get update
		APT_UPDATED=1
	fi
	run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

# ---------------------------------------------------------------------------
# RabbitMQ

rabbitmq_installed() { command -v rabbitmq-server >/dev/null 2>&1 || [[ -x /usr/sbin/rabbitmq-server ]]; }

# rabbitmq_running tells whether a RabbitMQ node process exists, so that a node that
# is still booting is waited for instead of started a second time.
rabbitmq_running() { pgrep -x beam.smp >/dev/null 2>&1; }

rabbitmq_start() {
	if rabbitmq_running; then
		log "RabbitMQ node process exists; waiting for it to finish booting"
		return 0
	fi
	if ! is_root; then
		die "RabbitMQ is installed but not running, and starting it needs root.
    Start it with:  sudo rabbitmq-server -detached"
	fi
	log "starting RabbitMQ (rabbitmq-server -detached)"
	PATH="/usr/sbin:$PATH" run rabbitmq-server -detached
}

# rabbitmq_enable_quorum makes sure the quorum_queue feature flag is on. RabbitMQ 3.8
# and later enable it on fresh nodes, but a node upgraded from an older release may
# still have it off, and AMQP_QUEUE_TYPE=quorum needs it.
rabbitmq_enable_quorum() {
	command -v rabbitmqctl >/dev/null 2>&1 || return 0
	is_root || return 0
	if [[ "$DRY_RUN" == 1 ]]; then
		log "dry-run: would check the quorum_queue feature flag"
		return 0
	fi
	local flags
	flags=$(rabbitmqctl -q list_feature_flags name state 2>/dev/null || true)
	if grep -Eq '^quorum_queue[[:space:]]+disabled' <<<"$flags"; then
		log "enabling RabbitMQ feature flag quorum_queue"
		rabbitmqctl -q enable_feature_flag quorum_queue
	fi
}

ensure_rabbitmq() {
	if port_open "$RABBITMQ_PORT"; then
		log "RabbitMQ is up on $HOST:$RABBITMQ_PORT"
		return 0
	fi
	if rabbitmq_installed; then
		rabbitmq_start
	elif is_root; then
		log "RabbitMQ is not installed; installing rabbitmq-server"
		apt_install rabbitmq-server
		# The package may already have started the node; rabbitmq_start checks.
		rabbitmq_start
	else
		die "RabbitMQ is not installed and this is not root.
    Install and start it with:
      sudo apt-get update && sudo apt-get install -y rabbitmq-server
      sudo rabbitmq-server -detached"
	fi
	wait_port RabbitMQ "$RABBITMQ_PORT" "$RABBITMQ_WAIT" ||
		die "RabbitMQ did not answer on $HOST:$RABBITMQ_PORT within ${RABBITMQ_WAIT}s; see /var/log/rabbitmq/"
	rabbitmq_enable_quorum
}

# ---------------------------------------------------------------------------
# MariaDB

mariadb_server_bin() {
	local b
	for b in /usr/sbin/mariadbd /usr/sbin/mysqld; do
		if [[ -x "$b" ]]; then
			echo "$b"
			return 0
		fi
	done
	return 1
}

mariadb_client() {
	local c
	for c in mariadb mysql; do
		if command -v "$c" >/dev/null 2>&1; then
			echo "$c"
			return 0
		fi
	done
	return 1
}

mariadb_running() { pgrep -x mariadbd >/dev/null 2>&1 || pgrep -x mysqld >/dev/null 2>&1; }

mariadb_start() {
	local bin
	if ! bin=$(mariadb_server_bin); then
		# In a dry run the package that would provide it was not installed.
		[[ "$DRY_RUN" == 1 ]] || die "no MariaDB server binary found"
		bin=/usr/sbin/mariadbd
	fi
	if mariadb_running; then
		log "MariaDB server process exists; waiting for it to accept connections"
		return 0
	fi
	if ! is_root; then
		die "MariaDB is installed but not running, and starting it needs root.
    Start it with:  sudo start-stop-daemon --start --oknodo --background --exec $bin"
	fi
	# The socket directory lives on a tmpfs that a restarted machine starts without.
	run install -d -o mysql -g mysql -m 0755 /run/mysqld
	if [[ ! -d /var/lib/mysql/mysql ]]; then
		log "initialising the MariaDB data directory"
		if command -v mariadb-install-db >/dev/null 2>&1; then
			run mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db
		else
			run mysql_install_db --user=mysql --datadir=/var/lib/mysql
		fi
	fi
	log "starting MariaDB ($bin)"
	run start-stop-daemon --start --oknodo --background --exec "$bin"
}

# mariadb_root_login succeeds when root with an empty password can log in over TCP.
mariadb_root_login() {
	local client=$1
	"$client" --connect-timeout=5 -h"$HOST" -P"$MARIADB_PORT" -uroot -e 'select 1' >/dev/null 2>&1
}

# mariadb_fix_root lets root log in with an empty password over TCP. A fresh Debian
# install authenticates root through unix_socket only; as root the socket still
# works, so the change is made through it, keeping socket login as an alternative.
mariadb_fix_root() {
	local client=$1
	if ! is_root; then
		die "MariaDB root cannot log in with an empty password over TCP.
    As root, allow it with:
      sudo $client -e \"ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket; FLUSH PRIVILEGES;\""
	fi
	log "allowing MariaDB root to log in over TCP with an empty password"
	run "$client" -e "
ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket;
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('');
ALTER USER 'root'@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('');
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
FLUSH PRIVILEGES;" || die "could not change root's authentication through the local socket"
}

ensure_mariadb() {
	if port_open "$MARIADB_PORT"; then
		log "MariaDB is up on $HOST:$MARIADB_PORT"
	else
		if mariadb_server_bin >/dev/null; then
			mariadb_start
		elif is_root; then
			log "MariaDB is not installed; installing mariadb-server"
			apt_install mariadb-server mariadb-client
			mariadb_start
		else
			die "MariaDB is not installed and this is not root.
    Install and start it with:
      sudo apt-get update && sudo apt-get install -y mariadb-server mariadb-client
      sudo start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd"
		fi
		wait_port MariaDB "$MARIADB_PORT" "$MARIADB_WAIT" ||
			die "MariaDB did not answer on $HOST:$MARIADB_PORT within ${MARIADB_WAIT}s; see /var/log/mysql/ or the server's error log"
	fi

	local client
	if ! client=$(mariadb_client); then
		if is_root; then
			apt_install mariadb-client
			[[ "$DRY_RUN" == 1 ]] && return 0
			client=$(mariadb_client) || die "no MariaDB client after installing mariadb-client"
		else
			die "no MariaDB client (mariadb or mysql) to check root's login; install mariadb-client"
		fi
	fi
	if [[ "$DRY_RUN" == 1 ]] && ! port_open "$MARIADB_PORT"; then
		log "dry-run: would check root login over TCP with $client"
		return 0
	fi
	if mariadb_root_login "$client"; then
		return 0
	fi
	mariadb_fix_root "$client"
	[[ "$DRY_RUN" == 1 ]] && return 0
	mariadb_root_login "$client" ||
		die "MariaDB root still cannot log in over TCP with an empty password"
	log "MariaDB root logs in over TCP"
}

# The largest message the local broker accepts, as deploy/rabbitmq/rabbitmq.conf sets
# it for deployments: above the 1 MiB body that the suite must still take and
# dead-letter as too_large (it refuses anything over AMQP_MAX_MESSAGE_BYTES, 64 KiB),
# far below RabbitMQ's default of 128 MiB, so a huge message is refused by the broker
# itself before any consumer holds it.
readonly RABBITMQ_MAX_MESSAGE_SIZE=2097152

# rabbitmq_limit_message_size sets max_message_size on the running node. A node
# reads it when a channel opens, so it holds for every channel opened afterwards,
# until the node restarts; every make up / make test sets it again. Needs
# rabbitmqctl, so root.
rabbitmq_limit_message_size() {
	command -v rabbitmqctl >/dev/null 2>&1 || PATH="/usr/sbin:$PATH"
	command -v rabbitmqctl >/dev/null 2>&1 || return 0
	if [[ "$DRY_RUN" == 1 ]]; then
		log "dry-run: would set RabbitMQ's max_message_size to $RABBITMQ_MAX_MESSAGE_SIZE"
		return 0
	fi
	if ! is_root; then
		log "not root: leaving RabbitMQ's max_message_size as it is (want $RABBITMQ_MAX_MESSAGE_SIZE)"
		return 0
	fi
	local current
	current=$(rabbitmqctl -q eval 'application:get_env(rabbit, max_message_size).' 2>/dev/null || true)
	[[ "$current" == "{ok,$RABBITMQ_MAX_MESSAGE_SIZE}" ]] && return 0
	log "limiting RabbitMQ messages to $RABBITMQ_MAX_MESSAGE_SIZE bytes (max_message_size; was $current)"
	rabbitmqctl -q eval "application:set_env(rabbit, max_message_size, $RABBITMQ_MAX_MESSAGE_SIZE)." >/dev/null ||
		die "could not set RabbitMQ's max_message_size"
}

# ensure_broker_users gives the local RabbitMQ the internal virtual host and the
# development users (scripts/broker-users.sh --dev); it needs rabbitmqctl, so root.
ensure_broker_users() {
	if [[ "$DRY_RUN" == 1 ]]; then
		log "dry-run: would run scripts/broker-users.sh --dev"
		return 0
	fi
	if ! is_root; then
		log "not root: assuming RabbitMQ already has the virtual host paysuite.internal and the development users"
		log "(if not, run as root: scripts/broker-users.sh --dev)"
		return 0
	fi
	"$(dirname "${BASH_SOURCE[0]}")/broker-users.sh" --dev
}

# ensure_node makes sure node and npm are there (Hardhat 2 needs Node.js 18 or
# newer); as root they are installed from Debian's packages.
ensure_node() {
	if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
		local major
		major=$(node -p 'process.versions.node.split(".")[0]')
		((major >= 18)) || die "Node.js $(node --version) is too old for Hardhat 2: install Node.js 18 or newer"
		return 0
	fi
	if is_root; then
		log "Node.js or npm is missing; installing nodejs and npm"
		apt_install nodejs npm
		return 0
	fi
	die "Node.js and npm are needed by the end-to-end tests (Hardhat Network) and this is not root.
Install them as root, then run this again:
      sudo apt-get update && sudo apt-get install -y nodejs npm"
}

# ensure_chromium makes sure Debian's Chromium is there for the checkout page's
# browser test; as root it is installed from Debian's packages.
ensure_chromium() {
	if command -v chromium >/dev/null 2>&1; then
		return 0
	fi
	if is_root; then
		log "Chromium is missing; installing chromium"
		apt_install chromium fonts-dejavu-core
		return 0
	fi
	die "Chromium is needed by the checkout page's browser test and this is not root.
Install it as root, then run this again:
      sudo apt-get update && sudo apt-get install -y chromium"
}

main() {
	if [[ "${1:-}" == "--dry-run" ]]; then
		DRY_RUN=1
	elif [[ $# -gt 0 ]]; then
		die "usage: $0 [--dry-run]"
	fi
	ensure_rabbitmq
	rabbitmq_limit_message_size
	ensure_broker_users
	ensure_mariadb
	ensure_node
	ensure_chromium
}

# Run only when executed, so the functions can be sourced and tried one by one.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	main "$@"
fi
