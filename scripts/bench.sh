#!/usr/bin/env bash
# bench.sh runs the suite's benchmarks at full size against the local RabbitMQ,
# MariaDB and the in-process development chain, and writes the figures, with
# the machine, the versions, the exact commands and the load of the machine,
# into BENCHMARKS.md. Only the part between the "bench.sh" markers is
# rewritten: the analysis written around it is kept.
#
# Every figure is read next to the ceiling the suite stands on, measured in the
# same run (at its start and at its end, as other work on a shared machine
# moves it): RabbitMQ persistent publish with confirms + consume with acks, and
# MariaDB single-row transactional inserts.
#
# The benchmarks run without the race detector (the services are built without
# it too). The raw outputs and the scanner's CPU profile are kept in .run/bench/.
#
# Environment:
#   BENCH_OUT=file     where to write (BENCHMARKS.md at the repository root)
#   BENCH_DIR=dir      raw outputs and profiles (.run/bench)
#   BENCH_SHORT=1      run every benchmark with its small -short sizes: checks
#                      this script in a few minutes; the figures mean nothing
#   BENCH_TOPUP_SECONDS  length of each latency run (10)
#   BENCH_REPORT_ONLY=1  run nothing: write BENCHMARKS.md again from the outputs
#                      of the last run kept in BENCH_DIR
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export PATH=/usr/local/go/bin:$PATH
export GOFLAGS=${GOFLAGS:--buildvcs=false}

OUT=${BENCH_OUT:-$ROOT/BENCHMARKS.md}
DIR=${BENCH_DIR:-$ROOT/.run/bench}
SHORT=${BENCH_SHORT:-0}
REPORT_ONLY=${BENCH_REPORT_ONLY:-0}
E2E=./services/e2e/
SCANNER=./services/chain-listener/internal/scanner/
mkdir -p "$DIR"

log() { printf 'bench: %s\n' "$*" >&2; }

FAILED=()

load1() { cut -d' ' -f1 /proc/loadavg; }

