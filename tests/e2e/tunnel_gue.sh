#!/usr/bin/env bash
# gue end to end: backends in another subnet behind a router, reached by
# IP-in-UDP (GUE variant 1) from the LB on a configured port, stripped by
# xlb-decap on that port, answering the client directly.
#   gue_tcp_and_udp_reach_both_backends   HTTP and UDP through the tunnel,
#       both backends serve, each strips GUE (not IP-in-IP)
#   gue_weight_change_and_drain_keep_tcp_and_udp_flows   a TCP echo
#       connection and a UDP flow stay on their backends through a weight
#       change and a drain; new connections are refused once both drain
#   gue_too_big_gets_frag_needed_and_tcp_adapts   a client's full-size TCP
#       segments do not fit the underlay once encapsulated: the LB answers
#       fragmentation needed with 1500 - 28, the client's route learns it and
#       64 KB echo back intact
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/testing.sh
. tests/e2e/tunnel_lib.sh

if [[ $EUID -ne 0 ]]; then
	skip tunnel_gue "needs root"
	exit 0
fi
trap tun_down EXIT
if ! tun_up; then
	fail tunnel_gue_setup "topology"
	exit 1
fi
PORT=6081 # not the default: both sides take it from their configuration
tun_backend b1 --udp-port 5353
tun_backend b2 --udp-port 5353
for n in b1 b2; do
	tun_ns "$n" "$TUN_BUILD/xlb-decap" attach --gue-port $PORT eth0 \
		10.0.0.1 >/dev/null || {
		fail tunnel_gue_setup "xlb-decap attach on $n"
		exit 1
	}
done
WEB=10.0.0.1:80/tcp
ECHO=10.0.0.1:7/tcp
DNS=10.0.0.1:5353/udp
tun_xlbctl attach eth0 >/dev/null &&
	tun_xlbctl settings --tunnel-source 10.1.0.1 --gue-port $PORT >/dev/null &&
	for v in "$WEB" "$ECHO" "$DNS"; do
		tun_xlbctl vip add "$v" --forward gue >/dev/null &&
			tun_xlbctl backend add "$v" 10.2.1.5 >/dev/null &&
			tun_xlbctl backend add "$v" 10.2.2.5 >/dev/null || exit 1
	done || {
	fail tunnel_gue_setup "xlbctl configuration"
	exit 1
}

# ---- TCP and UDP reach both backends
declare -A web=() dns=()
ok=0
for i in $(seq 1 24); do
	name=$(tun_ns client curl -s -m 2 --local-port $((20000 + i)) \
		-D - -o /dev/null http://10.0.0.1/ | tr -d '\r' |
		awk -F': ' 'tolower($1)=="x-backend"{print $2}')
	[[ -n $name ]] && ok=$((ok + 1)) && web[$name]=1
done
while read -r name; do
	[[ -n $name ]] && ok=$((ok + 1)) && dns[$name]=1
done < <(tun_udp_flows 10.1.0.10 10.0.0.1)
g1=$(decap_stat b1 gue_decapsulated)
g2=$(decap_stat b2 gue_decapsulated)
i1=$(decap_stat b1 decapsulated)
if ((ok == 48)) && [[ -n ${web[b1]:-} && -n ${web[b2]:-} && -n ${dns[b1]:-} && -n ${dns[b2]:-} ]] &&
	((${g1:-0} > 0 && ${g2:-0} > 0 && ${i1:-1} == 0)); then
	pass gue_tcp_and_udp_reach_both_backends
else
	fail gue_tcp_and_udp_reach_both_backends "$ok/48 answered, HTTP by: ${!web[*]}, UDP by: ${!dns[*]}, encap_sent $(lb_stat encap_sent), gue_decapsulated b1 ${g1:-?} b2 ${g2:-?}, ipip on b1 ${i1:-?}"
fi

# ---- a TCP connection and a UDP flow through a weight change and a drain
OUT=$(mktemp)
tun_flows_start 10.1.0.10 10.0.0.1 "$OUT"
sleep 0.4
tun_xlbctl backend set "$ECHO" 10.2.1.5 --weight 300 >/dev/null
tun_xlbctl backend set "$DNS" 10.2.1.5 --weight 300 >/dev/null
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
	pass gue_weight_change_and_drain_keep_tcp_and_udp_flows
else
	fail gue_weight_change_and_drain_keep_tcp_and_udp_flows "python rc $py_rc, result '$result', new flows refused: $new_refused"
fi
for v in "$ECHO" "$DNS"; do
	tun_xlbctl backend set "$v" 10.2.1.5 --state active >/dev/null
	tun_xlbctl backend set "$v" 10.2.2.5 --state active >/dev/null
done

# ---- MTU: full-size segments do not fit once encapsulated
before=$(lb_stat encap_too_big)
result=$(tun_big_echo 10.0.0.1)
after=$(lb_stat encap_too_big)
route=$(tun_ns client ip route get 10.0.0.1)
if [[ $result == OK && $route == *"mtu 1472"* ]] && ((after > before)); then
	pass gue_too_big_gets_frag_needed_and_tcp_adapts
else
	fail gue_too_big_gets_frag_needed_and_tcp_adapts "echo '$result', client route '$route', encap_too_big $before -> $after"
fi
summary
