#!/usr/bin/env bash
# xlbctl driving real traffic on the namespace topology: attach, a VIP and
# backends whose MACs come from the neighbour table, xlb-backend on every
# backend and xlb-load from the client; stats --json sees the traffic, the
# shares of new flows follow weight and state changes (made with xlbctl and
# by hand with bpftool, then sync), top prints, and detach --all leaves
# nothing behind.
#
#   tests/e2e/xlbctl_traffic.sh [FILTER]   run the tests whose name contains it
set -uo pipefail
# shellcheck source=tests/e2e/xlbctl_lib.sh
. "$(dirname "$0")/xlbctl_lib.sh"

xlbctl_setup xlbctl_traffic --backends 3 --ipv6

VIP=$TOPO_VIP4:80/tcp
VIP6=[$TOPO_VIP6]:80/tcp
URL=http://$TOPO_VIP4:80/
B=("$TOPO_B1_IP4" "$TOPO_B2_IP4" "$TOPO_B3_IP4")

for i in 1 2 3; do
	topo_start "srv-b$i" "b$i" "$BUILD/xlb-backend" --name "b$i" --port 80 >/dev/null
done

# N new connections at RATE per second; prints why unless all are answered.
load() {
	local n=$1 rate=$2 url=${3:-$URL} report
	report=$(topo_exec cl "$BUILD/xlb-load" http "$url" --rate "$rate" \
		--count "$n" --new-conn --timeout 2000 --json 2>/dev/null)
	"$PY" - "$n" "$report" <<'EOF'
import json, sys
n = int(sys.argv[1])
try:
    r = json.loads(sys.argv[2])
except ValueError:
    sys.exit(print("xlb-load gave no report"))
if r.get("completed") != n or r["errors"]["total"]:
    print("load: %s of %d completed, errors %s" % (r.get("completed"), n, r["errors"]))
EOF
}

# New flows each backend of VIP took between two stats --json documents,
# in backend address order.
flow_deltas() {
	"$PY" - "$1" "$2" "$3" <<'EOF'
import json, sys
before, after, vip = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
def flows(doc):
    v = next(v for v in doc["vips"] if v["vip"] == vip)
    return {b["address"]: b["new_flows"] for b in v["backends"]}
b, a = flows(before), flows(after)
print(" ".join(str(a[k] - b.get(k, 0)) for k in a))
EOF
}

stats_now() { xlbctl stats --interval 0 --json; }

# Loads N connections and prints the new flows per backend.
measure() {
	local n=$1 before after why
	before=$(stats_now)
	why=$(load "$n" 400)
	after=$(stats_now)
	if [[ -n $why ]]; then
		echo "error: $why"
		return
	fi
	flow_deltas "$before" "$after" "$VIP"
}

pair_id() {
	json "next(b['id'] for b in j if b['address'] == '$1' and b['vip'] == '$VIP')" \
		"$(xlbctl backend list --json)"
}

stale() { json "next(v['table_stale'] for v in j if v['vip'] == '$VIP')" "$(xlbctl vip list --json)"; }

# hand_edit MAP ADDR VALUE, as an operator would: bpftool writes bytes.
hand_edit() { bpftool map update pinned "$TOPO_PIN_DIR/$1" key "$(pair_id "$2")" 0 0 0 value "$3" 0 0 0; }

# ----------------------------------------------------------------- tests

# Every case needs the attachment: made whatever the filter selects.
attach_out=$(xlbctl attach eth0 --udp-timeout 45 2>&1)
attach_rc=$?
if tcase attach_creates_the_instance_and_status_shows_it; then
	out=$attach_out
	if ((attach_rc == 0)) &&
		why=$(json '"" if j["attachments"][0]["interface"] == "eth0" and j["attachments"][0]["mode"] == "native" and j["layout_version"] >= 1 and j["udp_timeout_s"] == 45 and "link_eth0" in j["pins"] and "xlb_vips" in j["pins"] else j' \
			"$(xlbctl status --json)") && [[ -z $why ]]; then
		pass attach_creates_the_instance_and_status_shows_it
	else
		fail attach_creates_the_instance_and_status_shows_it "${out:-} ${why:-}"
	fi
