#!/usr/bin/env bash
# Traffic to the LB host's own address passes the XDP program untouched: TCP
# (new connections, and long-lived ones that span attach and detach) and
# ping, IPv4 and IPv6, work while xlb is attached and balancing a VIP; after
# detach nothing has changed: no XDP on the link, the same addresses, routes,
# link settings and offloads, and the same traffic still works. Native and
# generic mode.
#
#   tests/e2e/lb_host_traffic_unaffected.sh [FILTER]
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

LB_HTTP_PORT=8080
LB_ECHO_PORT=7007

# What an attach could change on the LB and a detach must restore. The
# captures of the cases make the link promiscuous: not compared.
lb_state() {
	topo_exec lb sh -c "ip -br addr; ip route; ip -6 route; \
		ip -d link show $TOPO_IFNAME; ethtool -k $TOPO_IFNAME" |
		sed -E 's/promiscuity [0-9]+ //'
}

# Ping and new TCP connections to the LB's addresses, from the client.
lb_traffic_works() {
	local tag=$1 addr out
	for addr in "$TOPO_LB_IP4" "$TOPO_LB_IP6"; do
		out=$(topo_exec cl ping -q -c 20 -i 0.02 -W 1 "$addr" 2>&1)
		if [[ $out != *" 0% packet loss"* ]]; then
			e2e_problem "$tag: ping $addr: $(grep -o '[0-9.]*% packet loss' <<<"$out")"
		fi
	done
	e2e_load "$tag-http4" http "http://$TOPO_LB_IP4:$LB_HTTP_PORT/" --new-conn --rate 500 --count 300
	e2e_load "$tag-http6" http "http://[$TOPO_LB_IP6]:$LB_HTTP_PORT/" --new-conn --rate 500 --count 300
	e2e_check '
for path in sys.argv[1:]:
    r = report(path)
    if r["ok"] != 300 or errors(r) or set(r["backends"]) != {"lb"}:
        print("%s: %d of 300 ok, errors %s, answered by %s" % (path.rsplit("/", 1)[-1], r["ok"],
              errors(r), r["backends"]))
' "$E2E_CASE_DIR/$tag-http4.json" "$E2E_CASE_DIR/$tag-http6.json"
}

# The global counters: passed, forwarded and the sum of drops.
global_counters() {
	xlbctl --json stats --interval 0 | "$E2E_PY" -c '
import json, sys
g = json.load(sys.stdin)["global"]
print(g["passed"], g["forwarded"], sum(g["drops"].values()))'
}

attached_case() {
	local mode=$1 name vip passed0 fwd0 drops0 passed1 fwd1 drops1
	name=lb_host_tcp_and_ping_work_while_xlb_is_attached_${mode}
	e2e_case_begin "$name"
	vip="$TOPO_VIP4:$E2E_HTTP_PORT/tcp"
	if e2e_attach "$mode" && e2e_vip_up "$vip" b1=100 b2=100; then
		read -r passed0 fwd0 drops0 < <(global_counters)
		# The VIP is balanced at the same time: the program is busy.
		e2e_load_bg vip http "http://$TOPO_VIP4:$E2E_HTTP_PORT/" --new-conn \
			--rate 300 --count 600
		lb_traffic_works attached
		wait "$E2E_BG_PID"
		read -r passed1 fwd1 drops1 < <(global_counters)
		e2e_check '
r = report(sys.argv[1])
if r["ok"] != 600 or errors(r): print("VIP traffic: %d of 600 ok, errors %s" % (r["ok"], errors(r)))
passed, fwd, drops = (int(b) - int(a) for a, b in zip(sys.argv[2:5], sys.argv[5:8]))
if passed < 1200: print("the program passed only %d frames (the LB traffic alone is more)" % passed)
if drops: print("%d drops" % drops)
print("info: while attached: %d frames passed to the LB host, %d forwarded for the VIP" % (passed, fwd))
' "$E2E_CASE_DIR/vip.json" "$passed0" "$fwd0" "$drops0" "$passed1" "$fwd1" "$drops1"
	fi
	e2e_case_end "$vip"
}

