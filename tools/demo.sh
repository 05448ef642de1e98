#!/usr/bin/env bash
# tools/demo.sh: what `make demo` runs. It shows xlb's data plane at work on
# network namespaces: a client, the load balancer (LB) and four backends.
# xlb is attached in native XDP mode and balances a VIP by weight while the
# demo changes weights, drains one backend and marks another down, with new
# connections and long-lived ones flowing all the time; live counters show
# it (`xlbctl top` on a terminal, periodic `xlbctl stats` otherwise). It ends
# with a summary (requests, errors, each backend's share against its weight),
# checks what it showed, and removes everything it made, also on Ctrl-C.
#
#   tools/demo.sh             about a minute
#   DEMO_FAST=1 tools/demo.sh about 25 s (tests/readme/demo_fast.sh runs it)
#
# Exit status: 0 when every check held, 1 when one did not, 2 when the demo
# could not run (not root, not built, topology failed), 130 on Ctrl-C.
#
# Phases: setup, then each name in PHASES (a function phase_NAME each), then
# the summary. The brain (xlbd, a later issue) slots in as more phases that
# start it and let it act (e.g. throttle a backend's CPU and watch it react).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
# shellcheck source=tools/topo.sh
. tools/topo.sh

BUILD=${BUILD:-build}
XLBCTL_BIN=$PWD/$BUILD/xlbctl
LOAD_BIN=$PWD/$BUILD/xlb-load
BACKEND_BIN=$PWD/$BUILD/xlb-backend
PY=/usr/bin/python3

if [[ -n ${DEMO_FAST:-} && ${DEMO_FAST:-0} != 0 ]]; then
	PHASE_SECONDS=5
	READ_PAUSE=1
	VIEW_EVERY=2
else
	PHASE_SECONDS=15
	READ_PAUSE=3
	VIEW_EVERY=4
fi
PHASES=(balance reweight drain down)
RATE=300         # new connections per second, for the whole demo
LONG_LIVED=60    # connections open from the first phase to the last
BACKENDS=4
HTTP_PORT=80
ECHO_PORT=7
# What the checks allow: the share of new connections a backend gets may
# differ from its weight share by this many points. At 300/s for 5 s a 20%
# share has a standard deviation of 1 point.
SHARE_BOUND=5

STATE=""        # this run's files: phase reports, counters
STREAM_PID=""   # the long-lived connections (xlb-load stream)
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
# "b1=10.211.0.11 b2=...": the backends' names (as they answer) and addresses.
backend_map() {
	local i
	for ((i = 1; i <= BACKENDS; i++)); do printf 'b%d=%s ' "$i" "$(backend_ip "b$i")"; done
}
vip() { echo "$TOPO_VIP4:$1/tcp"; }

# ---------------------------------------------------------------- cleanup

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	say ""
	say "[cleanup] detaching xlb and removing the namespaces, processes and pins"
	[[ -n ${TOPO_PREFIX:-} ]] && xlbctl detach --all >/dev/null 2>&1
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
		say "demo: needs root (network namespaces, XDP, BPF pins): sudo make demo" >&2
		exit 2
	fi
	for bin in "$XLBCTL_BIN" "$LOAD_BIN" "$BACKEND_BIN"; do
		if [[ ! -x $bin ]]; then
			say "demo: $bin is not built: run make (or make demo)" >&2
			exit 2
		fi
	done
}