fi

setup_ok=$((attach_rc == 0))
xlbctl vip add "$VIP" >/dev/null || setup_ok=0
xlbctl vip add "$VIP6" --table-size 4099 >/dev/null || setup_ok=0
for i in 0 1 2; do
	xlbctl backend add "$VIP" "${B[$i]}" >/dev/null || setup_ok=0
done
for ip6 in $TOPO_BACKEND_IP6S; do
	xlbctl backend add "$VIP6" "$ip6" >/dev/null || setup_ok=0
done
((setup_ok)) || xlbctl_abort xlbctl_traffic_setup "attach, vip add or backend add failed"

if tcase backends_get_their_macs_from_the_neighbour_table; then
	macs=$(json '" ".join(b["mac"] for b in j)' "$(xlbctl backend list "$VIP" --json)")
	macs6=$(json '" ".join(b["mac"] for b in j)' "$(xlbctl backend list "$VIP6" --json)")
	if [[ $macs == "$TOPO_BACKEND_MACS" && $macs6 == "$TOPO_BACKEND_MACS" ]]; then
		pass backends_get_their_macs_from_the_neighbour_table
	else
		fail backends_get_their_macs_from_the_neighbour_table "v4 '$macs' v6 '$macs6', expected '$TOPO_BACKEND_MACS'"
	fi
fi

if tcase stats_json_shows_traffic_on_every_backend; then
	before=$(stats_now)
	why=$(load 300 300)
	after=$(stats_now)
	why=${why:-$(
		"$PY" - "$before" "$after" "$VIP" <<'EOF'
import json, sys
b, a, vip = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
vb = next(v for v in b["vips"] if v["vip"] == vip)
va = next(v for v in a["vips"] if v["vip"] == vip)
problems = []
flows = [y["new_flows"] - x["new_flows"] for x, y in zip(vb["backends"], va["backends"])]
if min(flows) <= 0: problems.append("a backend got no new flow: %s" % flows)
if sum(flows) < 300: problems.append("%d new flows for 300 connections" % sum(flows))
if va["new_flows"] - vb["new_flows"] != sum(flows): problems.append("VIP and backend counts differ")
if va["packets"] - vb["packets"] < 900: problems.append("only %d packets" % (va["packets"] - vb["packets"]))
if a["global"]["forwarded"] <= b["global"]["forwarded"]: problems.append("forwarded did not grow")
if any(a["global"]["drops"].values()): problems.append("drops %s" % a["global"]["drops"])
if va["table_stale"]: problems.append("table stale")
print("; ".join(problems))
EOF
	)}
	if [[ -z $why ]]; then
		pass stats_json_shows_traffic_on_every_backend
	else
		fail stats_json_shows_traffic_on_every_backend "$why"
	fi
fi

if tcase ipv6_vip_and_backends_serve_traffic; then
	why=$(load 60 200 "http://[$TOPO_VIP6]:80/")
	if [[ -z $why ]]; then
		pass ipv6_vip_and_backends_serve_traffic
	else
		fail ipv6_vip_and_backends_serve_traffic "$why"
	fi
fi

