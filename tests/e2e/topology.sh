#!/usr/bin/env bash
# The namespace topology (tools/topo.sh) every later end-to-end test stands on:
# for both segments (bridge, XDP switch) with IPv4 and IPv6, the client reaches
# the LB and every backend; nobody answers ARP/ND for the VIP while nothing
# balances; topo_env reports the MACs seen on the wire; the DSR return path of
# a backend works (VIP on lo, ARP settings, rp_filter, offloads); backend CPU
# quotas apply; teardown and stale cleanup leave nothing behind.
#
#   tests/e2e/topology.sh [FILTER]   run the checks whose name contains FILTER
#                                    (bring-up and teardown always run)
# shellcheck disable=SC2119 # topo_down takes an optional prefix, unused here
set -uo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lib/testing.sh
. tests/lib/testing.sh
# shellcheck source=tools/topo.sh
. tools/topo.sh

PY=/usr/bin/python3
PORT=8080
FILTER=${1:-}

# Answers each connection with "NAME LOCAL-ADDRESS BYTES-RECEIVED\n" and then
# SIZE bytes, after reading the client's data to EOF: bulk both ways, so bad
# checksums (tx offload after an XDP redirect) would show.
SERVER_PY='
import socket, sys
port, name, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", port))
s.listen(16)
while True:
    c, _ = s.accept()
    c.settimeout(5)
    n = 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        n += len(b)
    local = c.getsockname()[0].removeprefix("::ffff:")
    c.sendall(f"{name} {local} {n}\n".encode() + b"x" * size)
    c.close()
'

# Prints "PEER NAME LOCAL-ADDRESS BYTES-SENT-SEEN BYTES-RECEIVED".
CLIENT_PY='
import socket, sys
addr, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = socket.create_connection((addr, port), timeout=5)
peer = c.getpeername()[0]
c.sendall(b"y" * size)
c.shutdown(socket.SHUT_WR)
data = b""
while True:
    b = c.recv(65536)
    if not b:
        break
    data += b
head, _, body = data.partition(b"\n")
print(peer, head.decode(), len(body))
'

trap topo_down EXIT

# check, unless FILTER leaves the test out.
tcheck() {
	[[ -z $FILTER || $1 == *"$FILTER"* ]] || return 0
	check "$@"
}

need() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null || {
			echo "missing $tool"
			return 1
		}
	done
}

# ----------------------------------------------------------------- checks

client_reaches_every_node() {
	local fam=$1 node var
	for node in $TOPO_NODES; do
		[[ $node == cl ]] && continue
		var=TOPO_${node^^}_IP$fam
		topo_exec cl timeout 5 ping "-$fam" -q -c 2 -i 0.2 -W 1 "${!var}" ||
			return 1
	done
}

# The MAC topo_env reports is the one the kernel has and the one the client
# learned from ARP (ARP answers come from the owner of the address).
macs_match_the_wire() {
	local node var ip_var mac kernel learned
	for node in $TOPO_NODES; do
		[[ $node == cl ]] && continue
		var=TOPO_${node^^}_MAC ip_var=TOPO_${node^^}_IP4
		mac=${!var}
		kernel=$(ip -n "$(topo_ns "$node")" -o link show eth0 |
			sed -nE 's/.*link\/ether ([0-9a-f:]+).*/\1/p')
		topo_exec cl ping -q -c 1 -W 1 "${!ip_var}" >/dev/null
		learned=$(topo_exec cl ip neigh show "${!ip_var}" dev eth0 |
			awk '{ print $3 }')
		[[ -n $mac && $mac == "$kernel" && $mac == "$learned" ]] || {
			echo "$node: topo_env $mac, kernel $kernel, ARP $learned"
			return 1
		}
	done
	[[ $TOPO_BACKEND_MACS == "$TOPO_B1_MAC"* ]] || {
		echo "TOPO_BACKEND_MACS '$TOPO_BACKEND_MACS' does not start with b1's"
		return 1
	}
}

# While nothing balances the VIP answers nowhere: the LB does not own it
# (the client routes it there), and with the VIP made on-link the backends
# that hold it on lo stay silent to ARP/ND, so it never resolves.
vip_unreachable_without_balancer() {
	local fam=$1 vip plen neigh
	if ((fam == 4)); then
		vip=$TOPO_VIP4 plen=32
	else
		vip=$TOPO_VIP6 plen=128
	fi
	if ip -n "$TOPO_NS_LB" addr | grep -qw "$vip"; then
		echo "the LB owns $vip"
		return 1
	fi
	if topo_exec cl timeout 5 ping "-$fam" -c 1 -W 1 "$vip"; then
		echo "$vip answered through the LB"
		return 1
	fi
	topo_exec cl ip "-$fam" route replace "$vip/$plen" dev eth0
	topo_exec cl ip "-$fam" neigh del "$vip" dev eth0 2>/dev/null
	local rc=0
	if topo_exec cl timeout 5 ping "-$fam" -c 1 -W 1 "$vip"; then
		echo "$vip answered on-link: a backend answered ARP/ND for it"
		rc=1
	fi
	neigh=$(topo_exec cl ip "-$fam" neigh show "$vip" dev eth0)
	if [[ $neigh == *lladdr* ]]; then
		echo "$vip resolved: $neigh"
		rc=1
	fi
	topo_exec cl ip "-$fam" neigh del "$vip" dev eth0 2>/dev/null
	topo_exec cl ip "-$fam" route replace "$vip/$plen" via "$(lb_address "$fam")"
	return "$rc"
}