# bench NAME PACKAGE PATTERN [ENV=VALUE...] [-- EXTRA GO TEST FLAGS...] runs one
# go test invocation, keeping its output in $DIR/NAME.txt.
bench() {
	local name=$1 pkg=$2 pattern=$3
	shift 3
	local envs=() extra=()
	while [[ $# -gt 0 && "$1" != -- ]]; do
		envs+=("$1")
		shift
	done
	[[ "${1:-}" == -- ]] && shift
	extra=("$@")
	local flags=(-run '^$' -bench "^${pattern}\$" -benchtime 1x -count 1 -timeout 60m)
	[[ "$SHORT" == 1 ]] && flags+=(-short)
	local cmd=(go test "${flags[@]}" "${extra[@]}" "$pkg")
	local shown="" arg
	for arg in "${envs[@]}" "${cmd[@]}"; do
		arg=${arg//$DIR/.run\/bench}
		[[ "$arg" =~ ^[A-Za-z0-9_./=,:-]+$ ]] || arg="'$arg'"
		shown+="${shown:+ }$arg"
	done
	log "$shown"
	local before start rc=0
	before=$(load1)
	start=$(date +%s)
	env "${envs[@]}" "${cmd[@]}" >"$DIR/$name.txt" 2>&1 || rc=$?
	local took=$(($(date +%s) - start)) status=ok
	if [[ $rc -ne 0 ]]; then
		status="**failed** (exit $rc, see .run/bench/$name.txt)"
		FAILED+=("$name")
		log "$name failed; its output is in $DIR/$name.txt"
	fi
	echo "| \`$shown\` | $before | $(load1) | ${took} s | $status |" >>"$DIR/commands.md"
}

# metric NAME BENCHMARK-PREFIX UNIT prints the value reported with UNIT on the
# first result line of NAME's output whose benchmark name starts with PREFIX.
metric() {
	awk -v p="$2" -v u="$3" 'index($1, p) == 1 {
		for (i = 3; i <= NF; i++) if ($i == u) { print $(i - 1); exit }
	}' "$DIR/$1.txt" 2>/dev/null || true
}

# notes NAME prints the log lines of NAME's benchmarks (cpu, backlog, load),
# each prefixed with its benchmark's name.
notes() {
	awk '/^--- BENCH: / { name = $3; next }
		/^    [a-z_]+_test\.go:[0-9]+: / && name != "" {
			sub(/^    [a-z_]+_test\.go:[0-9]+: /, ""); print name ": " $0; next }
		/^[^ ]/ { name = "" }' "$DIR/$1.txt" 2>/dev/null || true
}

# calc EXPR evaluates a floating-point expression; empty operands give "".
calc() { awk "BEGIN { x = $1; printf \"%s\", x }" 2>/dev/null || true; }
num() { [[ -n "$1" ]] && awk -v x="$1" -v d="${2:-0}" 'BEGIN { printf "%.*f", d, x }' || echo "—"; }
mean() { if [[ -n "$1" && -n "$2" ]]; then calc "($1 + $2) / 2"; else echo "${1:-$2}"; fi; }
ratio() { if [[ -n "$1" && -n "$2" ]]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }'; else echo "—"; fi; }
# verdict VALUE OP TARGET: met when VALUE OP TARGET holds.
verdict() {
	[[ -z "$1" ]] && {
		echo "not measured"
		return
	}
	awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN {
		ok = (op == ">=") ? v >= t : v < t; print ok ? "met" : "**missed**" }'
}

# run_benchmarks runs every benchmark and records in run.env what the report
# needs besides their outputs.
run_benchmarks() {
	local started load_start load_end sustained rates low withdraw_bench
	started=$(date -u '+%Y-%m-%d %H:%M UTC')
	load_start=$(cat /proc/loadavg)

	bench ceiling-broker-1 "$E2E" BenchmarkCeilingBroker
	bench ceiling-db-1 "$SCANNER" BenchmarkCeilingDatabase

	# --- topup: sustained registrations, then latency at 500/s and, when the
	# machine cannot sustain 500/s with room to spare, at half what it sustained.
	bench registrations "$E2E" BenchmarkTopupRegistrations
	sustained=$(metric registrations BenchmarkTopupRegistrations/ registrations/s)
	rates=500
	if [[ -n "$sustained" ]] && awk -v s="$sustained" 'BEGIN { exit !(s < 550) }'; then
		low=$(awk -v s="$sustained" 'BEGIN { r = int(s / 2 / 10) * 10; print (r < 10 ? 10 : r) }')
		rates="500,$low"
	fi
	bench latency "$E2E" BenchmarkTopupLatency "BENCH_TOPUP_RATES=$rates" "BENCH_TOPUP_SECONDS=${BENCH_TOPUP_SECONDS:-10}"

	# --- deposits end to end, the listener alone, its memory
	bench deposits "$E2E" BenchmarkDeposits
	bench deposits-chains "$E2E" BenchmarkDepositsTwoChains
	bench scanner "$SCANNER" BenchmarkScanner -- -cpuprofile "$DIR/scanner.cpu.pprof" -o "$DIR/scanner.test"
	if [[ "$SHORT" == 1 ]]; then
		log "BenchmarkListenerMillionAddresses skipped in short mode"
	else
		bench memory "$E2E" BenchmarkListenerMillionAddresses
	fi

	# --- webhooks and withdrawals
	bench webhooks "$E2E" BenchmarkWebhooks
	withdraw_bench=0
	if [[ -f services/withdraw/main.go ]] && grep -q '^func BenchmarkWithdrawals' services/e2e/*_test.go; then
		withdraw_bench=1
		bench withdrawals "$E2E" BenchmarkWithdrawals
	fi

	# --- sweeps of the deposit addresses into the collection wallet
	bench sweeps "$E2E" BenchmarkSweeps

	# --- ceilings, second pass
	bench ceiling-broker-2 "$E2E" BenchmarkCeilingBroker
	bench ceiling-db-2 "$SCANNER" BenchmarkCeilingDatabase
	load_end=$(cat /proc/loadavg)

	{
		printf 'started=%q\n' "$started"
		printf 'load_start=%q\n' "$load_start"
		printf 'load_end=%q\n' "$load_end"
		printf 'rates=%q\n' "$rates"
		printf 'withdraw_bench=%q\n' "$withdraw_bench"
		printf 'short=%q\n' "$SHORT"
	} >"$DIR/run.env"
}

# run.env keeps what the report needs besides the outputs, for BENCH_REPORT_ONLY.
if [[ "$REPORT_ONLY" == 1 ]]; then
	[[ -f "$DIR/run.env" ]] || {
		log "no previous run in $DIR"
		exit 1
	}
else
	scripts/ensure-infra.sh
	rm -f "$DIR"/*.txt "$DIR"/*.pprof "$DIR"/commands.md "$DIR"/run.env
	run_benchmarks
fi
# shellcheck source=/dev/null
source "$DIR/run.env"
SHORT=${short:-$SHORT}

# --- figures
sustained=$(metric registrations BenchmarkTopupRegistrations/ registrations/s)
b1a=$(metric ceiling-broker-1 BenchmarkCeilingBroker/publishers=1- msgs/s)
b1b=$(metric ceiling-broker-2 BenchmarkCeilingBroker/publishers=1- msgs/s)
b8a=$(metric ceiling-broker-1 BenchmarkCeilingBroker/publishers=8- msgs/s)
b8b=$(metric ceiling-broker-2 BenchmarkCeilingBroker/publishers=8- msgs/s)
bpa=$(metric ceiling-broker-1 BenchmarkCeilingBroker/pipelined=256- msgs/s)
bpb=$(metric ceiling-broker-2 BenchmarkCeilingBroker/pipelined=256- msgs/s)
d1a=$(metric ceiling-db-1 BenchmarkCeilingDatabase/conns=1- inserts/s)
d1b=$(metric ceiling-db-2 BenchmarkCeilingDatabase/conns=1- inserts/s)
d8a=$(metric ceiling-db-1 BenchmarkCeilingDatabase/conns=8- inserts/s)
d8b=$(metric ceiling-db-2 BenchmarkCeilingDatabase/conns=8- inserts/s)
B1=$(mean "$b1a" "$b1b") B8=$(mean "$b8a" "$b8b") D1=$(mean "$d1a" "$d1b") D8=$(mean "$d8a" "$d8b")

lat_p50=$(metric latency BenchmarkTopupLatency/rate=500- p50-ms)
lat_p99=$(metric latency BenchmarkTopupLatency/rate=500- p99-ms)
lat_max=$(metric latency BenchmarkTopupLatency/rate=500- max-ms)
lat_off=$(metric latency BenchmarkTopupLatency/rate=500- offered/s)
lat_done=$(metric latency BenchmarkTopupLatency/rate=500- registrations/s)
low_row=""
if [[ "$rates" == *,* ]]; then
	low=${rates#*,}
	low_row=$'\n'"| topup latency at ${low}/s (half the sustained rate) | p50 $(num "$(metric latency "BenchmarkTopupLatency/rate=$low-" p50-ms)") ms, p99 $(num "$(metric latency "BenchmarkTopupLatency/rate=$low-" p99-ms)") ms, max $(num "$(metric latency "BenchmarkTopupLatency/rate=$low-" max-ms)") ms; offered $(num "$(metric latency "BenchmarkTopupLatency/rate=$low-" offered/s)")/s | (p99 < 100 ms at 500/s) | $(verdict "$(metric latency "BenchmarkTopupLatency/rate=$low-" p99-ms)" "<" 100) at this rate | — |"
fi
dep=$(metric deposits BenchmarkDeposits/ pending/s)
dep_conf=$(metric deposits BenchmarkDeposits/ confirmed/s)
dep_blocks=$(metric deposits BenchmarkDeposits/ blocks)
dep_dead=$(metric deposits BenchmarkDeposits/ deadlocks)
dep_req=$(metric deposits BenchmarkDeposits/ requeued)
depc=$(metric deposits-chains BenchmarkDepositsTwoChains/ pending/s)
depc_eth=$(metric deposits-chains BenchmarkDepositsTwoChains/ eth-pending/s)
depc_bsc=$(metric deposits-chains BenchmarkDepositsTwoChains/ bsc-pending/s)
depc_conf=$(metric deposits-chains BenchmarkDepositsTwoChains/ confirmed/s)
depc_req=$(metric deposits-chains BenchmarkDepositsTwoChains/ requeued)
blk_ms=$(metric scanner BenchmarkScanner/block/ ms/block)
blk_node=$(metric scanner BenchmarkScanner/block/ node-ms/block)
blk_tps=$(metric scanner BenchmarkScanner/block/ transfers/s)
catchup=$(metric scanner BenchmarkScanner/catchup/ blocks/s)
catchup_node=$(metric scanner BenchmarkScanner/catchup/ node-ms/op)
load_ns=$(metric scanner BenchmarkScanner/load/ ns/op)
load_heap=$(metric scanner BenchmarkScanner/load/ heap-MiB)
rss_mib=$(metric memory BenchmarkListenerMillionAddresses rss-MiB)
rss_mb=""
[[ -n "$rss_mib" ]] && rss_mb=$(calc "$rss_mib * 1.048576")
whn=5000
[[ "$SHORT" == 1 ]] && whn=20
wh_ref=$(metric webhooks "BenchmarkWebhooks/n=$whn/down=refusing-" deliveries/s)
wh_hang=$(metric webhooks "BenchmarkWebhooks/n=$whn/down=hanging-" deliveries/s)
wh_16=$(metric webhooks "BenchmarkWebhooks/n=$whn/down=refusing/host-limit=16-" deliveries/s)
if [[ "$withdraw_bench" == 1 ]]; then
	wd=$(metric withdrawals BenchmarkWithdrawals/ submitted/s)
	wd_conf=$(metric withdrawals BenchmarkWithdrawals/ confirmed/s)
	wd_row="| withdrawals submitted (3 replicas, 1,000 at once, a block every 200 ms) | $(num "$wd")/s; confirmed $(num "$wd_conf")/s; request to submitted p50 $(num "$(metric withdrawals BenchmarkWithdrawals/ p50-submit-ms)") ms, p99 $(num "$(metric withdrawals BenchmarkWithdrawals/ p99-submit-ms)") ms | ≥ 100/s | $(verdict "$wd" ">=" 100) | $(ratio "$wd" "$D8") DB |"
else
	wd_row="| withdrawals (3 replicas) | not measured yet | ≥ 100/s | — | — |"
fi
sw=$(metric sweeps BenchmarkSweeps/ sweeps/s)
sw_gas=$(metric sweeps BenchmarkSweeps/ gas/sweep)
sw_fund=$(metric sweeps BenchmarkSweeps/ funding-%)
sw_eth=$(metric sweeps BenchmarkSweeps/ eth/sweep@11gwei)
sw_open=$(metric sweeps BenchmarkSweeps/ all-open-ms)

cpu_model=$(lscpu | awk -F: '/^Model name/ { gsub(/^[ \t]+/, "", $2); print $2; exit }')
go_cpu=$(awk -F': ' '/^cpu: / { print $2; exit }' "$DIR/scanner.txt" 2>/dev/null | sed 's/[[:space:]]*$//')
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
rabbit=$(rabbitmqctl version 2>/dev/null || echo unknown)
maria=$(mariadb -h127.0.0.1 -uroot -N -B -e 'SELECT VERSION()' 2>/dev/null || echo unknown)
durability=$(mariadb -h127.0.0.1 -uroot -N -B -e "SELECT CONCAT('innodb_flush_log_at_trx_commit=', @@innodb_flush_log_at_trx_commit, ', binary log ', IF(@@log_bin, 'on', 'off'), ', buffer pool ', @@innodb_buffer_pool_size DIV 1048576, ' MiB')" 2>/dev/null || echo unknown)

short_note=""
[[ "$SHORT" == 1 ]] && short_note=$'> **Short mode (BENCH_SHORT=1): tiny sizes, the figures below mean nothing.**\n\n'

generated=$(
	cat <<EOF
## Latest run: $started

${short_note}- Machine: ${cpu_model} (Go reports "${go_cpu:-?}"), $(nproc) cores, ${mem} memory, Linux $(uname -r).
- Software: $(go env GOVERSION), RabbitMQ ${rabbit}, MariaDB ${maria} (${durability}); RabbitMQ and MariaDB on this machine, classic queues, data on the same disk.
- Load average at the start of the run: \`${load_start}\`; at its end: \`${load_end}\`. The machine has 2 cores and is shared:
  other work running at the same time shows as "others" in the CPU lines below and moves every figure.
- The development chain runs in-process, mining on demand; the services are built without the race detector and log at \`info\`.

### Ceilings

Measured at the start and at the end of the run; the ratios below use the mean.

| ceiling | start | end | mean |
|---|---|---|---|
| RabbitMQ, 1 publisher awaiting each confirm (msgs/s published and consumed) | $(num "$b1a") | $(num "$b1b") | $(num "$B1") |
| RabbitMQ, 8 concurrent publishers (msgs/s) | $(num "$b8a") | $(num "$b8b") | $(num "$B8") |
| RabbitMQ, 1 channel with 256 unconfirmed in flight (msgs/s) | $(num "$bpa") | $(num "$bpb") | $(num "$(mean "$bpa" "$bpb")") |
| MariaDB, single-row transactions, 1 connection (inserts/s) | $(num "$d1a") | $(num "$d1b") | $(num "$D1") |
| MariaDB, single-row transactions, 8 connections (inserts/s) | $(num "$d8a") | $(num "$d8b") | $(num "$D8") |

### Figures

"Broker" is the 8-publisher RabbitMQ ceiling, "DB" the 8-connection MariaDB ceiling, "DB1" the
1-connection one (the scanner uses one connection). A registration costs at least one consumed
request, a share of one transaction and one relayed answer (its watch request and address
announcement travel in lists, two messages per transaction); a deposit two transactions and two relayed
messages; a webhook four transactions: the ratios say how much of the raw ceiling a figure uses,
not how far it is from the best possible.

| figure | measured | target | verdict | ratio to ceiling |
|---|---|---|---|---|
| topup registrations, 2,000 published at once: answers/s | $(num "$sustained")/s | ≥ 1,000/s | $(verdict "$sustained" ">=" 1000) | $(ratio "$sustained" "$B8") broker, $(ratio "$sustained" "$D8") DB |
| topup latency at 500/s for ${BENCH_TOPUP_SECONDS:-10} s, request to \`registered\` | p50 $(num "$lat_p50") ms, p99 $(num "$lat_p99") ms, max $(num "$lat_max") ms; offered $(num "$lat_off")/s, answered $(num "$lat_done")/s | p99 < 100 ms | $(verdict "$lat_p99" "<" 100) | — |${low_row}
| deposits end to end (2,000 transfers in $(num "$dep_blocks") blocks): status 2 received/s | $(num "$dep")/s (status 1: $(num "$dep_conf")/s); $(num "$dep_req") transfer events requeued, $(num "$dep_dead") deadlocks logged | ≥ 1,000/s | $(verdict "$dep" ">=" 1000) | $(ratio "$dep" "$B8") broker, $(ratio "$dep" "$D8") DB |
| deposits on ETH and BSC at once (2,000 transfers on each, blocks mined side by side): status 2 received/s | both $(num "$depc")/s (ETH $(num "$depc_eth")/s, BSC $(num "$depc_bsc")/s; status 1: $(num "$depc_conf")/s); $(num "$depc_req") transfer events requeued | ≥ 1,000/s in all | $(verdict "$depc" ">=" 1000) | $(ratio "$depc" "$dep") the single-chain figure, $(ratio "$depc" "$D8") DB |
| listener: one block of 5,000 transfers, 1,001,000 watched | $(num "$blk_ms") ms (node $(num "$blk_node") ms); $(num "$blk_tps") transfers/s | < 1,000 ms | $(verdict "$blk_ms" "<" 1000) | $(ratio "$blk_tps" "$D1") DB1 |
| listener: catch-up over 1,000 ordinary blocks | $(num "$catchup") blocks/s (node $(num "$catchup_node") ms) | ≥ 200 blocks/s | $(verdict "$catchup" ">=" 200) | $(ratio "$catchup" "$D1") DB1 |
| listener: loading 1,001,000 watched addresses | $(num "$(calc "${load_ns:-0} / 1e9")" 1) s, watch set $(num "$load_heap") MiB of heap | — | — | — |
| listener resident memory with 1,000,000 watched addresses | $(num "$rss_mb") MB ($(num "$rss_mib") MiB) | < 300 MB | $(verdict "$rss_mb" "<" 300) | — |
| webhooks delivered/s, second receiver refusing connections | $(num "$wh_ref")/s | ≥ 500/s | $(verdict "$wh_ref" ">=" 500) | $(ratio "$wh_ref" "$D8") DB |
| webhooks delivered/s, second receiver accepting and never answering | $(num "$wh_hang")/s | ≥ 500/s | $(verdict "$wh_hang" ">=" 500) | $(ratio "$wh_hang" "$D8") DB |
| (webhooks with WEBHOOK_HOST_CONCURRENCY=16 instead of 4, receiver refusing) | $(num "$wh_16")/s | (≥ 500/s) | $(verdict "$wh_16" ">=" 500) with this setting | $(ratio "$wh_16" "$D8") DB |
${wd_row}
| sweeps (1 pay, 500 deposit addresses holding tokens and no coin, a block every 200 ms): done/s, each a funding and a transfer | $(num "$sw" 1)/s (all opened after $(num "$sw_open") ms); $(num "$sw_gas") gas a sweep, the funding $(num "$sw_fund")% of it; $(num "$sw_eth" 6) ETH a sweep at 10 gwei base fee + 1 gwei tip | — | — | — |

### CPU, backlogs and database connections during each measurement

- \`cpu\`: percent of one core over the measurement window, from /proc (\`bench\` is the Go test
  process; \`others\` is everything else on the machine, mostly other work sharing it).
- \`backlog\`: ready messages of the queues and rows waiting in the tables named, sampled four times a
  second: a queue that grows shows consumers that cannot keep up, an outbox that grows a relay.
- \`db\`: for each service, the average number of its database connections in each state (running a
  statement, waiting for a row lock, idle inside an open transaction), sampled four times a second
  from \`information_schema.PROCESSLIST\` and \`INNODB_TRX\`: a profile of where the service waits.

\`\`\`text
$(for f in ceiling-broker-1 registrations latency deposits deposits-chains webhooks withdrawals sweeps ceiling-broker-2; do notes "$f"; done)
\`\`\`

### The scanner's CPU profile

\`go test -cpuprofile\` of BenchmarkScanner, restricted to the samples under \`Scanner.scanRange\`
(the block and catch-up steps, without the set-up or the loading of the watched set); the node's
own work runs in other goroutines and is not included (see node-ms above). Top 30 by cumulative
time:

\`\`\`text
$(go tool pprof -top -cum -nodecount=30 -focus='scanner\.\(\*Scanner\)\.scanRange' "$DIR/scanner.test" "$DIR/scanner.cpu.pprof" 2>/dev/null | sed -n '/^Showing/,$p' || echo "no profile")
\`\`\`

### Commands

Run from the repository root by \`scripts/bench.sh\` (\`make bench\`); load average (1 min) before and after each.

| command | load before | load after | took | result |
|---|---|---|---|---|
$(cat "$DIR/commands.md" 2>/dev/null)
EOF
)

begin='<!-- BEGIN generated by scripts/bench.sh: do not edit by hand -->'
end='<!-- END generated by scripts/bench.sh -->'
block=$(printf '%s\n%s\n%s\n' "$begin" "$generated" "$end")
if [[ -f "$OUT" ]] && grep -qF "$begin" "$OUT" && grep -qF "$end" "$OUT"; then
	BLOCK="$block" awk -v b="$begin" -v e="$end" '
		$0 == b { print ENVIRON["BLOCK"]; skip = 1; next }
		$0 == e { skip = 0; next }
		!skip { print }' "$OUT" >"$OUT.tmp"
	mv "$OUT.tmp" "$OUT"
else
	{
		echo '# Benchmarks'
		echo
		echo 'Figures of the suite on one machine, each next to its target and to the ceiling it stands on,'
		# shellcheck disable=SC2016 # the backquotes are Markdown
		echo 'written by `scripts/bench.sh` (`make bench`). The analysis below the generated part is written by hand.'
		echo
		printf '%s\n' "$block"
	} >"$OUT"
fi
log "wrote $OUT (raw outputs in $DIR)"
if [[ ${#FAILED[@]} -gt 0 ]]; then
	log "failed: ${FAILED[*]}"
	exit 1
fi
