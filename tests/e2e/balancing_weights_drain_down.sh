#!/usr/bin/env bash
# Balancing through the attached XDP program with real traffic between
# namespaces, in native and in generic XDP mode:
#   - weights 1:1:2 split new connections (and new UDP flows) 25/25/50;
#   - 50 long-lived TCP connections (and 50 UDP flows) stay on their backend
#     through 10 weight changes: no reset, no gap over 200 ms, no TCP
#     retransmission in the client;
#   - a draining backend finishes its connections and gets no new one;
#   - a down backend gets no new connection, and its flows move (reset: DSR).
# Weights and UDP/IPv6 variants of the first two; drain and down over IPv4.
# One topology (3 backends, IPv4+IPv6) for the whole run, attached once per
# mode; each case makes its own VIP and removes it.
#
#   tests/e2e/balancing_weights_drain_down.sh [FILTER]   e.g. "generic", "drain"
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

MODES=(native generic)
WEIGHTS=(b1=100 b2=100 b3=200)
WANT_SHARES='{"b1": 25, "b2": 25, "b3": 50}'
# ±5 points is the issue's bound; at n = 2,400 a 25% share has a standard
# deviation of 0.9 points and a 50% share 1.0, so it is over 5 sigma.
SHARE_BOUND=5
NEW_CONNS=2400
# Weight changes of the long-lived test: (node weight) pairs, each one moving
# a large part of the table.
CHANGES=(b1=300 b3=50 b2=250 b1=100 b3=400 b2=50 b1=200 b3=100 b2=150 b1=50)

# KIND is ipv4_tcp, ipv6_tcp or ipv4_udp.
vip_addr() { if [[ $1 == ipv6* ]]; then echo "[$TOPO_VIP6]"; else echo "$TOPO_VIP4"; fi; }
vip_of() { echo "$(vip_addr "$1"):$2/${1#*_}"; }
target_of() { echo "$(vip_addr "$1"):$2"; }

# Case names: the behaviour, the XDP mode, the VIP's family and protocol.
split_name() {
	if [[ $2 == *udp ]]; then
		echo "weights_1_1_2_split_new_udp_flows_25_25_50_$1_$2"
	else
		echo "weights_1_1_2_split_new_connections_25_25_50_$1_$2"
	fi
}
long_lived_name() {
	if [[ $2 == *udp ]]; then
		echo "udp_flows_stay_on_one_backend_through_10_weight_changes_$1_$2"
	else
		echo "long_lived_connections_survive_10_weight_changes_no_reset_gap_or_retransmit_$1_$2"
	fi
}
drain_name() { echo "draining_backend_finishes_its_connections_and_gets_no_new_ones_$1_ipv4_tcp"; }
down_name() { echo "down_backend_gets_no_new_connections_and_its_flows_move_with_reset_$1_ipv4_tcp"; }

# Whether the filter leaves any case of MODE (else no attach for it).
mode_wanted() {
	local kind
	for kind in ipv4_tcp ipv6_tcp ipv4_udp; do
		e2e_want "$(split_name "$1" "$kind")" && return 0
		e2e_want "$(long_lived_name "$1" "$kind")" && return 0
	done
	e2e_want "$(drain_name "$1")" || e2e_want "$(down_name "$1")"
}

# ---------------------------------------------------------------- test 1

weights_split_case() {
	local mode=$1 kind=$2 name vip
	name=$(split_name "$mode" "$kind")
	if [[ $kind == *udp ]]; then
		vip=$(vip_of "$kind" "$E2E_UDP_PORT")
	else
		vip=$(vip_of "$kind" "$E2E_HTTP_PORT")
	fi
	e2e_want "$name" || return 0
	e2e_case_begin "$name"
	if e2e_vip_up "$vip" "${WEIGHTS[@]}"; then
		if [[ $kind == *udp ]]; then
			# One socket (one source port) per flow, two datagrams each:
			# the share is over flows, and each must stay on one backend.
			e2e_load split udp "$(target_of "$kind" "$E2E_UDP_PORT")" \
				--udp-flows "$NEW_CONNS" --count $((2 * NEW_CONNS)) --rate 2000 \
				--timeout 1000
			e2e_check '
r = report(sys.argv[1]); n = int(sys.argv[2])
if r["completed"] != 2 * n: print("answered %d of %d datagrams" % (r["completed"], 2 * n))
if errors(r): print("errors %s" % errors(r))
if r.get("flows_one_backend") != n:
    print("%s of %d flows on exactly one backend (several %s, none %s)" % (r.get("flows_one_backend"),
          n, r.get("flows_several_backends"), r.get("flows_unanswered")))
check_shares("new UDP flows", flow_counts(r), json.loads(sys.argv[3]), float(sys.argv[4]))
' "$E2E_CASE_DIR/split.json" "$NEW_CONNS" "$WANT_SHARES" "$SHARE_BOUND"
		else
			e2e_load split http "http://$(target_of "$kind" "$E2E_HTTP_PORT")/" \
				--new-conn --rate 1000 --count "$NEW_CONNS"
			e2e_check '
r = report(sys.argv[1]); n = int(sys.argv[2])
if r["completed"] != n or r["ok"] != n: print("%d of %d connections answered 200" % (r["ok"], n))
if errors(r): print("errors %s" % errors(r))
check_shares("new connections", r["backends"], json.loads(sys.argv[3]), float(sys.argv[4]))
' "$E2E_CASE_DIR/split.json" "$NEW_CONNS" "$WANT_SHARES" "$SHARE_BOUND"
		fi
	fi
	e2e_case_end "$vip"
}