# Rates and shares over an interval while traffic flows.
if tcase stats_watch_reports_rates_and_shares; then
	topo_exec cl "$BUILD/xlb-load" http "$URL" --rate 300 --duration 2.5 \
		--new-conn >/dev/null 2>&1 &
	loader=$!
	sleep 0.3
	lines=$(xlbctl stats --watch --count 2 --interval 0.8 --json)
	text=$(xlbctl stats --interval 0.5)
	wait "$loader"
	why=$(
		"$PY" - "$lines" "$VIP" <<'EOF'
import json, sys
docs = [json.loads(l) for l in sys.argv[1].splitlines()]
problems = [] if len(docs) == 2 else ["%d reports, expected 2" % len(docs)]
v = next(v for v in docs[-1]["vips"] if v["vip"] == sys.argv[2])
if not 0.7 < docs[-1]["interval_s"] < 1.2: problems.append("interval %s" % docs[-1]["interval_s"])
if v["new_flows_per_s"] < 100: problems.append("%s new flows/s" % v["new_flows_per_s"])
if v["bits_per_s"] <= 0 or v["packets_per_s"] <= 0: problems.append("no packet or bit rate")
for b in v["backends"]:
    if b["new_flow_share"] is None or abs(b["new_flow_share"] - b["weight_share"]) > 0.2:
        problems.append("%s: share %s, weight share %s" % (b["address"], b["new_flow_share"], b["weight_share"]))
if docs[-1]["global_per_s"]["forwarded"] <= 0:
    problems.append("no global forwarding rate")
print("; ".join(problems))
EOF
	)
	if [[ -z $why && $text == *"VIP / BACKEND"*"$VIP"*"drop no_backend"* ]]; then
		pass stats_watch_reports_rates_and_shares
	else
		fail stats_watch_reports_rates_and_shares "${why:-text output: $text}"
	fi
fi

