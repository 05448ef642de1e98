#!/usr/bin/env bash
# tools/demo.sh: what `make demo` runs. xlb with its brain deciding, live, on
# network namespaces: a client, the load balancer (LB) and four active
# backends of unequal CPU quota (cgroups) and a fifth in the standby pool,
# each with xlb-agent reading its cgroup. xlb is
# attached in native XDP mode, xlbd (the brain) runs on the LB, the client
# sends open-loop HTTP traffic (a new connection per request) all along.
# Then, with nobody typing a command:
#   learn    the brain spreads traffic by learned capacity (quotas 1:2:3:2)
#   degrade  b2's CPU quota is ramped down: the brain cuts or drains it,
#            with its reason, before clients see errors
#   kill     b4's server is killed: probes mark it down, traffic fails over
#   restore  b4 restarted and b2's quota given back: both return through
#            slow start
#   (b5, in the standby pool, is activated by the brain's capacity plan when
#   it predicts the active ones short: with b2 drained and b4 down, say)
# The live view (tools/demo/monitor.py) prints the brain's columns
# (operator state, health, base and effective weight, factor, anomaly score,
# probe latency, the VIP's demand beside its forecast) and every decision
# of xlbd's log as it is made. It ends with a summary (requests, errors, p99
# of each phase, each decision with its reason and lead time), self-checks,
# and a PNG plot, and removes everything it made, also on Ctrl-C.
#
#   tools/demo.sh             about two and a half minutes
#   DEMO_FAST=1 tools/demo.sh about 45 s (tests/readme/demo_fast.sh runs it)
#
# Exit status: 0 when every check held, 1 when one did not, 2 when the demo
# could not run (not root, not built, topology failed), 130 on Ctrl-C.
# The summary, the plot and the run's raw data stay in results/demo/.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
# shellcheck source=tools/topo.sh
. tools/topo.sh

BUILD=${BUILD:-build}
XLBCTL_BIN=$PWD/$BUILD/xlbctl
XLBD_BIN=$PWD/$BUILD/xlbd
AGENT_BIN=$PWD/$BUILD/xlb-agent
LOAD_BIN=$PWD/$BUILD/xlb-load
BACKEND_BIN=$PWD/$BUILD/xlb-backend
PY=/usr/bin/python3
OUT=${DEMO_OUT:-$PWD/results/demo}

if [[ -n ${DEMO_FAST:-} && ${DEMO_FAST:-0} != 0 ]]; then
	FAST=1
	LEARN_S=12 DEGRADE_S=12 KILL_S=7 RESTORE_S=10
	VIEW_EVERY=3 SLOW_START_S=6 EJECTION_S=8 CAPACITY_TICKS=3 CAPACITY_DWELL_S=5
else
	FAST=0
	LEARN_S=40 DEGRADE_S=30 KILL_S=15 RESTORE_S=40
	VIEW_EVERY=5 SLOW_START_S=20 EJECTION_S=20 CAPACITY_TICKS=5 CAPACITY_DWELL_S=10
fi
PHASES=(learn degrade kill restore)
RATE=120 # new connections per second, open loop, the whole demo
CPU_US=1000 # CPU each request costs a backend: capacity = quota x 1000/s
HTTP_PORT=80
ADMIN_PORT=9090
AGENT_PORT=9470
METRICS=127.0.0.1:9469
# Quotas (share of one CPU): capacities 100, 200, 300, 200, 200 requests/s.
# b5 is the standby pool: it takes traffic only when the brain predicts the
# active ones short of capacity.
declare -A QUOTA=([b1]=10 [b2]=20 [b3]=30 [b4]=20 [b5]=20)
DEGRADED=b2 DEGRADE_TO=2 KILLED=b4 STANDBY=b5
# The capacity plan's marks, scaled to this small setup (120/s on ~600/s of
# learned capacity): losing b2 and b4 predicts 0.3-0.45.
CAPACITY_HIGH=0.3 CAPACITY_LOW=0.1