lb_address() {
	if (($1 == 4)); then echo "$TOPO_LB_IP4"; else echo "$TOPO_LB_IP6"; fi
}

wait_listening() {
	local node=$1 port=$2 i
	for ((i = 0; i < 50; i++)); do
		topo_exec "$node" ss -Hltn "sport = :$port" | grep -q LISTEN && return 0
		sleep 0.1
	done
	echo "nothing listens on $node port $port"
	return 1
}

# The backend half of DSR: the client sends to the VIP with backend 1's MAC
# (a static neighbour, test only, in place of the balancer's rewrite); the
# backend accepts on its lo VIP and answers from the VIP, straight from its
# own MAC. Bulk data both ways proves checksums survive the segment.
dsr_return_path() {
	local fam=$1 vip plen out pcap rc=0 first
	if ((fam == 4)); then
		vip=$TOPO_VIP4 plen=32
	else
		vip=$TOPO_VIP6 plen=128
	fi
	pcap=$(topo_pcap_start cl eth0 "$TOPO_RESULTS/dsr$fam.pcap" \
		tcp src port "$PORT") || return 1
	topo_exec cl ip "-$fam" route replace "$vip/$plen" dev eth0
	topo_exec cl ip "-$fam" neigh replace "$vip" lladdr "$TOPO_B1_MAC" \
		dev eth0 nud permanent
	out=$(topo_exec cl timeout 10 "$PY" -c "$CLIENT_PY" "$vip" "$PORT" 100000 2>&1)
	topo_exec cl ip "-$fam" neigh del "$vip" dev eth0
	topo_exec cl ip "-$fam" route replace "$vip/$plen" via "$(lb_address "$fam")"
	topo_pcap_stop cl eth0 >/dev/null
	if [[ $out != "$vip b1 $vip 100000 200000" ]]; then
		echo "client got '$out', want '$vip b1 $vip 100000 200000'"
		rc=1
	fi
	first=$(tcpdump -r "$pcap" -e -n -c 1 2>/dev/null)
	if [[ $first != *"$TOPO_B1_MAC > $TOPO_CL_MAC"* || $first != *"$vip"* ]]; then
		echo "first reply on the client's wire is not from b1's MAC and the VIP: $first"
		rc=1
	fi
	return "$rc"
}

cgroup_quota_reads_back() {
	local got
	topo_cgroup_quota b1 20% || return 1
	got=$(topo_cgroup_quota_get b1)
	[[ $got == "20000 100000" ]] || {
		echo "after 20%: '$got'"
		return 1
	}
	topo_cgroup_quota b1 30000 50000 || return 1
	got=$(topo_cgroup_quota_get b1)
	[[ $got == "30000 50000" ]] || {
		echo "after 30000 50000: '$got'"
		return 1
	}
}

throttled_count() {
	awk '$1 == "nr_throttled" { print $2 }' "$TOPO_CGROUP_B1/cpu.stat"
}

# A busy loop in b1's cgroup under a 20% quota is throttled and gets about
# a fifth of the CPU; cleared, the quota reads "max".
cgroup_quota_throttles() {
	local before after used_before used
	topo_cgroup_quota b1 20% || return 1
	before=$(throttled_count)
	used_before=$(topo_cgroup_cpu_usec b1)
	topo_exec --cgroup b1 timeout 1 sh -c 'while :; do :; done'
	after=$(throttled_count)
	used=$(($(topo_cgroup_cpu_usec b1) - used_before))
	topo_cgroup_quota_clear b1 || return 1
	((after > before)) || {
		echo "not throttled (nr_throttled $before -> $after)"
		return 1
	}
	((used < 400000)) || {
		echo "used ${used} us of CPU in 1 s under a 20% quota"
		return 1
	}
	[[ $(topo_cgroup_quota_get b1) == "max "* ]] || {
		echo "after clear: $(topo_cgroup_quota_get b1)"
		return 1
	}
}

started_process_is_in_cgroup() {
	local pid
	pid=$(topo_pid srv-b1) || return 1
	grep -q ":/xlbtest/$TOPO_NS_B1\$" "/proc/$pid/cgroup" || {
		echo "server $pid not in its cgroup: $(tr '\n' ' ' <"/proc/$pid/cgroup")"
		return 1
	}
	grep -qaz "^XLBTEST_NODE=b1\$" "/proc/$pid/environ" || {
		echo "server $pid has no XLBTEST_NODE marker"
		return 1
	}
}

switch_stat() {
	topo_switch_stats | awk -v k="$1" '$1 == k { print $2 }'
}