setup() {
	local i
	say "[setup] a client, the load balancer (LB) and $BACKENDS backends, each in its own network namespace"
	if ! topo_up --backends "$BACKENDS" >/dev/null 2>&1; then
		say "demo: tools/topo.sh up failed; see: tools/topo.sh up --backends $BACKENDS" >&2
		exit 2
	fi
	STATE=$TOPO_RESULTS/demo
	mkdir -p "$STATE"
	note "client $TOPO_CL_IP4, LB $TOPO_LB_IP4, backends b1..b$BACKENDS $TOPO_B1_IP4..$(backend_ip "b$BACKENDS"), VIP $TOPO_VIP4"
	note "the client routes the VIP to the LB; each backend holds the VIP on its loopback and answers"
	note "the client directly (direct server return): replies never cross the LB"
	for ((i = 1; i <= BACKENDS; i++)); do
		topo_start --cgroup "srv-b$i" "b$i" "$BACKEND_BIN" --name "b$i" --port "$HTTP_PORT" \
			--tcp-echo-port "$ECHO_PORT" --threads 1 >/dev/null || return 1
	done
	note "each backend runs xlb-backend: HTTP on port $HTTP_PORT, a TCP echo on port $ECHO_PORT"
	say ""
	say "[setup] attach xlb to the LB's interface and configure a VIP (pins in $TOPO_PIN_DIR)"
	run_xlbctl attach "$TOPO_IFNAME" --mode native || return 1
	for port in "$HTTP_PORT" "$ECHO_PORT"; do
		run_xlbctl vip add "$(vip "$port")" || return 1
		for ((i = 1; i <= BACKENDS; i++)); do
			# No --mac: xlbctl finds it in the LB's neighbour table.
			run_xlbctl backend add "$(vip "$port")" "$(backend_ip "b$i")" \
				--weight "$(initial_weight "b$i")" || return 1
		done
	done
	note "(HTTP for new connections on port $HTTP_PORT, long-lived echo connections on port $ECHO_PORT)"
	note "to watch from another terminal:"
	note "  tools/topo.sh exec --prefix $TOPO_PREFIX lb $BUILD/xlbctl --pin-path $TOPO_PIN_DIR top"
}

initial_weight() { case $1 in b3) echo 200 ;; *) echo 100 ;; esac; }

# ---------------------------------------------------------------- traffic

# The long-lived connections: one message every 100 ms each, until
# stop_long_lived (bounded anyway: the phases plus a minute).
start_long_lived() {
	local seconds=$((${#PHASES[@]} * (PHASE_SECONDS + READ_PAUSE + 5) + 60))
	topo_exec cl "$LOAD_BIN" stream "$TOPO_VIP4:$ECHO_PORT" --connections "$LONG_LIVED" \
		--interval 100 --duration "$seconds" --max-gap-ms 1000 --json \
		>"$STATE/long-lived.json" 2>"$STATE/long-lived.err" &
	STREAM_PID=$!
}

# SIGINT ends xlb-load's schedule: it waits for the last echoes, closes every
# connection normally and reports. It is the child of the background job.
stop_long_lived() {
	local pid
	[[ -n $STREAM_PID ]] || return 0
	for pid in $(ps -o pid= --ppid "$STREAM_PID"); do
		kill -INT "$pid" 2>/dev/null
	done
	wait "$STREAM_PID"
	STREAM_PID=""
}

# The same change on both VIPs: a backend is one server behind both ports.
set_backend() {
	local node=$1 port
	shift
	for port in "$HTTP_PORT" "$ECHO_PORT"; do
		run_xlbctl backend set "$(vip "$port")" "$(backend_ip "$node")" "$@" || return 1
	done
}

# Live counters while a phase's traffic runs: `xlbctl top` on a terminal,
# else the VIP part of `xlbctl stats` every VIEW_EVERY seconds (all within
# the phase, so every snapshot shows full traffic).
show_live() {
	local seconds=$1
	if [[ -t 1 ]]; then
		sleep "$READ_PAUSE"
		xlbctl top --interval 1 --duration "$((seconds - READ_PAUSE))"
	else
		xlbctl stats --watch --interval "$VIEW_EVERY" \
			--count "$(((seconds - 1) / VIEW_EVERY))" |
			awk -v every="$VIEW_EVERY" '
				/^VIP / { printf "\n    -- xlbctl stats (rates over %d s)\n", every; skip = 0 }
				/^GLOBAL/ { skip = 1 }
				!skip && NF { print "    " $0 }'
	fi
}

# One phase: its narration and action, then new connections at RATE for
# PHASE_SECONDS shown live, with the counters read before and after.
run_phase() {
	local name=$1 load
	PHASE_NO=$((PHASE_NO + 1))
	"phase_$name" || return 1
	xlbctl --json stats --interval 0 >"$STATE/$PHASE_NO-$name.before.json" 2>&1
	topo_exec cl "$LOAD_BIN" http "http://$TOPO_VIP4:$HTTP_PORT/" --new-conn --rate "$RATE" \
		--duration "$PHASE_SECONDS" --json >"$STATE/$PHASE_NO-$name.load.json" \
		2>"$STATE/$PHASE_NO-$name.load.err" &
	load=$!
	show_live "$PHASE_SECONDS"
	wait "$load"
	xlbctl --json stats --interval 0 >"$STATE/$PHASE_NO-$name.after.json" 2>&1
	phase_result "$STATE/$PHASE_NO-$name"
}

phase_header() {
	say ""
	say "[$PHASE_NO/${#PHASES[@]} $1] $2"
}

# A phase's one-line outcome, from the load tool's report.
phase_result() {
	"$PY" - "$1" "$HTTP_PORT" "$(backend_map)" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1] + ".load.json"))
before = json.load(open(sys.argv[1] + ".before.json"))
weights = {b["address"]: b["weight_share"] for v in before["vips"]
           if v["vip"].endswith(":%s/tcp" % sys.argv[2]) for b in v["backends"]}
addr = dict(a.split("=") for a in sys.argv[3].split())
total = sum(r["backends"].values())
names = sorted(set(r["backends"]) | set(addr))
parts = ["%s %.1f%% (weight %.1f%%)" % (n, 100.0 * r["backends"].get(n, 0) / max(total, 1),
         100.0 * weights.get(addr.get(n), 0)) for n in names]
print("  => %d new connections, %d errors: %s" % (r["completed"], r["errors"]["total"], ", ".join(parts)))
EOF
}

