#!/usr/bin/env bash
# Real TCP connections from the client reach the backends through the
# attached XDP program and are answered directly (DSR): the replies come
# from the VIP and the backend's MAC, and never cross the LB. IPv4 and IPv6,
# native XDP. Usage: tests/e2e/dsr_through_xdp.sh [FILTER]
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/testing.sh

if ((EUID != 0)); then
	skip dsr_tcp_reaches_backends_and_answers_directly "needs root for namespaces and XDP"
	summary
	exit
fi

. tools/topo.sh
trap topo_down EXIT
topo_up --backends 3 --ipv6 >/dev/null || {
	fail topology_up "tools/topo.sh up failed"
	summary
	exit 1
}

xlbctl() { topo_exec lb build/xlbctl --pin-path "$TOPO_PIN_DIR" "$@"; }

for i in $(seq 1 "$TOPO_BACKENDS"); do
	topo_start "srv-b$i" "b$i" build/xlb-backend --name "b$i" --port 80
done

setup_ok=1
xlbctl attach eth0 --mode native --conn-table-size 65536 >/dev/null || setup_ok=0
for vip in "$TOPO_VIP4:80/tcp" "[$TOPO_VIP6]:80/tcp"; do
	xlbctl vip add "$vip" >/dev/null || setup_ok=0
	for i in $(seq 1 "$TOPO_BACKENDS"); do
		ip4=TOPO_B${i}_IP4 ip6=TOPO_B${i}_IP6
		if [[ $vip == \[* ]]; then addr=${!ip6}; else addr=${!ip4}; fi
		# No --mac: the LB resolves it from its neighbour table.
		xlbctl backend add "$vip" "$addr" >/dev/null || setup_ok=0
	done
done
if ((!setup_ok)); then
	fail xlbctl_setup "attach, vip add or backend add failed"
	topo_collect_evidence "results/dsr-$$" >/dev/null 2>&1
	summary
	exit 1
fi

# Each family: 300 new connections; every one answered, by every backend,
# from the VIP and the backends' MACs, while the LB sees no reply at all.
dsr_case() {
	local name=$1 url=$2 vip=$3 report lbcap clcap
	[[ -n ${FILTER:-} && $name != *"$FILTER"* ]] && return

	topo_pcap_start lb eth0 "$TOPO_RESULTS/$name-lb.pcap" src host "$vip" >/dev/null
	topo_pcap_start cl eth0 "$TOPO_RESULTS/$name-cl.pcap" src host "$vip" and tcp >/dev/null
	report=$(topo_exec cl build/xlb-load http "$url" --rate 300 --count 300 \
		--new-conn --timeout 2000 --json 2>/dev/null)
	lbcap=$(topo_pcap_stop lb eth0)
	clcap=$(topo_pcap_stop cl eth0)

	local why
	why=$(/usr/bin/python3 - "$report" "$TOPO_BACKENDS" <<'EOF'
import json, sys
r = json.loads(sys.argv[1]); n = int(sys.argv[2])
problems = []
if r.get("completed") != 300: problems.append("completed %s of 300" % r.get("completed"))
errors = {k: v for k, v in r.get("errors", {}).items() if v}
if errors: problems.append("errors %s" % errors)
seen = r.get("backends", {})
for i in range(1, n + 1):
    if seen.get("b%d" % i, 0) == 0: problems.append("b%d answered none" % i)
print("; ".join(problems))
EOF
)
	if [[ -n $why ]]; then
		fail "$name" "$why"
		return
	fi
	local from_lb macs_seen
	from_lb=$(tcpdump -nr "$lbcap" 2>/dev/null | wc -l)
	macs_seen=$(tcpdump -enr "$clcap" 2>/dev/null | awk '{print $2}' | sort -u | tr '\n' ' ')
	if ((from_lb != 0)); then
		fail "$name" "$from_lb replies from the VIP crossed the LB (not DSR)"
		return
	fi
	for mac in $macs_seen; do
		if [[ " $TOPO_BACKEND_MACS " != *" $mac "* ]]; then
			fail "$name" "a reply from the VIP came from MAC $mac, not a backend"
			return
		fi
	done
	if [[ -z $macs_seen ]]; then
		fail "$name" "the client captured no reply"
		return
	fi
	pass "$name"
}

FILTER=${1:-}
dsr_case dsr_ipv4_tcp_reaches_every_backend_and_answers_directly \
	"http://$TOPO_VIP4:80/" "$TOPO_VIP4"
dsr_case dsr_ipv6_tcp_reaches_every_backend_and_answers_directly \
	"http://[$TOPO_VIP6]:80/" "$TOPO_VIP6"

# The counters saw it: forwarded frames, no drops.
if [[ -z $FILTER || xdp_counters_show_the_forwarded_traffic == *"$FILTER"* ]]; then
	stats=$(xlbctl stats --json 2>/dev/null)
	why=$(/usr/bin/python3 -c '
import json, sys
s = json.loads(sys.argv[1]); g = s.get("global", {})
drops = sum(v for v in g.get("drops", {}).values())
print("" if g.get("forwarded", 0) > 0 and drops == 0 else
      "forwarded %s, drops %s" % (g.get("forwarded"), g.get("drops")))' "$stats" 2>&1)
	if [[ -z $why ]]; then pass xdp_counters_show_the_forwarded_traffic; else fail xdp_counters_show_the_forwarded_traffic "$why"; fi
fi

if ((T_FAILED)); then
	topo_collect_evidence "results/dsr-$$" >/dev/null 2>&1
	xlbctl stats --json >"results/dsr-$$/xlbctl-stats.json" 2>&1
fi
xlbctl detach --all >/dev/null 2>&1
summary