STATE=""       # this run's files (under the topology's results directory)
MONITOR_PID="" # the live view
BG_PID=""
LOAD_PID=""
T0=""          # the demo's clock starts with the traffic
PHASE_NO=0

say() { printf '%s\n' "$*"; }
note() { printf '  %s\n' "$*"; }
# Shows a command the way a user would type it on the LB host.
show_cmd() { printf '  lb# %s\n' "$*"; }

xlbctl() { topo_exec lb "$XLBCTL_BIN" --pin-path "$TOPO_PIN_DIR" "$@"; }

# Runs xlbctl, shown; its errors are the demo's.
run_xlbctl() {
	local out
	show_cmd "xlbctl $*"
	if ! out=$(xlbctl "$@" 2>&1); then
		say "demo: xlbctl $* failed: $out" >&2
		return 1
	fi
	[[ -n $out ]] && printf '%s\n' "$out" | sed 's/^/      /'
	return 0
}

backend_ip() { local var="TOPO_B${1#b}_IP4"; echo "${!var}"; }
vip() { echo "$TOPO_VIP4:$HTTP_PORT/tcp"; }
now() { date +%s.%N; }

# An event of the run, for the summary and the plot.
event() {
	printf '{"t": %s, "name": "%s", "text": "%s"}\n' "$(now)" "$1" "$2" >>"$STATE/events.jsonl"
}

