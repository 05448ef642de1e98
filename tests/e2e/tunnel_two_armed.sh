#!/usr/bin/env bash
# Two-armed end to end: clients reach the LB on eth0, the route to the
# backends leaves by eth1 (a segment of its own to the router). xlb runs on
# both; an ipip or gue frame whose FIB result is eth1 is redirected there
# through xlb_devmap with eth1's MAC.
#   two_armed_tunnels_leave_by_the_other_interface   HTTP over gue and UDP
#       over ipip answered by both backends; the frames crossed eth1 (the
#       router's ethL counted them), none was passed
#   two_armed_other_interface_without_xlb_passes   detached from eth1, the
#       frames are passed (encap_other_dev) and go unanswered; attached
#       again, answered again
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/testing.sh
. tests/e2e/tunnel_lib.sh

if [[ $EUID -ne 0 ]]; then
	skip tunnel_two_armed "needs root"
	exit 0
fi
trap tun_down EXIT
if ! tun_up || ! tun_second_arm; then
	fail tunnel_two_armed_setup "topology"
	exit 1
fi
tun_backend b1 --udp-port 5353
tun_backend b2 --udp-port 5353
for n in b1 b2; do
	tun_ns "$n" "$TUN_BUILD/xlb-decap" attach eth0 10.0.0.1 >/dev/null || {
		fail tunnel_two_armed_setup "xlb-decap attach on $n"
		exit 1
	}
done
WEB=10.0.0.1:80/tcp
DNS=10.0.0.1:5353/udp
{ tun_xlbctl attach eth0 && tun_xlbctl attach eth1 &&
	tun_xlbctl settings --tunnel-source 10.3.0.1 &&
	tun_xlbctl vip add "$WEB" --forward gue &&
	tun_xlbctl vip add "$DNS" --forward ipip &&
	for v in "$WEB" "$DNS"; do
		tun_xlbctl backend add "$v" 10.2.1.5 &&
			tun_xlbctl backend add "$v" 10.2.2.5 || exit 1
	done; } >/dev/null 2>&1 || {
	fail tunnel_two_armed_setup "xlbctl configuration"
	exit 1
}

# /proc/net/dev: nsenter keeps the host's /sys, whose net class is not ours.
ethl_rx() { tun_ns router awk '$1 == "ethL:" {print $3}' /proc/net/dev; }
# udp_names FIRST N: the backend names answering N UDP flows from ports FIRST...
udp_names() {
	tun_ns client /usr/bin/python3 - "$1" "$2" <<'PY'
import socket, sys
first, n = int(sys.argv[1]), int(sys.argv[2])
for port in range(first, first + n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.1.0.10", port))
    s.settimeout(0.5)
    try:
        s.sendto(b"q", ("10.0.0.1", 5353))
        print(s.recv(2048).split()[0].decode(), flush=True)
    except OSError:
        pass
    s.close()
PY
}

# ---- both tunnels leave by eth1
rx0=$(ethl_rx)
declare -A seen=()
ok=0
for i in $(seq 1 16); do
	name=$(tun_ns client curl -s -m 2 --local-port $((20000 + i)) \
		-D - -o /dev/null http://10.0.0.1/ | tr -d '\r' |
		awk -F': ' 'tolower($1)=="x-backend"{print $2}')
	[[ -n $name ]] && ok=$((ok + 1)) && seen[web-$name]=1
done
while read -r name; do
	ok=$((ok + 1))
	seen[udp-$name]=1
done < <(udp_names 30001 16)
rx1=$(ethl_rx)
other=$(lb_stat encap_other_dev)
if ((ok == 32 && ${#seen[@]} == 4 && rx1 - rx0 >= 16 * 3 + 16)) &&
	[[ $other == 0 ]]; then
	pass two_armed_tunnels_leave_by_the_other_interface
else
	fail two_armed_tunnels_leave_by_the_other_interface "$ok/32 answered, by ${!seen[*]}, router ethL received $((rx1 - rx0)) frames, encap_other_dev ${other:-?}, encap_sent $(lb_stat encap_sent)"
fi

# ---- without xlb on eth1 the frames are passed, with it again redirected
tun_xlbctl detach eth1 >/dev/null
o0=$(lb_stat encap_other_dev)
without=$(udp_names 31001 4 | wc -l)
o1=$(lb_stat encap_other_dev)
tun_xlbctl attach eth1 >/dev/null 2>&1
again=$(udp_names 32001 4 | wc -l)
if ((without == 0 && o1 - o0 >= 4 && again == 4)); then
	pass two_armed_other_interface_without_xlb_passes
else
	fail two_armed_other_interface_without_xlb_passes "answered without xlb on eth1: $without/4 (encap_other_dev $o0 -> $o1), attached again: $again/4"
fi
summary
