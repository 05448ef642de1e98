#!/usr/bin/env bash
# ipip end to end: backends in another subnet behind a router, reached by
# IP-in-IP from the LB, stripped by xlb-decap, answering the client directly.
#   ipip_requests_reach_both_backends   HTTP through the tunnel, both serve
#   ipip_weight_change_and_drain_keep_a_connection   a TCP echo connection
#       and a UDP flow stay on their backends through a weight change and a
#       drain; nothing new is placed once both drain
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/testing.sh
. tests/e2e/tunnel_lib.sh

if [[ $EUID -ne 0 ]]; then
	skip tunnel_ipip "needs root"
	exit 0
fi
trap tun_down EXIT
if ! tun_up; then
	fail tunnel_ipip_setup "topology"
	exit 1
fi
tun_backend b1 --udp-port 5353
tun_backend b2 --udp-port 5353
for n in b1 b2; do
	tun_ns "$n" "$TUN_BUILD/xlb-decap" attach eth0 10.0.0.1 >/dev/null || {
		fail tunnel_ipip_setup "xlb-decap attach on $n"
		exit 1
	}
done
VIP=10.0.0.1:80/tcp
ECHO=10.0.0.1:7/tcp
DNS=10.0.0.1:5353/udp
tun_xlbctl attach eth0 >/dev/null &&
	tun_xlbctl settings --tunnel-source 10.1.0.1 >/dev/null &&
	tun_xlbctl vip add "$VIP" --forward ipip >/dev/null &&
	tun_xlbctl vip add "$ECHO" --forward ipip >/dev/null &&
	tun_xlbctl vip add "$DNS" --forward ipip >/dev/null &&
	for v in "$VIP" "$ECHO" "$DNS"; do
		tun_xlbctl backend add "$v" 10.2.1.5 >/dev/null &&
			tun_xlbctl backend add "$v" 10.2.2.5 >/dev/null || exit 1
	done || {
	fail tunnel_ipip_setup "xlbctl configuration"
	exit 1
}
sleep 0.5

rc=0
# ---- requests reach both backends
declare -A seen=()
ok=0
for i in $(seq 1 40); do
	name=$(tun_ns client curl -s -m 2 --local-port $((20000 + i)) \
		-D - -o /dev/null http://10.0.0.1/ | tr -d '\r' |
		awk -F': ' 'tolower($1)=="x-backend"{print $2}')
	[[ -n $name ]] && ok=$((ok + 1)) && seen[$name]=1
done
sent=$(tun_xlbctl --json stats --interval 0 2>/dev/null |
	/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); g=d.get("global",d); print(g.get("encap_sent",0))' 2>/dev/null)
dec1=$(tun_ns b1 "$TUN_BUILD/xlb-decap" stats eth0 | awk '$1=="decapsulated"{print $2}')
dec2=$(tun_ns b2 "$TUN_BUILD/xlb-decap" stats eth0 | awk '$1=="decapsulated"{print $2}')
if ((ok == 40)) && [[ -n ${seen[b1]:-} && -n ${seen[b2]:-} ]] &&
	((${dec1:-0} > 0 && ${dec2:-0} > 0)); then
	pass ipip_requests_reach_both_backends
else
	fail ipip_requests_reach_both_backends "$ok/40 answered, served by: ${!seen[*]}, encap_sent ${sent:-?}, decapsulated b1 ${dec1:-?} b2 ${dec2:-?}"
	rc=1
fi

# ---- a TCP echo connection and a UDP flow through a weight change and a drain
OUT=$(mktemp)
tun_flows_start 10.1.0.10 10.0.0.1 "$OUT"
sleep 0.4
for v in "$ECHO" "$DNS"; do
	tun_xlbctl backend set "$v" 10.2.1.5 --weight 300 >/dev/null
done
for v in "$ECHO" "$DNS"; do
	tun_xlbctl backend set "$v" 10.2.1.5 --state draining >/dev/null
	tun_xlbctl backend set "$v" 10.2.2.5 --state draining >/dev/null
done
wait "$TUN_FLOWS_PID"
py_rc=$?
result=$(cat "$OUT")
rm -f "$OUT"
# Both drained: no new connection or UDP flow may be placed at all.
if tun_nothing_new_placed 10.0.0.1; then
	new_refused=yes
else
	new_refused=no
fi
if ((py_rc == 0)) && [[ $result == "OK udp_moved=0" && $new_refused == yes ]]; then
	pass ipip_weight_change_and_drain_keep_a_connection
else
	fail ipip_weight_change_and_drain_keep_a_connection "python rc $py_rc, result '$result', new flows refused: $new_refused"
	rc=1
fi
exit $rc
