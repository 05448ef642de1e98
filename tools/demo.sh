#!/usr/bin/env bash
# tools/demo.sh: what `make demo` runs. xlb with its brain deciding, live, on
# network namespaces: a client, the load balancer (LB) and four active
# backends of unequal CPU quota (cgroups) and a fifth in the standby pool,
# each with xlb-agent reading its cgroup. xlb is
# attached in native XDP mode, xlbd (the brain) runs on the LB, the client
# sends open-loop HTTP traffic (a new connection per request) all along.
# Then, with nobody typing a command:
#   learn    the brain spreads traffic by learned capacity (quotas 1:2:3:2)
#   ramp     the client's rate steps up past the four actives' capacity:
#            the brain's capacity plan activates the standby b5 before it
#   degrade  b2's CPU quota is ramped down: the brain cuts or drains it,
#            with its reason, before clients see errors
#   kill     b4's server is killed: probes mark it down, traffic fails over
#   restore  b4 restarted and b2's quota given back: both return through
#            slow start
# The live view (tools/demo/monitor.py) prints the brain's columns
# (operator state, health, base and effective weight, factor, anomaly score,
# probe latency, the VIP's demand beside its forecast) and every decision
# of xlbd's log as it is made. It ends with a summary (requests, errors, p99
# of each phase, each decision with its reason and lead time), self-checks,
# and a PNG plot, and removes everything it made, also on Ctrl-C.
#
#   tools/demo.sh             about three minutes
#   DEMO_FAST=1 tools/demo.sh about 40 s (tests/readme/demo_fast.sh runs it)
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
	LEARN_S=6 DEGRADE_S=7 KILL_S=3 KILL_AT_S=1 RESTORE_S=4
	RAMP_STEPS=(200 320 420) RAMP_STEP_S=3 RAMP_SETTLE_S=1 RAMP_SETTLE_MAX_S=14
	VIEW_EVERY=3 SLOW_START_S=3 EJECTION_S=8 CAPACITY_TICKS=2 CAPACITY_DWELL_S=5
else
	FAST=0
	LEARN_S=40 DEGRADE_S=30 KILL_S=15 KILL_AT_S=2 RESTORE_S=40
	RAMP_STEPS=(150 210 270 330 390 440 440) RAMP_STEP_S=4 RAMP_SETTLE_S=10 RAMP_SETTLE_MAX_S=45
	VIEW_EVERY=5 SLOW_START_S=20 EJECTION_S=20 CAPACITY_TICKS=5 CAPACITY_DWELL_S=10
fi
PHASES=(learn ramp degrade kill restore)
RATE=120 # new connections per second, open loop, all along but the ramp
CPU_US=1000 # CPU each request costs a backend: capacity = quota x 1000/s
HTTP_PORT=80
ADMIN_PORT=9090
AGENT_PORT=9470
METRICS=127.0.0.1:9469
# Quotas (share of one CPU): capacities 50, 100, 150, 100 requests/s, the
# four actives 400/s: the ramp passes it with the whole demo's backends
# needing under half of this 2-core machine. b5 is the standby pool (200/s,
# a bigger spare: the ramp's top is then 73% of the five, where 100/s left
# the actives queueing while b5's weight was still climbing): it takes
# traffic only when the brain predicts the active ones short.
declare -A QUOTA=([b1]=5 [b2]=10 [b3]=15 [b4]=10 [b5]=20)
DEGRADED=b2 DEGRADE_TO=2 KILLED=b4 STANDBY=b5
# The capacity plan's marks: 120/s on the actives' 400/s is 0.3; the ramp
# crosses 0.6 (240/s, or less with the trend carried over the horizon)
# well before 400/s. After it 120/s on five backends (0.24) stays above
# the low mark: b5 stays active for the failures to come.
CAPACITY_HIGH=0.6 CAPACITY_LOW=0.15

STATE=""       # this run's files (under the topology's results directory)
MONITOR_PID="" # the live view
BG_PID=""
LOAD_PID=""
RAMP_PIDS=() # the ramp's loads, one per step
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

# The CFS period for a quota of N% of a core: 10 ms, so that a small quota
# runs often (in a 100 ms period a 5% backend serves 5 ms, then waits 95),
# longer where 10 ms would give less than the kernel's 1 ms minimum.
period_for() {
	local pct=$1 period
	for period in 10000 20000 50000 100000; do
		((period * pct / 100 >= 1000)) && break
	done
	echo "$period"
}

