# shellcheck shell=bash
# lib.sh holds the helpers that up.sh, down.sh and dev-env.sh share. It is sourced,
# not run; the caller sets ROOT to the repository root and defines die().
# shellcheck disable=SC2034 # the variables are for the scripts that source this

RUN_DIR="$ROOT/.run"
BIN_DIR="$ROOT/bin"
DEV_ENV="$ROOT/deploy/dev.env"

# The long-running services in start order; down.sh stops them in reverse.
# deploy/compose_test.go checks that every daemon of services/ is listed.
# devchain-bsc is the second development chain: bin/devchain again, as BSC.
SERVICES=(devchain devchain-bsc chain-listener topup matcher notifier withdraw pay)

# DEVCHAINS are the development chains among SERVICES.
DEVCHAINS=(devchain devchain-bsc)

# service_bin prints the binary of bin/ that runs service $1: devchain for
# every development chain.
service_bin() {
	if [[ $1 == devchain-* ]]; then echo devchain; else echo "$1"; fi
}

# is_devchain succeeds when service $1 is a development chain.
is_devchain() {
	[[ $1 == devchain || $1 == devchain-* ]]
}

# env_prefix prints the prefix of a service's own settings in dev.env, which
# up.sh hands to it as HTTP_ADDR and MYSQL_SCHEMA: LISTENER for chain-listener,
# TOPUP for topup, and so on.
env_prefix() {
	local name=${1#chain-}
	name=${name//-/_}
	echo "${name^^}"
}

# load_env exports each KEY=value of a dev.env-style file unless KEY is already set
# in the environment. Values are taken verbatim (no quoting), so DSNs with
# parentheses need no escaping; an empty value leaves the variable unset.
load_env() {
	local line key val
	while IFS= read -r line || [[ -n "$line" ]]; do
		[[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
		[[ "$line" == *=* ]] || die "$1: not KEY=value: $line"
		key=${line%%=*}
		val=${line#*=}
		[[ "$key" =~ ^[A-Z_][A-Z0-9_]*$ ]] || die "$1: bad variable name: $key"
		[[ -n "${!key+x}" || -z "$val" ]] && continue
		export "$key=$val"
	done <"$1"
}

# service_pid prints the pid recorded in .run/$1.pid, if it is a number.
service_pid() {
	local pid
	[[ -f "$RUN_DIR/$1.pid" ]] || return 1
	pid=$(<"$RUN_DIR/$1.pid")
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	echo "$pid"
}

# pid_alive succeeds when process $2 is alive and runs service $1's binary, so
# that a stale pid file whose number was reused by another process is not trusted.
pid_alive() {
	local name pid=$2 exe
	name=$(service_bin "$1")
	kill -0 "$pid" 2>/dev/null || return 1
	# A process whose executable cannot be read (another user's, or a zombie: a
	# service that exited while up.sh, its parent, still runs) is not ours.
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
	# A rebuilt binary shows as "<path> (deleted)" for the process still running it.
	[[ "$exe" == "$BIN_DIR/$name" || "$exe" == "$BIN_DIR/$name (deleted)" ]]
}

# running succeeds when service $1, started by up.sh, is still running.
running() {
	local pid
	pid=$(service_pid "$1") || return 1
	pid_alive "$1" "$pid"
}

# devchain_var prints the value of development chain $1's setting $2 (HTTP_ADDR,
# WS_ADDR, DATA_DIR, OPS_HTTP_ADDR): DEVCHAIN_$2 for devchain, DEVCHAIN_BSC_$2 for
# devchain-bsc.
devchain_var() {
	local var=DEVCHAIN_$2
	[[ $1 == devchain ]] || var=$(env_prefix "$1")_$2
	echo "${!var:-}"
}

# devchain_data_dir prints development chain $1's data folder (DEVCHAIN_DATA_DIR,
# DEVCHAIN_BSC_DATA_DIR) as an absolute path (dev.env gives it relative to the
# repository root); nothing when the chain is kept in memory.
devchain_data_dir() {
	local dir
	dir=$(devchain_var "$1" DATA_DIR)
	[[ -n "$dir" ]] || return 0
	[[ "$dir" == /* ]] || dir="$ROOT/$dir"
	echo "$dir"
}

# devchain_has_chain succeeds when data folder $1 holds a chain (the database of
# the node's instance folder, "devchain", that pkg/devchain names).
devchain_has_chain() {
	[[ -d "$1/devchain/chaindata" ]]
}

# suite_schemas prints the MariaDB schemas of the services: the <PREFIX>_MYSQL_SCHEMA
# settings of dev.env (load_env first).
suite_schemas() {
	local name var
	for name in "${SERVICES[@]}"; do
		is_devchain "$name" && continue
		var=$(env_prefix "$name")_MYSQL_SCHEMA
		[[ -n "${!var:-}" ]] || continue
		[[ "${!var}" =~ ^[A-Za-z0-9_]+$ ]] || die "$var=${!var}: not a plain schema name"
		echo "${!var}"
	done
}

# mariadb_root runs the MariaDB client as root over TCP with an empty password, as
# scripts/ensure-infra.sh sets the local MariaDB up.
mariadb_root() {
	local client
	client=$(command -v mariadb || command -v mysql) || return 127
	"$client" --connect-timeout=5 -h127.0.0.1 -P3306 -uroot "$@"
}

# existing_schemas prints those of the suite's schemas that exist; it fails when
# MariaDB cannot be asked.
existing_schemas() {
	local list
	list=$(suite_schemas | sed "s/.*/'&'/" | paste -sd, -)
	[[ -n "$list" ]] || return 0
	mariadb_root -N -B -e "SELECT schema_name FROM information_schema.schemata WHERE schema_name IN ($list) ORDER BY schema_name"
}