# Shares follow weights: b3 at 400 of 600 takes two thirds of new flows.
if tcase new_flows_follow_changed_weights; then
	xlbctl backend set "$VIP" "${B[2]}" --weight 400 >/dev/null
	read -r f1 f2 f3 rest <<<"$(measure 600)"
	why=$("$PY" -c '
import sys
f = [int(x) for x in sys.argv[1:4]]
want = [1/6, 1/6, 2/3]
share = [x / sum(f) for x in f]
print("" if all(abs(s - w) < 0.07 for s, w in zip(share, want)) else "shares %s, expected %s" % (share, want))' \
		"$f1" "$f2" "$f3" 2>&1)
	if [[ -z $why && -z ${rest:-} ]]; then
		pass new_flows_follow_changed_weights
	else
		fail new_flows_follow_changed_weights "$why ${rest:-} ($f1 $f2 $f3)"
	fi
	xlbctl backend set "$VIP" "${B[2]}" --weight 100 >/dev/null
fi

if tcase draining_and_down_backends_take_no_new_flows; then
	xlbctl backend set "$VIP" "${B[0]}" --state draining >/dev/null
	read -r d1 d2 d3 <<<"$(measure 200)"
	xlbctl backend set "$VIP" "${B[1]}" --state down >/dev/null
	read -r e1 e2 e3 <<<"$(measure 200)"
	xlbctl backend set "$VIP" "${B[0]}" --state active >/dev/null
	xlbctl backend set "$VIP" "${B[1]}" --state active >/dev/null
	if [[ $d1 == 0 && $d2 -gt 0 && $d3 -gt 0 && $e1 == 0 && $e2 == 0 && $e3 -ge 200 ]]; then
		pass draining_and_down_backends_take_no_new_flows
	else
		fail draining_and_down_backends_take_no_new_flows "b1 draining: $d1 $d2 $d3; b2 down too: $e1 $e2 $e3"
	fi
fi

# A state by hand acts at once, before any sync.
if tcase hand_edited_state_takes_effect_at_once; then
	hand_edit xlb_be_state "${B[1]}" 2
	was_stale=$(stale)
	read -r s1 s2 s3 <<<"$(measure 200)"
	synced=$(xlbctl sync)
	hand_edit xlb_be_state "${B[1]}" 1
	xlbctl sync >/dev/null
	if [[ $was_stale == True && $s2 == 0 && $s1 -gt 0 && $s3 -gt 0 && $synced == "rebuilt 1 table" ]]; then
		pass hand_edited_state_takes_effect_at_once
	else
		fail hand_edited_state_takes_effect_at_once "stale $was_stale, flows $s1 $s2 $s3, sync '$synced'"
	fi
fi

# A weight by hand waits for the table: stale until sync, then followed.
if tcase hand_edited_weight_takes_effect_at_sync; then
	hand_edit xlb_be_weight "${B[0]}" 0
	was_stale=$(stale)
	read -r h1 h2 h3 <<<"$(measure 150)"
	synced=$(xlbctl sync)
	now_stale=$(stale)
	read -r g1 g2 g3 <<<"$(measure 150)"
	xlbctl backend set "$VIP" "${B[0]}" --weight 100 >/dev/null
	if [[ $was_stale == True && $h1 -gt 0 && $synced == "rebuilt 1 table" &&
		$now_stale == False && $g1 == 0 && $g2 -gt 0 && $g3 -gt 0 ]]; then
		pass hand_edited_weight_takes_effect_at_sync
	else
		fail hand_edited_weight_takes_effect_at_sync "stale $was_stale/$now_stale, before sync $h1 $h2 $h3, after $g1 $g2 $g3, sync '$synced'"
	fi
fi

if tcase top_without_a_terminal_prints_snapshots; then
	out=$(xlbctl top --count 2 --interval 0.3 </dev/null)
	if [[ $(grep -c '^xlbctl top - ' <<<"$out") == 2 && $out == *"$VIP"* ]]; then
		pass top_without_a_terminal_prints_snapshots
	else
		fail top_without_a_terminal_prints_snapshots "$out"
	fi
fi

if tcase top_in_a_terminal_redraws_until_q; then
	out=$( (sleep 1.5 && printf q) | timeout 10 script -qfec \
		"nsenter --net=/run/netns/$TOPO_NS_LB $XLBCTL_BIN --pin-path $TOPO_PIN_DIR top --interval 0.4" \
		/dev/null)
	rc=$?
	if ((rc == 0)) && [[ $out == *$'\e[?1049h'* && $out == *"$TOPO_VIP4"* && $out == *"q quits"* ]]; then
		pass top_in_a_terminal_redraws_until_q
	else
		fail top_in_a_terminal_redraws_until_q "exit $rc, $(wc -c <<<"$out") bytes"
	fi
fi

# Several interfaces share one instance; detaching one keeps it.
if tcase several_interfaces_share_one_instance; then
	ip -n "$TOPO_NS_LB" link add xlbv0 type veth peer name xlbv1 &&
		ip -n "$TOPO_NS_LB" link set xlbv0 up && ip -n "$TOPO_NS_LB" link set xlbv1 up
	xlbctl attach xlbv0 >/dev/null
	two=$(json '" ".join(a["interface"] for a in j["attachments"])' "$(xlbctl status --json)")
	xlbctl detach xlbv0 >/dev/null
	one=$(json '" ".join(a["interface"] for a in j["attachments"])' "$(xlbctl status --json)")
	why=$(load 30 100)
	if [[ $two == "eth0 xlbv0" && $one == eth0 && -z $why ]] &&
		! ip -n "$TOPO_NS_LB" link show xlbv0 | grep -q xdp; then
		pass several_interfaces_share_one_instance
	else
		fail several_interfaces_share_one_instance "two '$two', one '$one' $why"
	fi
fi

if tcase detach_all_leaves_nothing_behind; then
	prog=$(json 'j["attachments"][0]["prog_id"]' "$(xlbctl status --json)")
	out=$(xlbctl detach --all 2>&1)
	rc=$?
	if ((rc != 0)); then
		fail detach_all_leaves_nothing_behind "exit $rc: $out"
	elif [[ -e $TOPO_PIN_DIR ]]; then
		fail detach_all_leaves_nothing_behind "$TOPO_PIN_DIR remains: $(ls "$TOPO_PIN_DIR")"
	elif ip -n "$TOPO_NS_LB" link show | grep -q xdp; then
		fail detach_all_leaves_nothing_behind "ip link still shows XDP"
	elif bpftool prog show id "$prog" >/dev/null 2>&1; then
		fail detach_all_leaves_nothing_behind "program $prog still loaded"
	else
		pass detach_all_leaves_nothing_behind
	fi
fi

summary