# ---------------------------------------------------------------- test 2

# Ten weight changes, 0.3 s apart, on VIP.
change_weights() {
	local vip=$1 change
	for change in "${CHANGES[@]}"; do
		sleep 0.3
		e2e_backend_set "$vip" "${change%%=*}" --weight "${change#*=}"
	done
}

long_lived_case() {
	local mode=$1 kind=$2 name vip retrans0 retrans1 before
	name=$(long_lived_name "$mode" "$kind")
	if [[ $kind == *udp ]]; then
		vip=$(vip_of "$kind" "$E2E_UDP_PORT")
	else
		vip=$(vip_of "$kind" "$E2E_ECHO_PORT")
	fi
	e2e_want "$name" || return 0
	e2e_case_begin "$name"
	if e2e_vip_up "$vip" "${WEIGHTS[@]}"; then
		if [[ $kind == *udp ]]; then
			# 50 flows, a datagram every 50 ms each.
			e2e_load_bg flows udp "$(target_of "$kind" "$E2E_UDP_PORT")" \
				--udp-flows 50 --rate 1000 --duration 4.5 --timeout 1000
			sleep 0.5
			change_weights "$vip"
			wait "$E2E_BG_PID"
			e2e_check '
r = report(sys.argv[1])
if r["completed"] != r["scheduled"]: print("answered %d of %d datagrams" % (r["completed"], r["scheduled"]))
if errors(r): print("errors %s" % errors(r))
if r.get("late_answers"): print("%d late answers" % r["late_answers"])
if r.get("flows_one_backend") != 50:
    print("%s of 50 flows on exactly one backend (several %s, none %s)" % (r.get("flows_one_backend"),
          r.get("flows_several_backends"), r.get("flows_unanswered")))
counts = flow_counts(r)
print("info: %d datagrams; flows per backend %s" % (r["completed"], dict(sorted(counts.items()))))
for b in ("b1", "b2", "b3"):
    if not counts.get(b): print("no flow on %s: the changes moved nothing that could break" % b)
' "$E2E_CASE_DIR/flows.json"
		else
			retrans0=$(e2e_tcp_retrans)
			before=$(e2e_echo_open)
			# 50 connections, a message every 20 ms each.
			e2e_load_bg stream stream "$(target_of "$kind" "$E2E_ECHO_PORT")" \
				--connections 50 --interval 20 --duration 5 --max-gap-ms 200
			e2e_wait_stream_open 50 "$before"
			change_weights "$vip"
			wait "$E2E_BG_PID"
			retrans1=$(e2e_tcp_retrans)
			e2e_check '
r = report(sys.argv[1]); retrans = int(sys.argv[3]) - int(sys.argv[2])
conns = r.get("connections", [])
if len(conns) != 50: print("%d of 50 connections" % len(conns))
if r["connection_ends"] != {"ok": 50}: print("connection ends %s" % r["connection_ends"])
if errors(r): print("errors %s" % errors(r))
if r["gaps_over_threshold"]: print("%d gaps over 200 ms" % r["gaps_over_threshold"])
short = [c["conn"] for c in conns if c["echoed"] != c["sent"]]
if short: print("connections %s got fewer echoes than they sent" % short)
if retrans: print("the client retransmitted %d TCP segments" % retrans)
counts = {}
for c in conns: counts[c["backend"]] = counts.get(c["backend"], 0) + 1
print("info: %d messages; longest gap %.1f ms; retransmissions %d; connections per backend %s"
      % (sum(c["echoed"] for c in conns), r["max_gap_ms"], retrans, dict(sorted(counts.items()))))
for b in ("b1", "b2", "b3"):
    if not counts.get(b): print("no connection on %s: the changes moved nothing that could break" % b)
' "$E2E_CASE_DIR/stream.json" "$retrans0" "$retrans1"
		fi
	fi
	e2e_case_end "$vip"
}

# ---------------------------------------------------------------- tests 3, 4