# ARP from a flushed neighbour table is flooded; the answers are forwarded as
# unicast; a frame to a MAC nobody has is dropped and counted.
xdp_switch_floods_and_forwards() {
	local flooded forwarded unknown
	flooded=$(switch_stat flooded) forwarded=$(switch_stat forwarded)
	unknown=$(switch_stat drop_unknown)
	topo_exec cl ip neigh flush dev eth0
	topo_exec cl timeout 5 ping -q -c 1 -W 1 "$TOPO_B2_IP4" >/dev/null || {
		echo "ping b2 failed"
		return 1
	}
	topo_exec cl ip neigh replace 10.211.0.99 lladdr 02:00:0a:d3:00:63 \
		dev eth0 nud permanent
	topo_exec cl timeout 5 ping -q -c 1 -W 1 10.211.0.99 >/dev/null
	topo_exec cl ip neigh del 10.211.0.99 dev eth0
	(($(switch_stat flooded) > flooded)) || {
		echo "ARP not flooded"
		return 1
	}
	(($(switch_stat forwarded) >= forwarded + 2)) || {
		echo "unicast not forwarded"
		return 1
	}
	(($(switch_stat drop_unknown) > unknown)) || {
		echo "unknown unicast not counted"
		return 1
	}
}

teardown_leaves_nothing() {
	local prefix=$TOPO_PREFIX out
	topo_down
	[[ -z ${TOPO_PREFIX:-} ]] || {
		echo "topo_down left TOPO_PREFIX set"
		return 1
	}
	out=$(topo_leak_check "$prefix") || {
		echo "$out"
		return 1
	}
}

# A run killed without teardown (its owner is gone) is swept, processes
# included, while the live topology of this run stays.
cleanup_stale_removes_killed_run() {
	local owner prefix out
	sleep 60 &
	owner=$!
	prefix=xts$owner
	tools/topo.sh up --backends 1 --prefix "$prefix" --owner "$owner" \
		--no-check >/dev/null 2>&1 || return 1
	tools/topo.sh start --prefix "$prefix" sleeper b1 sleep 60 >/dev/null ||
		return 1
	kill "$owner"
	wait "$owner" 2>/dev/null
	topo_cleanup_stale 2>/dev/null
	if out=$(topo_leak_check "$prefix"); then :; else
		echo "$out"
		tools/topo.sh down --prefix "$prefix"
		return 1
	fi
	[[ -e /run/netns/$TOPO_NS_LB ]] || {
		echo "the live topology $TOPO_PREFIX was swept too"
		return 1
	}
}

# ----------------------------------------------------------------- run

run_segment() {
	local seg=$1 fam log
	log=$(mktemp)
	# Not in $(...): topo_up sets this shell's TOPO_* variables.
	if ! topo_up --backends 2 --ipv6 --segment "$seg" 2>"$log"; then
		fail "${seg}_topology_up" "$(tail -n 5 "$log" | tr '\n' ' ')"
		rm -f "$log"
		return
	fi
	rm -f "$log"
	pass "${seg}_topology_up"
	for fam in 4 6; do
		tcheck "${seg}_client_reaches_lb_and_backends_v$fam" \
			client_reaches_every_node "$fam"
	done
	tcheck "${seg}_topo_env_macs_match_the_wire" macs_match_the_wire
	for fam in 4 6; do
		tcheck "${seg}_vip_unanswered_without_balancer_v$fam" \
			vip_unreachable_without_balancer "$fam"
	done
	topo_start --cgroup srv-b1 b1 timeout 60 "$PY" -c "$SERVER_PY" \
		"$PORT" b1 200000 >/dev/null
	if out=$(wait_listening b1 "$PORT"); then
		for fam in 4 6; do
			tcheck "${seg}_dsr_return_path_from_backend_v$fam" \
				dsr_return_path "$fam"
		done
	else
		fail "${seg}_dsr_return_path_from_backend" "$out"
	fi
	if [[ $seg == bridge ]]; then
		tcheck started_process_runs_in_backend_cgroup started_process_is_in_cgroup
		tcheck cgroup_quota_set_and_read_back cgroup_quota_reads_back
		tcheck cgroup_quota_throttles_backend cgroup_quota_throttles
		tcheck cleanup_stale_removes_killed_run cleanup_stale_removes_killed_run
	else
		tcheck xdp_switch_floods_arp_forwards_unicast_drops_unknown \
			xdp_switch_floods_and_forwards
	fi
	if ((T_FAILED)); then
		topo_collect_evidence "$TOPO_RESULTS/evidence-$seg" &&
			echo "evidence: $TOPO_RESULTS/evidence-$seg"
	fi
	check "${seg}_teardown_leaves_nothing" teardown_leaves_nothing
}

if ((EUID != 0)); then
	skip topology "needs root (namespaces, cgroups, XDP)"
	summary
	exit
fi
if ! out=$(need ip nsenter ethtool tcpdump ping ss timeout "$PY"); then
	skip topology "$out"
	summary
	exit
fi

run_segment bridge
if [[ -x $TOPO_SWITCH_BIN ]]; then
	run_segment xdp
else
	skip xdp_segment "$TOPO_SWITCH_BIN not built (make)"
fi
summary
