# shellcheck shell=bash
# tests/e2e/tunnel_lib.sh: a routed topology for ipip and gue (sourced, not
# run).
#
#   segment A (bridge in ns SW): client .10, LB .1, router .254 (10.1.0.0/24)
#   router -> b1 (10.2.1.5/24), router -> b2 (10.2.2.5/24)
#
# The LB encapsulates to the backends through the router (its next hop on
# the segment it receives on, so XDP_TX; or, with tun_second_arm, on a
# segment of its own: XDP_REDIRECT); the backends run xlb-decap and answer
# the client directly through the router. VIP 10.0.0.1:80/tcp.
TUN_P=xlbt$$
TUN_PIN=/sys/fs/bpf/xlbtest-tunnel-$$
TUN_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TUN_BUILD=$TUN_REPO/${BUILD:-build}
TUN_PASS_OBJ=$TUN_BUILD/tools/xdp-switch/pass.bpf.o
TUN_PIDS=()

tun_ns() { nsenter --net=/run/netns/"$TUN_P-$1" -- "${@:2}"; }
tun_xlbctl() { tun_ns lb "$TUN_BUILD/xlbctl" --pin-path "$TUN_PIN" "$@"; }

tun_down() {
	local pid n
	for pid in "${TUN_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${TUN_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	tun_xlbctl detach --all >/dev/null 2>&1
	for n in b1 b2; do
		tun_ns "$n" "$TUN_BUILD/xlb-decap" detach "eth0" >/dev/null 2>&1
	done
	for n in sw client lb router b1 b2; do
		ip netns del "$TUN_P-$n" 2>/dev/null
	done
	rm -rf "$TUN_PIN"
	# xlb-decap's pin root, if nothing else of it is left (rmdir: only empty).
	rmdir /sys/fs/bpf/xlb-decap/* /sys/fs/bpf/xlb-decap 2>/dev/null
}

# veth NSA DEVA NSB DEVB: a pair between two namespaces, up, tx offload off.
tun_veth() {
	ip link add "$TUN_P-x" type veth peer name "$TUN_P-y" || return 1
	ip link set "$TUN_P-x" netns "$TUN_P-$1" name "$2" || return 1
	ip link set "$TUN_P-y" netns "$TUN_P-$3" name "$4" || return 1
	tun_ns "$1" ip link set "$2" up && tun_ns "$3" ip link set "$4" up &&
		tun_ns "$1" ethtool -K "$2" tx off >/dev/null &&
		tun_ns "$3" ethtool -K "$4" tx off >/dev/null
}

tun_up() {
	local n
	for n in sw client lb router b1 b2; do
		ip netns add "$TUN_P-$n" || return 1
		tun_ns "$n" ip link set lo up
		tun_ns "$n" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0
	done
	tun_ns sw ip link add br0 type bridge && tun_ns sw ip link set br0 up || return 1
	tun_veth client eth0 sw p-client && tun_veth lb eth0 sw p-lb &&
		tun_veth router ethA sw p-router || return 1
	for n in p-client p-lb p-router; do
		tun_ns sw ip link set "$n" master br0 || return 1
		# XDP_TX'd frames reach a veth peer only if it runs XDP.
		tun_ns sw ip link set "$n" xdp obj "$TUN_PASS_OBJ" sec xdp || return 1
	done
	tun_veth router ethB1 b1 eth0 && tun_veth router ethB2 b2 eth0 || return 1
	tun_ns router sysctl -qw net.ipv4.ip_forward=1
	tun_ns lb sysctl -qw net.ipv4.ip_forward=1
	tun_ns client ip addr add 10.1.0.10/24 dev eth0
	tun_ns client ip route add default via 10.1.0.254
	tun_ns client ip route add 10.0.0.1/32 via 10.1.0.1
	tun_ns lb ip addr add 10.1.0.1/24 dev eth0
	tun_ns lb ip route add 10.2.0.0/16 via 10.1.0.254
	tun_ns router ip addr add 10.1.0.254/24 dev ethA
	tun_ns router ip addr add 10.2.1.254/24 dev ethB1
	tun_ns router ip addr add 10.2.2.254/24 dev ethB2
	for n in 1 2; do
		tun_ns "b$n" ip addr add "10.2.$n.5/24" dev eth0
		tun_ns "b$n" ip addr add 10.0.0.1/32 dev lo
		tun_ns "b$n" ip route add default via "10.2.$n.254"
		tun_ns "b$n" sysctl -qw net.ipv4.conf.eth0.rp_filter=0
	done
	# The LB's next hop must be in its neighbour table (the FIB does not
	# resolve it).
	tun_ns lb ping -c1 -W2 10.1.0.254 >/dev/null || return 1
}

# IPv6 on the same topology (tun_up first): segment A fd01::/64 (client ::10,
# LB ::1, router ::fe), the router to b1 fd02:1::/64 and b2 fd02:2::/64
# (backends ::5), VIP fd00::1 on the backends' lo.
tun_ipv6() {
	local n
	# bpf_fib_lookup refuses without forwarding on, as for IPv4.
	tun_ns router sysctl -qw net.ipv6.conf.all.forwarding=1
	tun_ns lb sysctl -qw net.ipv6.conf.all.forwarding=1
	tun_ns client ip -6 addr add fd01::10/64 dev eth0 nodad &&
		tun_ns lb ip -6 addr add fd01::1/64 dev eth0 nodad &&
		tun_ns router ip -6 addr add fd01::fe/64 dev ethA nodad || return 1
	tun_ns client ip -6 route add default via fd01::fe
	tun_ns client ip -6 route add fd00::1/128 via fd01::1
	tun_ns lb ip -6 route add fd02::/16 via fd01::fe
	for n in 1 2; do
		tun_ns router ip -6 addr add "fd02:$n::fe/64" dev "ethB$n" nodad &&
			tun_ns "b$n" ip -6 addr add "fd02:$n::5/64" dev eth0 nodad &&
			tun_ns "b$n" ip -6 addr add fd00::1/128 dev lo nodad || return 1
		tun_ns "b$n" ip -6 route add default via "fd02:$n::fe"
	done
	# As for IPv4: the LB's next hop must be a known neighbour. The
	# router's neighbours too: a first datagram waiting on its neighbour
	# discovery is lost to a test that sends it once.
	tun_ns lb ping -6 -c1 -W2 fd01::fe >/dev/null &&
		tun_ns client ping -6 -c1 -w3 fd02:1::5 >/dev/null &&
		tun_ns client ping -6 -c1 -w3 fd02:2::5 >/dev/null
}

# A second arm for two-armed tests: LB eth1 10.3.0.1 <-> router ethL
# 10.3.0.254 (10.3.0.0/24), and the LB's route to the backends moved onto
# it, so the FIB names eth1 for frames that arrive on eth0. Frames
# redirected into eth1 reach ethL only if ethL has NAPI on (an XDP program).
tun_second_arm() {
	tun_veth lb eth1 router ethL || return 1
	tun_ns router ip link set ethL xdp obj "$TUN_PASS_OBJ" sec xdp || return 1
	tun_ns lb ip addr add 10.3.0.1/24 dev eth1
	tun_ns router ip addr add 10.3.0.254/24 dev ethL
	tun_ns lb ip route replace 10.2.0.0/16 via 10.3.0.254 dev eth1 || return 1
	tun_ns lb ping -c1 -W2 10.3.0.254 >/dev/null
}

# Starts xlb-backend NAME in backend namespace NS (HTTP 80, TCP echo 7),
# with any further xlb-backend options given.
# Not through the tun_ns function: `func &` forks a subshell whose PID is
# not the server's, and killing it would leave the server running.
tun_backend() {
	nsenter --net=/run/netns/"$TUN_P-$1" -- "$TUN_BUILD/xlb-backend" \
		--name "$1" --port 80 --tcp-echo-port 7 --threads 2 "${@:2}" \
		>/dev/null 2>&1 &
	TUN_PIDS+=($!)
}

# Counters: decap_stat NS COUNTER (xlb-decap's on NS's eth0), lb_stat
# COUNTER (the LB's global one).
decap_stat() { # NS COUNTER
	tun_ns "$1" "$TUN_BUILD/xlb-decap" stats eth0 | awk -v c="$2" '$1==c{print $2}'
}
lb_stat() { # COUNTER
	tun_xlbctl --json stats --interval 0 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); g=d.get("global",d); print(g.get(sys.argv[1],0))' "$1" 2>/dev/null
}

# The client's side of the tunnel tests, in Python. CLIENT and VIP are
# addresses of one family; the backends echo TCP on port 7 and UDP on 5353.
#   tun_udp_flows CLIENT VIP       24 UDP flows, one source port each: the
#                                  name of the backend that answered each
#   tun_flows_start CLIENT VIP OUT a TCP echo connection and a UDP flow
#                                  talking for 2 s in the background
#                                  (TUN_FLOWS_PID); OUT gets "OK
#                                  udp_moved=N", MISMATCH or the error
#   tun_nothing_new_placed VIP     no new TCP connection or UDP flow is
#                                  answered
#   tun_big_echo VIP               64 KB of full-size segments through the
#                                  echo: OK or MISMATCH
tun_udp_flows() {
	tun_ns client /usr/bin/python3 - "$1" "$2" <<'PY'
import socket, sys
client, vip = sys.argv[1:]
family = socket.AF_INET6 if ":" in vip else socket.AF_INET
# The reply is "NAME <request>".
for port in range(30001, 30025):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((client, port))
    s.settimeout(1)
    try:
        s.sendto(b"q%d" % port, (vip, 5353))
        data = s.recv(2048).decode()
        if data.endswith(" q%d" % port):
            print(data.split()[0], flush=True)
    except OSError:
        pass
    s.close()
PY
}

tun_flows_start() {
	tun_ns client /usr/bin/python3 - "$1" "$2" >"$3" 2>&1 <<'PY' &
import socket, sys, time
client, vip = sys.argv[1:]
family = socket.AF_INET6 if ":" in vip else socket.AF_INET
s = socket.create_connection((vip, 7), timeout=3)
f = s.makefile("rb")
# xlb-backend's echo greets with "backend NAME" before echoing.
if not f.readline().startswith(b"backend "):
    raise SystemExit("no greeting")
u = socket.socket(family, socket.SOCK_DGRAM)
u.bind((client, 31000))
u.settimeout(1)
def udp_backend(i):
    u.sendto(b"u%d" % i, (vip, 5353))
    return u.recv(2048).split()[0]
def echo(msg):
    s.sendall(msg)
    got = f.read(len(msg))
    if len(got) < len(msg):
        raise SystemExit("closed")
    return got == msg
ok = echo(b"hello\n")
first = udp_backend(0)
moved = 0
# The shell changes weights and drains while this keeps talking.
for i in range(20):
    time.sleep(0.1)
    ok = echo(b"ping %d\n" % i) and ok
    moved += udp_backend(i + 1) != first
print("OK" if ok else "MISMATCH", "udp_moved=%d" % moved, flush=True)
PY
	# shellcheck disable=SC2034 # the caller waits on it
	TUN_FLOWS_PID=$!
}

tun_nothing_new_placed() {
	! tun_ns client /usr/bin/python3 -c '
import socket, sys
vip = sys.argv[1]
try:
    socket.create_connection((vip, 7), timeout=1)
    raise SystemExit(0)
except OSError:
    pass
u = socket.socket(socket.AF_INET6 if ":" in vip else socket.AF_INET,
                  socket.SOCK_DGRAM)
u.settimeout(0.5)
u.sendto(b"new", (vip, 5353))
u.recv(100)' "$1" 2>/dev/null
}

tun_big_echo() {
	tun_ns client /usr/bin/python3 - "$1" 2>&1 <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], 7), timeout=5)
f = s.makefile("rb")
f.readline()
data = bytes(range(256)) * 256 # 64 KB: full-size segments
s.sendall(data)
got = f.read(len(data))
print("OK" if got == data else "MISMATCH %d" % len(got))
PY
}