# ---------------------------------------------------------------- cleanup

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	say ""
	say "[cleanup] stopping xlbd, the agents and the servers; detaching xlb; removing the namespaces, cgroups and pins"
	[[ -n $LOAD_PID ]] && kill -INT "$LOAD_PID" 2>/dev/null
	[[ -n $MONITOR_PID ]] && kill -TERM "$MONITOR_PID" 2>/dev/null
	if [[ -n ${TOPO_PREFIX:-} ]]; then
		topo_stop xlbd TERM >/dev/null 2>&1
		# The processes' logs outlive the topology, for a look afterwards.
		mkdir -p "$OUT/logs" && cp "$TOPO_RESULTS"/proc/*.log "$OUT/logs/" 2>/dev/null
		xlbctl detach --all >/dev/null 2>&1
	fi
	# Also a topology interrupted while it was being built (topo_up's
	# default prefix is xt<this shell's PID>).
	topo_down "${TOPO_PREFIX:-xt$$}" >/dev/null 2>&1
	exit "$rc"
}

interrupted() {
	say ""
	say "demo: interrupted"
	exit 130
}

# ---------------------------------------------------------------- setup

preflight() {
	local bin
	if ((EUID != 0)); then
		say "demo: needs root (network namespaces, XDP, BPF pins, cgroups): sudo make demo" >&2
		exit 2
	fi
	for bin in "$XLBCTL_BIN" "$XLBD_BIN" "$AGENT_BIN" "$LOAD_BIN" "$BACKEND_BIN"; do
		if [[ ! -x $bin ]]; then
			say "demo: $bin is not built: run make (or make demo)" >&2
			exit 2
		fi
	done
}

start_server() {
	local node=$1 i
	topo_start --cgroup "srv-$node" "$node" "$BACKEND_BIN" --name "$node" --port "$HTTP_PORT" \
		--admin-port "$ADMIN_PORT" --threads 1 --cpu-us "$CPU_US" >/dev/null || return 1
	for ((i = 0; i < 50; i++)); do
		grep -qs 'started pid' "$TOPO_RESULTS/proc/srv-$node.log" && return 0
		sleep 0.1
	done
	say "demo: xlb-backend on $node did not start: $(tail -n 2 "$TOPO_RESULTS/proc/srv-$node.log")" >&2
	return 1
}

setup() {
	local i node ip cpu acct
	say "[setup] a client, the load balancer (LB) and 5 backends, each in its own network namespace"
	if ! topo_up --backends 5 >/dev/null 2>&1; then
		say "demo: tools/topo.sh up failed; see: tools/topo.sh up --backends 5" >&2
		exit 2
	fi
	STATE=$TOPO_RESULTS/demo
	mkdir -p "$STATE" "$STATE/xlbd-state" "$STATE/bin"
	# Private copies: a rebuild during the run (make in another shell) then
	# cannot pull a binary from under the demo. Removed with the topology.
	cp "$XLBCTL_BIN" "$XLBD_BIN" "$AGENT_BIN" "$LOAD_BIN" "$BACKEND_BIN" "$STATE/bin/" || exit 2
	XLBCTL_BIN=$STATE/bin/xlbctl XLBD_BIN=$STATE/bin/xlbd AGENT_BIN=$STATE/bin/xlb-agent
	LOAD_BIN=$STATE/bin/xlb-load BACKEND_BIN=$STATE/bin/xlb-backend
	: >"$STATE/events.jsonl"
	: >"$STATE/progress.log"
	note "client $TOPO_CL_IP4, LB $TOPO_LB_IP4, backends b1..b5 $TOPO_B1_IP4..$TOPO_B5_IP4, VIP $TOPO_VIP4"
	note "direct server return: each backend holds the VIP on its loopback and answers the client itself"
	say ""
	say "[setup] on each backend: xlb-backend (HTTP, ${CPU_US} us of CPU per request) in a cgroup with a CPU quota,"
	say "        and xlb-agent reading that cgroup (port $AGENT_PORT) for the brain"
	for ((i = 1; i <= 5; i++)); do
		node=b$i ip=$(backend_ip "$node")
		cpu=TOPO_CGROUP_${node^^} acct=TOPO_CGROUP_ACCT_${node^^}
		start_server "$node" || return 1
		topo_cgroup_quota "$node" "${QUOTA[$node]}%" >/dev/null || return 1
		topo_start "agent-$node" "$node" "$AGENT_BIN" --listen "$ip:$AGENT_PORT" \
			--cgroup "${!cpu}" --cgroup-cpuacct "${!acct}" --probe "http://$ip:$HTTP_PORT/" \
			--probe-interval 0.2 --probe-timeout 1 >/dev/null || return 1
		note "$node: CPU quota ${QUOTA[$node]}% of a core (capacity ~$((QUOTA[$node] * 10)) requests/s); $node# xlb-agent --cgroup ${!cpu} --probe http://$ip/"
	done
	say ""
	say "[setup] attach xlb to the LB's interface, a VIP, five backends of equal base weight, b5 in the"
	say "        standby pool (the brain activates it when it predicts a shortage; pins in $TOPO_PIN_DIR)"
	run_xlbctl attach "$TOPO_IFNAME" --mode native || return 1
	run_xlbctl vip add "$(vip)" || return 1
	for ((i = 1; i <= 5; i++)); do
		if [[ b$i == "$STANDBY" ]]; then
			run_xlbctl backend add "$(vip)" "$(backend_ip "b$i")" --weight 100 --state standby || return 1
		else
			run_xlbctl backend add "$(vip)" "$(backend_ip "b$i")" --weight 100 || return 1
		fi
	done
	start_xlbd || return 1
}

start_xlbd() {
	local i cfg=$STATE/xlbd.conf
	cat >"$cfg" <<EOF
{
  "brain": { "slow_start_s": $SLOW_START_S, "ejection_base_s": $EJECTION_S,
    "capacity_high": $CAPACITY_HIGH, "capacity_low": $CAPACITY_LOW, "capacity_horizon_s": 10,
    "capacity_ticks": $CAPACITY_TICKS, "capacity_dwell_s": $CAPACITY_DWELL_S },
  "log": { "format": "json" }
}
EOF
	say ""
	say "[setup] start the brain, xlbd, on the LB: TCP probes every 100 ms, the agents scraped every second"
	note "config: $(tr -s ' \n' ' ' <"$cfg")"
	show_cmd "xlbd --config $cfg --state-dir $STATE/xlbd-state --metrics-listen $METRICS --foreground"
	topo_start xlbd lb "$XLBD_BIN" --config "$cfg" --pin-dir "$TOPO_PIN_DIR" \
		--state-dir "$STATE/xlbd-state" --metrics-listen "$METRICS" --foreground >/dev/null || return 1
	for ((i = 0; i < 100; i++)); do
		grep -qs 'started' "$TOPO_RESULTS/proc/xlbd.log" && break
		sleep 0.05
	done
	if ((i == 100)); then
		say "demo: xlbd did not start: $(tail -n 2 "$TOPO_RESULTS/proc/xlbd.log")" >&2
		return 1
	fi
	note "from another terminal: the decisions, the brain's metrics, the live counters:"
	note "  tools/topo.sh exec --prefix $TOPO_PREFIX lb $BUILD/xlbctl decisions --follow --state-dir $STATE/xlbd-state"
	note "  tools/topo.sh exec --prefix $TOPO_PREFIX lb curl -s http://$METRICS/metrics"
	note "  tools/topo.sh exec --prefix $TOPO_PREFIX lb $BUILD/xlbctl --pin-path $TOPO_PIN_DIR top"
}

# CMD in NODE's network namespace in the background, its output this
# shell's; BG_PID is the command's own PID (env and nsenter exec it), so a
# signal reaches it. The marker lets teardown find it (as topo_exec does).
ns_bg() {
	local node=$1 ns
	shift
	ns=$(topo_ns "$node") || return 1
	env "XLBTEST_PREFIX=$TOPO_PREFIX" "XLBTEST_NODE=$node" \
		nsenter --net="/run/netns/$ns" -- "$@" &
	BG_PID=$!
}

# The live view, in the LB's namespace; it prints to this terminal.
start_monitor() {
	local args=() i node cpu
	for ((i = 1; i <= 5; i++)); do
		node=b$i cpu=TOPO_CGROUP_${node^^}
		args+=(--backend "$node=$(backend_ip "$node")=${!cpu}")
	done
	ns_bg lb "$PY" tools/demo/monitor.py --xlbctl "$XLBCTL_BIN" --pin-path "$TOPO_PIN_DIR" \
		--metrics "http://$METRICS/metrics" --decisions "$STATE/xlbd-state/decisions.jsonl" \
		--progress "$STATE/progress.log" --vip "$(vip)" "${args[@]}" \
		--samples "$STATE/samples.jsonl" --view-every "$VIEW_EVERY" --t0 "$T0" --duration 900
	MONITOR_PID=$BG_PID
}

# ---------------------------------------------------------------- phases

phase_header() {
	PHASE_NO=$((PHASE_NO + 1))
	say ""
	say "[$PHASE_NO/${#PHASES[@]} $1 +$(elapsed) s] $2"
}

elapsed() { "$PY" -c 'import sys, time; print("%.0f" % (time.time() - float(sys.argv[1])))' "$T0"; }

# One phase: open-loop traffic for SECONDS while the phase's action runs.
run_phase() {
	local name=$1 seconds=$2 rate=${3:-$RATE}
	printf 'start %s %s\n' "$name" "$(now)" >>"$STATE/progress.log"
	ns_bg cl "$LOAD_BIN" http "http://$TOPO_VIP4:$HTTP_PORT/" --new-conn --rate "$rate" \
		--duration "$seconds" --timeout 2000 --interval-report 0.2 --json \
		>"$STATE/$name.load.json" 2>>"$STATE/progress.log"
	LOAD_PID=$BG_PID
	"action_$name" "$seconds"
	wait "$LOAD_PID"
	LOAD_PID=""
}

action_learn() {
	sleep "$1"
	event learned "end of learning"
}

# The quota falls in even steps over two thirds of the phase, then stays.
action_degrade() {
	local seconds=$1 from=${QUOTA[$DEGRADED]} steps i q
	steps=$((seconds * 2 / 3))
	event degrade "$DEGRADED's CPU quota ramped ${from}% -> ${DEGRADE_TO}% over ${steps} s"
	for ((i = 1; i <= steps; i++)); do
		q=$((from - (from - DEGRADE_TO) * i / steps))
		topo_cgroup_quota "$DEGRADED" "$q%" >/dev/null
		sleep 1
	done
	sleep $((seconds - steps))
}

action_kill() {
	sleep 2
	event kill "$KILLED's server killed (SIGKILL)"
	topo_stop "srv-$KILLED" KILL >/dev/null 2>&1
	sleep $(($1 - 2))
}

action_restore() {
	sleep 1
	event restore "$KILLED's server restarted, $DEGRADED's quota back to ${QUOTA[$DEGRADED]}%"
	start_server "$KILLED"
	topo_cgroup_quota "$DEGRADED" "${QUOTA[$DEGRADED]}%" >/dev/null
	sleep $(($1 - 1))
}

phases() {
	say ""
	say "[traffic] the client sends $RATE new HTTP connections/s to the VIP, open loop, from now to the end"
	note "cl# xlb-load http http://$TOPO_VIP4/ --new-conn --rate $RATE --duration ..."
	note "the live view every $VIEW_EVERY s: the brain's columns from xlbctl --json backend list and xlbd's"
	note "/metrics (xlbctl top has no brain columns yet); '>> decision' lines are xlbd's decision log"
	T0=$(now)
	start_monitor

	phase_header learn "equal base weights 100; quotas 10%, 20%, 30%, 20%: the brain learns each backend's"
	note "cost per request from its agent and moves the effective weights toward capacity (1:2:3:2)"
	run_phase learn "$LEARN_S"

	phase_header degrade "a gray failure: $DEGRADED's CPU quota ramped down from ${QUOTA[$DEGRADED]}% to ${DEGRADE_TO}%"
	note "watch: its probe latency and cost rise; the brain cuts its weight or drains it, and says why,"
	note "before the client's requests to it start failing"
	note "host# tools/topo.sh quota --prefix $TOPO_PREFIX $DEGRADED N%   (the cgroup's cpu.cfs_quota_us, once a second)"
	run_phase degrade "$DEGRADE_S"

	phase_header kill "a hard failure: $KILLED's server is killed"
	note "watch: probes fail (every 100 ms, 2 failures) and $KILLED goes down at once; with $DEGRADED drained too,"
	note "the capacity plan may predict the rest short (above brain.capacity_high, $CAPACITY_HIGH here) and"
	note "activate the standby $STANDBY through slow start"
	run_phase kill "$KILL_S"

	phase_header restore "$KILLED's server restarted and $DEGRADED's quota restored"
	note "watch: $KILLED's probes succeed (3 in a row), health ok, then slow start: its weight climbs from 10%"
	note "over ${SLOW_START_S} s; a drained $DEGRADED stays out for its ejection time (${EJECTION_S} s, doubling on repeats)"
	run_phase restore "$RESTORE_S"

	sleep 1.2 # the monitor's last sample
	kill -TERM "$MONITOR_PID" 2>/dev/null
	wait "$MONITOR_PID" 2>/dev/null
	MONITOR_PID=""
}

# ---------------------------------------------------------------- summary

summary() {
	local i args=() rc
	say ""
	say "[summary] after $(elapsed) s of traffic"
	for ((i = 1; i <= 5; i++)); do args+=(--backend "b$i=$(backend_ip "b$i")=${QUOTA[b$i]}"); done
	mkdir -p "$OUT" && find "$OUT" -maxdepth 1 -type f -delete
	"$PY" tools/demo/summary.py --state "$STATE" --out "$OUT" --t0 "$T0" --rate "$RATE" \
		--degraded "$DEGRADED" --killed "$KILLED" --standby "$STANDBY" --fast "$FAST" "${args[@]}" "${PHASES[@]}" |
		tee "$OUT/summary.txt"
	rc=${PIPESTATUS[0]}
	cp "$STATE"/*.json* "$STATE/progress.log" "$STATE/xlbd-state/decisions.jsonl" "$OUT/" 2>/dev/null
	return "$rc"
}

# ---------------------------------------------------------------- main

main() {
	preflight
	trap cleanup EXIT
	trap interrupted INT TERM
	say "xlb demo: an XDP load balancer whose brain (xlbd) decides by itself, live"
	say "(everything runs in network namespaces made for it and removed at the end; Ctrl-C stops it)"
	say ""
	setup || exit 2
	phases
	summary
}

main "$@"
