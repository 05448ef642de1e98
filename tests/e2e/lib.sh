# shellcheck shell=bash
# shellcheck disable=SC2119 # topo_down takes an optional prefix, unused here
# tests/e2e/lib.sh: what the end-to-end tests of balancing, draining and
# failover share. Sourced, not run (the runner runs only executables).
#
#   e2e_setup [topo_up options]   root check, topology, a server on every
#                                 backend, teardown trap; skips without root
#   e2e_want CASE                 CASE matches the filter ($1 of the script)
#   xlbctl ARGS...                xlbctl in the LB namespace, on the run's pins
#   e2e_xlbctl ARGS...            the same, logged; a failure is a problem
#   e2e_attach MODE               attach (native|generic) to the LB's eth0
#   e2e_vip_up VIP NODE=WEIGHT... a fresh VIP with those backends
#   e2e_backend_set VIP NODE ARGS...   xlbctl backend set for a node
#   e2e_case_begin CASE           starts a case: working dir, captures
#   e2e_problem WHY               the current case fails, for this reason
#   e2e_case_end [VIP...]         PASS, or FAIL with evidence under results/;
#                                 then removes the case's VIPs
#   e2e_load NAME ARGS...         xlb-load in the client; NAME.json report
#   e2e_load_bg NAME ARGS...      the same in the background (E2E_BG_PID)
#   e2e_load_bg_interrupt PID     ends it early; it still reports
#   e2e_check PYTHON ARGS...      a check over reports (see E2E_PY_PRELUDE)
#   e2e_tcp_retrans               the client's TCP RetransSegs counter
#
# Every backend runs xlb-backend: HTTP on 80, UDP echo on 5353, TCP echo on
# 7, admin on 9090. Each case works in $E2E_CASE_DIR (under the topology's
# results directory, removed at teardown unless a case failed).

E2E_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$E2E_REPO" || exit 1
# shellcheck source=tests/lib/testing.sh
. tests/lib/testing.sh
# shellcheck source=tools/topo.sh
. tools/topo.sh

E2E_BUILD=${BUILD:-build}
E2E_XLBCTL=${XLBCTL:-$E2E_REPO/$E2E_BUILD/xlbctl}
E2E_LOAD=$E2E_REPO/$E2E_BUILD/xlb-load
E2E_BACKEND=$E2E_REPO/$E2E_BUILD/xlb-backend
E2E_PY=/usr/bin/python3
E2E_HTTP_PORT=80
E2E_UDP_PORT=5353
E2E_ECHO_PORT=7
E2E_ADMIN_PORT=9090
E2E_FILTER=${1:-}
E2E_SCRIPT=$(basename "$0" .sh)
E2E_CASE=
E2E_CASE_DIR=
E2E_WHY=()
E2E_BG_PID=

e2e_want() { [[ -z $E2E_FILTER || $1 == *"$E2E_FILTER"* ]]; }

# ---------------------------------------------------------------- setup

_e2e_teardown() {
	[[ -n ${TOPO_PREFIX:-} ]] && xlbctl detach --all >/dev/null 2>&1
	topo_down
}

# Brings the topology up (a bridge: its ports' captures see the frames xlb
# sends, for the evidence) with a server on every backend.
e2e_setup() {
	local bin node i
	if ((EUID != 0)); then
		skip "$E2E_SCRIPT" "needs root for namespaces and XDP"
		summary
		exit 0
	fi
	for bin in "$E2E_XLBCTL" "$E2E_LOAD" "$E2E_BACKEND"; do
		if [[ ! -x $bin ]]; then
			fail "$E2E_SCRIPT" "$bin is not built (make)"
			summary
			exit 1
		fi
	done
	# A UDP flow is a socket: thousands of them need the descriptors.
	ulimit -Sn 8192 2>/dev/null || ulimit -Sn "$(ulimit -Hn)"
	trap _e2e_teardown EXIT
	trap 'exit 130' INT TERM
	if ! topo_up "$@" >/dev/null; then
		fail "$E2E_SCRIPT" "tools/topo.sh up failed"
		summary
		exit 1
	fi
	for node in $TOPO_NODES; do
		[[ $node == b* ]] || continue
		topo_start --cgroup "srv-$node" "$node" "$E2E_BACKEND" --name "$node" \
			--port "$E2E_HTTP_PORT" --udp-port "$E2E_UDP_PORT" \
			--tcp-echo-port "$E2E_ECHO_PORT" --admin-port "$E2E_ADMIN_PORT" \
			--threads 1 >/dev/null
	done
	for node in $TOPO_NODES; do
		[[ $node == b* ]] || continue
		for ((i = 0; i < 50; i++)); do
			grep -qs 'started pid' "$TOPO_RESULTS/proc/srv-$node.log" && break
			sleep 0.1
		done
		if ((i == 50)); then
			fail "$E2E_SCRIPT" "xlb-backend on $node did not start:" \
				"$(tail -n 2 "$TOPO_RESULTS/proc/srv-$node.log" 2>/dev/null)"
			summary
			exit 1
		fi
	done
	mkdir -p "$TOPO_RESULTS/log"
}

