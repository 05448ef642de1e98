#!/usr/bin/env bash
# The tunnels over IPv6 end to end: IPv6 VIPs to backends in other subnets
# behind a router, IPv6-in-IPv6 (ipip) and IPv6-in-UDP6 (gue) from the LB,
# stripped by xlb-decap, the backends answering the client directly.
#   ipv6_ipip_and_gue_reach_both_backends   HTTP by ipip and UDP by gue,
#       both backends serve each, and strip each kind
#   ipv6_weight_change_and_drain_keep_tcp_and_udp_flows   a TCP echo
#       connection (ipip) and a UDP flow (gue) stay on their backends
#       through a weight change and a drain; nothing new is placed once
#       both drain
#   ipv4_vip_over_ipv6_underlay_reaches_both_backends   an IPv4 VIP whose
#       backends are IPv6 addresses: IPv4-in-IPv6, both backends serve
#   ipv6_too_big_gets_packet_too_big_and_tcp_adapts   a client's full-size
#       TCP segments do not fit the underlay once encapsulated: the LB
#       answers packet too big with 1500 - 40, the client's route learns it
#       and 64 KB echo back intact
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/testing.sh
. tests/e2e/tunnel_lib.sh

if [[ $EUID -ne 0 ]]; then
	skip tunnel_ipv6 "needs root"
	exit 0
fi
trap tun_down EXIT
if ! tun_up || ! tun_ipv6; then
	fail tunnel_ipv6_setup "topology"
	exit 1
fi
tun_backend b1 --udp-port 5353
tun_backend b2 --udp-port 5353
for n in b1 b2; do
	tun_ns "$n" "$TUN_BUILD/xlb-decap" attach eth0 fd00::1 10.0.0.1 \
		>/dev/null || {
		fail tunnel_ipv6_setup "xlb-decap attach on $n"
		exit 1
	}
done
WEB='[fd00::1]:80/tcp'
ECHO='[fd00::1]:7/tcp'
DNS='[fd00::1]:5353/udp'
WEB4=10.0.0.1:80/tcp
setup_vip() { # VIP MODE
	tun_xlbctl vip add "$1" --forward "$2" >/dev/null &&
		tun_xlbctl backend add "$1" fd02:1::5 >/dev/null &&
		tun_xlbctl backend add "$1" fd02:2::5 >/dev/null
}
tun_xlbctl attach eth0 >/dev/null &&
	tun_xlbctl settings --tunnel-source fd01::1 >/dev/null &&
	setup_vip "$WEB" ipip && setup_vip "$ECHO" ipip && setup_vip "$DNS" gue &&
	setup_vip "$WEB4" ipip || {
	fail tunnel_ipv6_setup "xlbctl configuration"
	exit 1
}

# ---- HTTP (ipip) and UDP (gue) reach both backends
declare -A web=() dns=()
ok=0
for i in $(seq 1 24); do
	name=$(tun_ns client curl -6 -s -m 2 --local-port $((20000 + i)) \
		-D - -o /dev/null 'http://[fd00::1]/' | tr -d '\r' |
		awk -F': ' 'tolower($1)=="x-backend"{print $2}')
	[[ -n $name ]] && ok=$((ok + 1)) && web[$name]=1
done
while read -r name; do
	[[ -n $name ]] && ok=$((ok + 1)) && dns[$name]=1
done < <(tun_udp_flows fd01::10 fd00::1)
why=""
((ok == 48)) || why+="$ok/48 answered; "
for b in b1 b2; do
	[[ -n ${web[$b]:-} ]] || why+="no HTTP by $b; "
	[[ -n ${dns[$b]:-} ]] || why+="no UDP by $b; "
	(($(decap_stat "$b" decapsulated) > 0)) ||
		why+="$b stripped no IPv6-in-IPv6; "
	(($(decap_stat "$b" gue_decapsulated) > 0)) || why+="$b stripped no GUE; "
done
if [[ -z $why ]]; then
	pass ipv6_ipip_and_gue_reach_both_backends
else
	fail ipv6_ipip_and_gue_reach_both_backends "${why}encap_sent $(lb_stat encap_sent)"
fi

# ---- an IPv4 VIP over the IPv6 underlay
declare -A web4=()
ok=0
before=$(($(decap_stat b1 decapsulated) + $(decap_stat b2 decapsulated)))
for i in $(seq 1 24); do
	name=$(tun_ns client curl -4 -s -m 2 --local-port $((21000 + i)) \
		-D - -o /dev/null http://10.0.0.1/ | tr -d '\r' |
		awk -F': ' 'tolower($1)=="x-backend"{print $2}')
	[[ -n $name ]] && ok=$((ok + 1)) && web4[$name]=1
done
after=$(($(decap_stat b1 decapsulated) + $(decap_stat b2 decapsulated)))
if ((ok == 24 && after > before)) && [[ -n ${web4[b1]:-} && -n ${web4[b2]:-} ]]; then
	pass ipv4_vip_over_ipv6_underlay_reaches_both_backends
else
	fail ipv4_vip_over_ipv6_underlay_reaches_both_backends "$ok/24 answered, by: ${!web4[*]}, decapsulated $before -> $after"
fi

# ---- a TCP connection and a UDP flow through a weight change and a drain
OUT=$(mktemp)
tun_flows_start fd01::10 fd00::1 "$OUT"
sleep 0.4
for v in "$ECHO" "$DNS"; do
	tun_xlbctl backend set "$v" fd02:1::5 --weight 300 >/dev/null
done
for v in "$ECHO" "$DNS"; do
	tun_xlbctl backend set "$v" fd02:1::5 --state draining >/dev/null
	tun_xlbctl backend set "$v" fd02:2::5 --state draining >/dev/null
done
wait "$TUN_FLOWS_PID"
py_rc=$?
result=$(cat "$OUT")
rm -f "$OUT"
# Both drained: no new connection or UDP flow may be placed at all.
if tun_nothing_new_placed fd00::1; then
	new_refused=yes
else
	new_refused=no
fi
if ((py_rc == 0)) && [[ $result == "OK udp_moved=0" && $new_refused == yes ]]; then
	pass ipv6_weight_change_and_drain_keep_tcp_and_udp_flows
else
	fail ipv6_weight_change_and_drain_keep_tcp_and_udp_flows "python rc $py_rc, result '$result', new flows refused: $new_refused"
fi
for v in "$ECHO" "$DNS"; do
	tun_xlbctl backend set "$v" fd02:1::5 --state active >/dev/null
	tun_xlbctl backend set "$v" fd02:2::5 --state active >/dev/null
done

# ---- MTU: full-size segments do not fit once encapsulated (ipip: 40 bytes)
before=$(lb_stat encap_too_big)
result=$(tun_big_echo fd00::1)
after=$(lb_stat encap_too_big)
route=$(tun_ns client ip -6 route get fd00::1)
if [[ $result == OK && $route == *"mtu 1460"* ]] && ((after > before)); then
	pass ipv6_too_big_gets_packet_too_big_and_tcp_adapts
else
	fail ipv6_too_big_gets_packet_too_big_and_tcp_adapts "echo '$result', client route '$route', encap_too_big $before -> $after"
fi
summary