# ---------------------------------------------------------------- phases
#
# Each phase_NAME prints its narration and makes its change; the traffic and
# the live view are run_phase's.

phase_balance() {
	phase_header balance "weights 1:1:2:1 (b3 has weight 200, the others 100)"
	note "the client opens $RATE new connections/s to the VIP, and keeps $LONG_LIVED long-lived ones open"
	note "notice: each backend's share of new flows (NEW%) follows its share of the weight (WEIGHT%)"
	start_long_lived
}

phase_reweight() {
	phase_header reweight "b1's weight 100 -> 300: it should now take 3/7 of the new connections"
	set_backend b1 --weight 300 || return 1
	note "notice: NEW% moves at once; established connections stay where they are (connection table)"
}

phase_drain() {
	phase_header drain "drain b2: its connections carry on, new ones go elsewhere"
	set_backend b2 --state draining || return 1
	note "notice: b2's NEW/S drops to 0 but its PKT/S does not: its long-lived connections continue"
}

phase_down() {
	phase_header down "mark b4 down: it takes nothing, new connections go to b1 and b3"
	set_backend b4 --state down || return 1
	note "notice: b4's counters stop; its long-lived connections move to another backend, which"
	note "resets them (direct server return: only b4 had their TCP state). That is expected."
}

# ---------------------------------------------------------------- summary