# ---------------------------------------------------------------- xlbctl

xlbctl() { topo_exec lb "$E2E_XLBCTL" --pin-path "$TOPO_PIN_DIR" "$@"; }

# Logged to the run's xlbctl.log; a non-zero exit fails the current case.
e2e_xlbctl() {
	local out rc
	out=$(xlbctl "$@" 2>&1)
	rc=$?
	printf '%s $ xlbctl %s\n%s\n' "$(date +%T.%N | cut -c1-12)" "$*" "$out" \
		>>"$TOPO_RESULTS/log/xlbctl.log"
	if ((rc != 0)); then
		e2e_problem "xlbctl $* exited $rc: $(tail -n 1 <<<"$out")"
	fi
	return "$rc"
}

e2e_attach() {
	e2e_xlbctl attach "$TOPO_IFNAME" --mode "$1" --conn-table-size 65536
}

e2e_detach_all() { e2e_xlbctl detach --all; }

# The address of a backend node in the family of VIP ("[...]" is IPv6).
e2e_node_addr() {
	local vip=$1 node=$2 var
	if [[ $vip == \[* ]]; then var="TOPO_${node^^}_IP6"; else var="TOPO_${node^^}_IP4"; fi
	echo "${!var}"
}

# e2e_vip_up VIP NODE=WEIGHT...: the VIP, new, with exactly these backends
# (MACs from the LB's neighbour table).
e2e_vip_up() {
	local vip=$1 spec
	shift
	xlbctl vip del "$vip" >/dev/null 2>&1
	e2e_xlbctl vip add "$vip" >/dev/null || return 1
	for spec in "$@"; do
		e2e_xlbctl backend add "$vip" "$(e2e_node_addr "$vip" "${spec%%=*}")" \
			--weight "${spec#*=}" >/dev/null || return 1
	done
}

e2e_backend_set() {
	local vip=$1 node=$2
	shift 2
	e2e_xlbctl backend set "$vip" "$(e2e_node_addr "$vip" "$node")" "$@" >/dev/null
}

# ---------------------------------------------------------------- cases

e2e_problem() { E2E_WHY+=("$*"); }

# Bounded captures for each case (the first 200 frames): on the LB's eth0
# (what its stack sees) and on the LB's bridge port (also the frames xlb
# sends back out with XDP_TX, which no capture inside the LB sees).
e2e_case_begin() {
	E2E_CASE=$1
	E2E_WHY=()
	E2E_CASE_DIR="$TOPO_RESULTS/$E2E_CASE"
	mkdir -p "$E2E_CASE_DIR"
	TOPO_PCAP_SECONDS=120 topo_pcap_start lb "$TOPO_IFNAME" \
		"$E2E_CASE_DIR/lb-eth0.pcap" >/dev/null
	TOPO_PCAP_SECONDS=120 topo_pcap_start sw lb "$E2E_CASE_DIR/sw-lb.pcap" >/dev/null
}

# Logs of every process, xlbctl's view, the captures, the state of every node.
_e2e_evidence() {
	local dir="$E2E_CASE_DIR/evidence"
	mkdir -p "$dir"
	xlbctl --json stats --interval 0 >"$dir/xlbctl-stats.json" 2>&1
	{
		xlbctl status
		xlbctl vip list
		xlbctl backend list
	} >"$dir/xlbctl-state.txt" 2>&1
	cp "$TOPO_RESULTS/log/xlbctl.log" "$dir/" 2>/dev/null
	topo_pcap_stop sw lb >/dev/null 2>&1
	cp "$E2E_CASE_DIR/sw-lb.pcap" "$dir/" 2>/dev/null
	# Copies the LB capture that runs, and every process log.
	topo_collect_evidence "$dir" >/dev/null 2>&1
	echo "  evidence: $dir"
}

e2e_case_end() {
	local vip
	if ((${#E2E_WHY[@]})); then
		fail "$E2E_CASE" "$(printf '%s; ' "${E2E_WHY[@]}" | sed 's/; $//')"
		_e2e_evidence
	else
		pass "$E2E_CASE"
		topo_pcap_stop lb "$TOPO_IFNAME" >/dev/null 2>&1
		topo_pcap_stop sw lb >/dev/null 2>&1
		rm -f "$E2E_CASE_DIR"/*.pcap
	fi
	# After the evidence, which shows the VIPs as the case left them.
	for vip in "$@"; do
		xlbctl vip del "$vip" >/dev/null 2>&1 ||
			echo "  warning: xlbctl vip del $vip failed" >&2
	done
	E2E_CASE=
}

# A measured figure, printed under the case's result line.
e2e_note() { echo "  # $*"; }

# ---------------------------------------------------------------- traffic

# e2e_load NAME MODE TARGET ARGS...: the JSON report in $E2E_CASE_DIR/NAME.json.
e2e_load() {
	local name=$1
	shift
	topo_exec cl "$E2E_LOAD" "$@" --json >"$E2E_CASE_DIR/$name.json" \
		2>"$E2E_CASE_DIR/$name.err" ||
		e2e_problem "xlb-load $name exited $?: $(tail -n 1 "$E2E_CASE_DIR/$name.err")"
}

# In the background; wait for it with `wait "$E2E_BG_PID"` (never a bare
# wait: the backends are children of this shell too).
e2e_load_bg() {
	local name=$1
	shift
	topo_exec cl "$E2E_LOAD" "$@" --json >"$E2E_CASE_DIR/$name.json" \
		2>"$E2E_CASE_DIR/$name.err" &
	# shellcheck disable=SC2034 # read by the tests
	E2E_BG_PID=$!
}

# Ends a background xlb-load early: SIGINT ends its schedule and it still
# reports. PID is the shell's job; xlb-load is its child.
e2e_load_bg_interrupt() {
	local pid=$1 child
	for child in $(ps -o pid= --ppid "$pid"); do
		kill -INT "$child" 2>/dev/null
	done
	wait "$pid"
}

# Stream connections open on all the backends together (their TCP echo
# servers count them): xlb-load itself reports nothing before the end.
e2e_echo_open() {
	local node open=0
	for node in $TOPO_NODES; do
		[[ $node == b* ]] || continue
		open=$((open + $(e2e_backend_stat "$node" tcp_echo open)))
	done
	echo "$open"
}

# e2e_wait_stream_open N BEFORE: until N more connections are open than
# BEFORE (a reset connection stays open on the backend that lost it).
e2e_wait_stream_open() {
	local want=$1 before=$2 i open=0
	for ((i = 0; i < 50; i++)); do
		open=$(($(e2e_echo_open) - before))
		((open >= want)) && return 0
		sleep 0.1
	done
	e2e_problem "only $open of $want stream connections opened within 5 s"
	return 1
}

# e2e_backend_stat NODE GROUP KEY: a counter from the server's admin /stats
# (Python rather than curl, which make deps does not install).
e2e_backend_stat() {
	topo_exec "$1" "$E2E_PY" -c '
import json, sys, urllib.request
with urllib.request.urlopen("http://127.0.0.1:%s/stats" % sys.argv[1], timeout=2) as f:
    print(json.load(f)[sys.argv[2]][sys.argv[3]])' "$E2E_ADMIN_PORT" "$2" "$3" 2>/dev/null || echo 0
}

# RetransSegs of the client's TCP MIB (IPv4 and IPv6 share it), read from
# /proc/net/snmp inside the client namespace.
e2e_tcp_retrans() {
	topo_exec cl cat /proc/net/snmp | awk '
		$1 == "Tcp:" && !h { for (i = 2; i <= NF; i++) col[$i] = i; h = 1; next }
		$1 == "Tcp:" { print $col["RetransSegs"] }'
}

# ---------------------------------------------------------------- checks

# Helpers every check may use. A check prints one line per problem, and
# "info: ..." lines with what it measured.
# shellcheck disable=SC2016 # Python, not shell
E2E_PY_PRELUDE='
import json, re, sys

def report(path):
    with open(path) as f:
        return json.load(f)

def errors(r):
    return {k: v for k, v in r.get("errors", {}).items() if v and k != "total"}

def shares(counts, names):
    total = sum(counts.get(n, 0) for n in names)
    return total, {n: (100.0 * counts.get(n, 0) / total if total else 0.0) for n in names}

def flow_counts(r):
    """Flows per backend, each flow counted once, for the backend that answered it."""
    counts = {}
    for f in r.get("flows", []):
        for name in f.get("backends", {}):
            counts[name] = counts.get(name, 0) + 1
    return counts

def check_shares(what, counts, want, bound):
    """want: name -> expected percent; every share within bound points."""
    total, got = shares(counts, list(want))
    others = {n: c for n, c in counts.items() if n not in want and c}
    print("info: %s: %s (n=%d)" % (what, " ".join(
        "%s %.1f%% (want %.0f)" % (n, got[n], want[n]) for n in want), total))
    if others:
        print("%s: unexpected backends %s" % (what, others))
    for n, w in want.items():
        if abs(got[n] - w) > bound:
            print("%s: %s has %.1f%%, want %.0f%% +-%g" % (what, n, got[n], w, bound))
'

# e2e_check PYTHON ARGS...: runs the check; its problems fail the case.
e2e_check() {
	local code=$1 out line
	shift
	out=$("$E2E_PY" -c "$E2E_PY_PRELUDE$code" "$@" 2>&1) ||
		e2e_problem "check crashed: $(tail -n 1 <<<"$out")"
	while IFS= read -r line; do
		[[ -z $line ]] && continue
		if [[ $line == info:* ]]; then
			e2e_note "${line#info: }"
		else
			e2e_problem "$line"
		fi
	done <<<"$out"
}