detached_case() {
	local mode=$1 state_before=$2 name left
	name=lb_host_unchanged_after_xlb_detaches_${mode}
	e2e_case_begin "$name"
	e2e_xlbctl detach "$TOPO_IFNAME" >/dev/null
	if topo_exec lb ip -d link show "$TOPO_IFNAME" | grep -q 'xdp'; then
		e2e_problem "XDP still on the LB's $TOPO_IFNAME after detach"
	fi
	diff <(echo "$state_before") <(lb_state) >"$E2E_CASE_DIR/state.diff" ||
		e2e_problem "the LB changed: $(grep '^[<>]' "$E2E_CASE_DIR/state.diff" | head -n 4 | tr '\n' ' ')"
	lb_traffic_works detached
	e2e_xlbctl detach --all >/dev/null
	left=$(find "$TOPO_PIN_DIR" -mindepth 1 2>/dev/null | head -n 3 | tr '\n' ' ')
	[[ -n $left ]] && e2e_problem "pins left after detach --all: $left"
	e2e_case_end
}

# A few long-lived connections to the LB from before the attach to after the
# detach: neither may reset or stall them.
spanning_stream_case() {
	local mode=$1 path=$2 name
	name=lb_host_connections_survive_attach_and_detach_${mode}
	e2e_case_begin "$name"
	e2e_check '
r = report(sys.argv[1])
if r["connection_ends"] != {"ok": 5}: print("connection ends %s" % r["connection_ends"])
if errors(r): print("errors %s" % errors(r))
if r["gaps_over_threshold"]: print("%d gaps over 200 ms" % r["gaps_over_threshold"])
print("info: 5 connections to the LB across attach and detach: %d messages, longest gap %.1f ms"
      % (sum(c["echoed"] for c in r["connections"]), r["max_gap_ms"]))
' "$path"
	e2e_case_end
}

# Until N connections are open on the LB's echo server (at most 5 s).
lb_echo_wait_open() {
	local i
	for ((i = 0; i < 50; i++)); do
		(($(e2e_backend_stat lb tcp_echo open) >= $1)) && return 0
		sleep 0.1
	done
	echo "  warning: the connections to the LB did not all open before the attach" >&2
}

# Whether the filter leaves any case of MODE.
mode_wanted() {
	local name
	for name in lb_host_tcp_and_ping_work_while_xlb_is_attached \
		lb_host_unchanged_after_xlb_detaches lb_host_connections_survive_attach_and_detach; do
		e2e_want "${name}_$1" && return 0
	done
	return 1
}

mode_cases() {
	local mode=$1 state_before pid stream
	state_before=$(lb_state)
	stream="$TOPO_RESULTS/span-$mode.json"
	topo_exec cl "$E2E_LOAD" stream "$TOPO_LB_IP4:$LB_ECHO_PORT" --connections 5 \
		--interval 20 --duration 20 --max-gap-ms 200 --json >"$stream" \
		2>"$stream.err" &
	pid=$!
	lb_echo_wait_open 5
	attached_case "$mode"
	detached_case "$mode" "$state_before"
	e2e_load_bg_interrupt "$pid"
	spanning_stream_case "$mode" "$stream"
}

wanted=()
for mode in native generic; do
	mode_wanted "$mode" && wanted+=("$mode")
done
((${#wanted[@]})) || {
	summary
	exit 0
}
e2e_setup --backends 2 --ipv6
topo_start lb-srv lb "$E2E_BACKEND" --name lb --port "$LB_HTTP_PORT" \
	--tcp-echo-port "$LB_ECHO_PORT" --admin-port "$E2E_ADMIN_PORT" --threads 1 >/dev/null
for mode in "${wanted[@]}"; do
	mode_cases "$mode"
done
summary