# The new connections of the drain and down cases go to the same VIP as the
# long-lived ones (a state belongs to a (VIP, backend) pair): 600 short
# stream connections, each naming its backend in the greeting.
NEW_STREAM_ARGS=(--connections 600 --count 2 --interval 20)

# state_case NAME STATE SECONDS CHECK: 30 long-lived connections (for
# SECONDS) to a 1:1:1 VIP, b1 set to STATE, then the new connections; the
# Python CHECK judges old.json (long-lived) and new.json (new).
state_case() {
	local name=$1 state=$2 duration=$3 check=$4 vip target before
	e2e_want "$name" || return 0
	e2e_case_begin "$name"
	vip=$(vip_of ipv4_tcp "$E2E_ECHO_PORT")
	target=$(target_of ipv4_tcp "$E2E_ECHO_PORT")
	if e2e_vip_up "$vip" b1=100 b2=100 b3=100; then
		before=$(e2e_echo_open)
		e2e_load_bg old stream "$target" --connections 30 --interval 20 --duration "$duration"
		e2e_wait_stream_open 30 "$before"
		e2e_backend_set "$vip" b1 --state "$state"
		e2e_load new stream "$target" "${NEW_STREAM_ARGS[@]}"
		wait "$E2E_BG_PID"
		e2e_check "$check" "$E2E_CASE_DIR/old.json" "$E2E_CASE_DIR/new.json"
	fi
	e2e_case_end "$vip"
}

drain_case() {
	state_case "$(drain_name "$1")" draining 4 '
old, new = report(sys.argv[1]), report(sys.argv[2])
on_b1 = [c for c in old["connections"] if c["backend"] == "b1"]
if not on_b1: print("no long-lived connection was on b1: nothing to drain")
bad = [(c["conn"], c["end"], c["sent"], c["echoed"]) for c in on_b1
       if c["end"] != "ok" or c["echoed"] != c["sent"]]
if bad: print("connections on draining b1 did not finish normally: %s" % bad[:5])
if old["connection_ends"] != {"ok": len(old["connections"])}:
    print("long-lived connection ends %s" % old["connection_ends"])
if old["gaps_over_threshold"]: print("%d gaps over 200 ms" % old["gaps_over_threshold"])
counts = {}
for c in new["connections"]: counts[c["backend"]] = counts.get(c["backend"], 0) + 1
if new["connection_ends"] != {"ok": 600}: print("new connection ends %s" % new["connection_ends"])
if counts.get("b1"): print("%d new connections reached draining b1" % counts["b1"])
print("info: %d long-lived connections on b1 finished normally (%d messages, longest gap %.1f ms); "
      "new connections per backend %s" % (len(on_b1), sum(c["echoed"] for c in on_b1),
      old["max_gap_ms"], dict(sorted(counts.items()))))
'
}

down_case() {
	state_case "$(down_name "$1")" down 3 '
old, new = report(sys.argv[1]), report(sys.argv[2])
on_b1 = [c for c in old["connections"] if c["backend"] == "b1"]
others = [c for c in old["connections"] if c["backend"] != "b1"]
if not on_b1: print("no long-lived connection was on b1: nothing to move")
kept = [(c["conn"], c["end"]) for c in on_b1 if c["end"] != "reset"]
if kept: print("connections of down b1 not reset (moved flows must be): %s" % kept[:5])
hurt = [(c["conn"], c["backend"], c["end"]) for c in others if c["end"] != "ok"]
if hurt: print("connections on other backends hurt: %s" % hurt[:5])
counts = {}
for c in new["connections"]: counts[c["backend"]] = counts.get(c["backend"], 0) + 1
if new["connection_ends"] != {"ok": 600}: print("new connection ends %s" % new["connection_ends"])
if counts.get("b1"): print("%d new connections reached down b1" % counts["b1"])
print("info: %d connections of b1 reset, %d others ok; new connections per backend %s"
      % (len(on_b1) - len(kept), len(others) - len(hurt), dict(sorted(counts.items()))))
'
}

# ---------------------------------------------------------------- run

mode_cases() {
	local mode=$1 kind
	for kind in ipv4_tcp ipv6_tcp ipv4_udp; do
		weights_split_case "$mode" "$kind"
	done
	for kind in ipv4_tcp ipv6_tcp ipv4_udp; do
		long_lived_case "$mode" "$kind"
	done
	drain_case "$mode"
	down_case "$mode"
}

wanted=()
for mode in "${MODES[@]}"; do
	mode_wanted "$mode" && wanted+=("$mode")
done
((${#wanted[@]})) || {
	summary
	exit 0
}
e2e_setup --backends 3 --ipv6

for mode in "${wanted[@]}"; do
	E2E_WHY=()
	if ! e2e_attach "$mode"; then
		fail "xlb_attaches_in_${mode}_mode" "${E2E_WHY[*]}"
		continue
	fi
	mode_cases "$mode"
	e2e_detach_all
done

summary