# The table of shares per phase, the long-lived connections, and the checks.
# Prints "check ok: ..." or "check FAILED: ..." lines; fails if any failed.
summary() {
	local seconds=$SECONDS
	say ""
	say "[summary] after ${seconds} s"
	"$PY" - "$STATE" "$SHARE_BOUND" "$HTTP_PORT" "$LONG_LIVED" "$(backend_map)" "${PHASES[@]}" <<'EOF'
import json, sys
state, bound, port, long_lived = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
addr = dict(a.split("=") for a in sys.argv[5].split())
names = sorted(addr)
phases = sys.argv[6:]

def load(path):
    with open(path) as f:
        return json.load(f)

def pairs(stats, port):
    """address -> backend entry of the VIP on PORT."""
    return {b["address"]: b for v in stats["vips"] if v["vip"].endswith(":%d/tcp" % port)
            for b in v["backends"]}

checks = []
def check(ok, what):
    checks.append((ok, what))

print("  phase      new conns  errors  " + "  ".join("%-16s" % ("%s share/weight" % n) for n in names))
unbalanced, requests, http_errors = [], 0, {}
state_of = {}
for i, phase in enumerate(phases, 1):
    base = "%s/%d-%s" % (state, i, phase)
    r, before, after = load(base + ".load.json"), load(base + ".before.json"), load(base + ".after.json")
    p_before, p_after = pairs(before, port), pairs(after, port)
    total = sum(r["backends"].values())
    requests += r["completed"]
    for k, v in r["errors"].items():
        if k != "total" and v:
            http_errors[k] = http_errors.get(k, 0) + v
    cells = []
    for n in names:
        share = 100.0 * r["backends"].get(n, 0) / max(total, 1)
        weight = 100.0 * p_before[addr[n]]["weight_share"]
        new_flows = p_after[addr[n]]["new_flows"] - p_before[addr[n]]["new_flows"]
        state_of[(phase, n)] = (p_before[addr[n]]["state"], r["backends"].get(n, 0), new_flows)
        cells.append("%5.1f%% / %5.1f%%" % (share, weight))
        if weight == 0 and r["backends"].get(n, 0):
            unbalanced.append("%s: %s got %d new connections with no weight" % (phase, n, r["backends"][n]))
        elif abs(share - weight) > bound:
            unbalanced.append("%s: %s %.1f%% against %.1f%%" % (phase, n, share, weight))
    print("  %-9s  %9d  %6d  %s" % (phase, r["completed"], r["errors"]["total"], "  ".join(cells)))

# Long-lived connections: where each was, how it ended.
s = load(state + "/long-lived.json")
conns = s.get("connections", [])
by = {n: [c for c in conns if c["backend"] == n] for n in names}
print("  long-lived connections: %d (%s), %d messages echoed"
      % (len(conns), ", ".join("%s %d" % (n, len(by[n])) for n in names), sum(c["echoed"] for c in conns)))

check(not unbalanced, "balanced: every phase's shares within %g points of the weights%s"
      % (bound, "" if not unbalanced else " -- " + "; ".join(unbalanced)))

drained = [(p, st) for (p, n), st in state_of.items() if n == "b2" and st[0] == "draining"]
b2_new = sum(st[1] for p, st in drained)
b2_flows = sum(st[2] for p, st in drained)
b2_ended = {c["end"] for c in by["b2"]}
check(drained and b2_new == 0 and b2_flows == 0 and by["b2"] and b2_ended == {"ok"},
      "drain respected: b2 took %d new connections (%d new flows in xlb's counters) while draining; "
      "its %d long-lived connections ended %s" % (b2_new, b2_flows, len(by["b2"]), sorted(b2_ended)))

down = [(p, st) for (p, n), st in state_of.items() if n == "b4" and st[0] == "down"]
b4_new = sum(st[1] for p, st in down)
b4_flows = sum(st[2] for p, st in down)
check(down and b4_new == 0 and b4_flows == 0,
      "down respected: b4 took %d new connections (%d new flows in xlb's counters) after being marked down"
      % (b4_new, b4_flows))

b4_reset = [c for c in by["b4"] if c["end"] == "reset"]
other_bad = [(c["backend"], c["end"]) for c in conns if c["backend"] != "b4" and c["end"] != "ok"]
b4_other = [c["end"] for c in by["b4"] if c["end"] != "reset"]
bad = other_bad + [("b4", e) for e in b4_other]
check(not http_errors and not bad and len(conns) == long_lived,
      "errors: %d of %d new connections failed%s; of %d long-lived connections %d were reset, all on "
      "down b4 (expected in DSR), %d failed otherwise%s"
      % (sum(http_errors.values()), requests, " %s" % http_errors if http_errors else "", len(conns),
         len(b4_reset), len(bad), " %s" % bad[:3] if bad else ""))

for ok, what in checks:
    print("  check %s: %s" % ("ok" if ok else "FAILED", what))
sys.exit(0 if all(ok for ok, _ in checks) else 1)
EOF
}

# ---------------------------------------------------------------- main

main() {
	local phase
	preflight
	trap cleanup EXIT
	trap interrupted INT TERM
	say "xlb demo: an XDP load balancer balancing, draining and failing over, live"
	say "(everything runs in network namespaces made for it and removed at the end; Ctrl-C stops it)"
	say ""
	setup || exit 2
	for phase in "${PHASES[@]}"; do
		run_phase "$phase" || exit 2
	done
	say ""
	note "the client closes its long-lived connections"
	stop_long_lived
	summary
}

main "$@"