# NODE's CPU quota to N% of a core, in the period above.
set_quota() { topo_cgroup_quota "$1" "$2%" "$(period_for "$2")" >/dev/null; }

# The actives' capacity in requests/s, from their quotas and CPU_US.
actives_capacity() {
	local n sum=0
	for n in "${!QUOTA[@]}"; do
		[[ $n == "$STANDBY" ]] || sum=$((sum + QUOTA[$n]))
	done
	echo $((sum * 10000 / CPU_US))
}
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
	((${#RAMP_PIDS[@]})) && kill -INT "${RAMP_PIDS[@]}" 2>/dev/null
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
		set_quota "$node" "${QUOTA[$node]}" || return 1
		topo_start "agent-$node" "$node" "$AGENT_BIN" --listen "$ip:$AGENT_PORT" \
			--cgroup "${!cpu}" --cgroup-cpuacct "${!acct}" --probe "http://$ip:$HTTP_PORT/" \
			--probe-interval 0.2 --probe-timeout 1 >/dev/null || return 1
		note "$node: CPU quota ${QUOTA[$node]}% of a core in $(($(period_for "${QUOTA[$node]}") / 1000)) ms periods (capacity ~$((QUOTA[$node] * 10000 / CPU_US)) requests/s); $node# xlb-agent --cgroup ${!cpu} --probe http://$ip/"
	done
	note "the four actives: ~$(actives_capacity) requests/s; $STANDBY, in the standby pool, ~$((QUOTA[$STANDBY] * 10000 / CPU_US)) more"
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
		--samples "$STATE/samples.jsonl" --view-every "$VIEW_EVERY" --t0 "$T0" --duration 900 \
		--ticker ramp --standby "$STANDBY" --capacity-high "$CAPACITY_HIGH"
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

# Sleeps until the epoch time EPOCH (at once if it is past).
sleep_until() {
	sleep "$(awk -v t="$1" -v n="$EPOCHREALTIME" 'BEGIN { d = t - n; printf "%.3f", (d > 0 ? d : 0) }')"
}

# Whether xlbd cut no backend (summary.py's brain_cut: a hot cut, a drain,
# down; not the equaliser's steps) in the last QUIET_S seconds of its
# decision log, and holds none drained (a drain lasts its ejection time).
# The summary checks the degraded backend by the same rule.
QUIET_S=2
brain_quiet() {
	"$PY" -c '
import json, sys, time
sys.path.insert(0, "tools/demo")
from summary import brain_cut
decisions = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
health = {x["backend"]: x["new_health"] for x in decisions}
cut = [x["time"] for x in decisions if brain_cut(x)]
recent = cut and time.time() - cut[-1] < float(sys.argv[2])
sys.exit(1 if recent or set(health.values()) - {"ok"} else 0)' \
		"$STATE/xlbd-state/decisions.jsonl" "$QUIET_S" 2>/dev/null
}

# The ramp: one open-loop load per step (each its own report, so each step
# has its own p99), each started on the step's schedule, not when the one
# before has its last answer (that would leave a gap as long as the slowest
# request); the steps' start times in ramp.jsonl for the summary. A last
# step back at RATE lets the weights settle (the brain's hot rule cuts the
# actives near the top, and a backlog may make one look faulty) before the
# gray failure, whose cut must answer that failure alone: it lasts
# RAMP_SETTLE_S, and on until no cut for QUIET_S and none drained,
# RAMP_SETTLE_MAX_S at most (a drain's ejection and slow start fit in it).
run_ramp() {
	local i rate secs t start n=${#RAMP_STEPS[@]}
	event ramp "the client's rate ramped ${RAMP_STEPS[0]} -> ${RAMP_STEPS[-1]}/s in $n steps of ${RAMP_STEP_S} s, then ${RATE}/s until the brain settles (${RAMP_SETTLE_S}-${RAMP_SETTLE_MAX_S} s; the actives' capacity ~$(actives_capacity)/s)"
	: >"$STATE/ramp.jsonl"
	start=$(now)
	for ((i = 0; i <= n; i++)); do
		rate=${RAMP_STEPS[i]:-$RATE} secs=$RAMP_STEP_S
		((i == n)) && secs=$RAMP_SETTLE_MAX_S
		sleep_until "$(awk -v s="$start" -v i="$i" -v d="$RAMP_STEP_S" 'BEGIN { printf "%.6f", s + i * d }')"
		t=$(now)
		printf 'start ramp.%d %s\n' "$((i + 1))" "$t" >>"$STATE/progress.log"
		printf '{"step": %d, "rate": %d, "t": %s, "seconds": %s}\n' "$((i + 1))" "$rate" "$t" \
			"$secs" >>"$STATE/ramp.jsonl"
		# Its progress lines tagged with the step's name: the steps overlap.
		ns_bg cl "$LOAD_BIN" http "http://$TOPO_VIP4:$HTTP_PORT/" --new-conn --rate "$rate" \
			--duration "$secs" --timeout 2000 --interval-report 0.2 --json \
			>"$STATE/ramp.$((i + 1)).load.json" \
			2> >(sed -u "s/^/[ramp.$((i + 1))] /" >>"$STATE/progress.log")
		RAMP_PIDS+=("$BG_PID")
	done
	sleep "$RAMP_SETTLE_S"
	while [[ -e /proc/${RAMP_PIDS[-1]} ]] && ! brain_quiet; do
		sleep 0.2
	done
	kill -INT "${RAMP_PIDS[-1]}" 2>/dev/null # ends its schedule; it reports
	wait "${RAMP_PIDS[@]}"
	RAMP_PIDS=()
}

# The quota falls in even steps over two thirds of the phase, then stays.
action_degrade() {
	local seconds=$1 from=${QUOTA[$DEGRADED]} steps i q
	steps=$((seconds * 2 / 3))
	event degrade "$DEGRADED's CPU quota ramped ${from}% -> ${DEGRADE_TO}% over ${steps} s"
	for ((i = 1; i <= steps; i++)); do
		q=$((from - (from - DEGRADE_TO) * i / steps))
		set_quota "$DEGRADED" "$q"
		sleep 1
	done
	sleep $((seconds - steps))
}

action_kill() {
	sleep "$KILL_AT_S"
	event kill "$KILLED's server killed (SIGKILL)"
	topo_stop "srv-$KILLED" KILL >/dev/null 2>&1
	sleep $(($1 - KILL_AT_S))
}

action_restore() {
	sleep 1
	event restore "$KILLED's server restarted, $DEGRADED's quota back to ${QUOTA[$DEGRADED]}%"
	start_server "$KILLED"
	set_quota "$DEGRADED" "${QUOTA[$DEGRADED]}"
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

	phase_header learn "equal base weights 100; quotas ${QUOTA[b1]}%, ${QUOTA[b2]}%, ${QUOTA[b3]}%, ${QUOTA[b4]}%: the brain learns each backend's"
	note "cost per request from its agent and moves the effective weights toward capacity (1:2:3:2)"
	run_phase learn "$LEARN_S"

	phase_header ramp "demand rises: ${RAMP_STEPS[*]} new connections/s, ${RAMP_STEP_S} s each, past the four actives' ~$(actives_capacity)/s, then $RATE/s until the brain settles"
	note "watch: the VIP's demand and forecast climb and the capacity plan's predicted utilisation (the peak"
	note "forecast over brain.capacity_horizon_s, 10 s, over the actives' learned capacity) pass"
	note "brain.capacity_high ($CAPACITY_HIGH) for brain.capacity_ticks ($CAPACITY_TICKS): the standby $STANDBY is activated"
	note "(rule capacity_up) and brought in through slow start before the actives run out of CPU"
	run_ramp

	phase_header degrade "a gray failure: $DEGRADED's CPU quota ramped down from ${QUOTA[$DEGRADED]}% to ${DEGRADE_TO}%"
	note "watch: its probe latency and cost rise; the brain cuts its weight or drains it, and says why,"
	note "before the client's requests to it start failing"
	note "host# tools/topo.sh quota --prefix $TOPO_PREFIX $DEGRADED N% PERIOD_US   (the cgroup's CPU quota, once a second)"
	run_phase degrade "$DEGRADE_S"

	phase_header kill "a hard failure: $KILLED's server is killed"
	note "watch: probes fail (every 100 ms, 2 failures) and $KILLED goes down at once; its share moves to the"
	note "others ($STANDBY among them, activated in the ramp; were it still in the pool, the capacity plan would"
	note "activate it if the rest were predicted short)"
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
		--actives-capacity "$(actives_capacity)" --capacity-high "$CAPACITY_HIGH" \
		--degraded "$DEGRADED" --killed "$KILLED" --standby "$STANDBY" --fast "$FAST" --settled "$QUIET_S" "${args[@]}" "${PHASES[@]}" |
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

# On one line: bash reads a script as it runs, so a change to this file
# (a git pull) during a demo must not be read after main returns.
main "$@"; exit
