#!/usr/bin/env bash
# tools/cluster/cluster.sh: the scale-out topology of xlb's cluster tests.
# A library to `source` (functions cluster_*) and a small CLI.
#
#   <P>-cl client 10.212.1.2 ── 10.212.1.1 <P>-rt router (ECMP, L4 hash)
#                                              │ eth0 10.212.0.1
#   ──── one L2 segment in <P>-sw: bridge br0, or tools/xdp-switch ────
#        │                │                │               │
#   <P>-lb1 .0.2     <P>-lb2 .0.3     <P>-lb3 .0.4    <P>-b1..b4 .0.11-.14
#   xlb on eth0      xlb on eth0      xlb on eth0     VIP on lo, replies
#   (same config, same --hash-seed)                   via the router (DSR)
#
# The router reaches the VIP (10.212.100.1) through an ECMP route whose
# next hops are the LB hosts (net.ipv4.fib_multipath_hash_policy=1: the
# 5-tuple picks the host); the route is static (cluster_route) or learnt by
# BIRD over BGP (cluster_bird_*). Every LB host runs xlb in l2dsr mode: it
# rewrites the destination MAC to the backend's and sends the frame back to
# the segment (XDP_TX); the backend answers the client through the router.
# Nothing is created in the host namespace; BIRD binds only to namespace
# addresses and its control sockets live in the run directory.
#
# CLI (root):
#   tools/cluster/cluster.sh up [--lbs N] [--backends N] [--prefix P]
#                               [--seed S] [--no-xlb] [--segment bridge|xdp]
#   tools/cluster/cluster.sh down [--prefix P]
#   tools/cluster/cluster.sh env [--prefix P]
#
# Library:
#   cluster_up [options as above]    build (this shell is the owner); the
#                                    caller sets `trap cluster_down EXIT`
#   cluster_down                     tear down: processes by PID, XDP,
#                                    pins, namespaces (idempotent)
#   cluster_cleanup_stale            tear down clusters whose owner died
#                                    (cluster_up runs it first)
#   cluster_exec NODE CMD...         run in NODE (rt, cl, sw, lbN, bN)
#   cluster_start NAME NODE CMD...   background; $CL_RUN/NAME.pid, NAME.log
#   cluster_stop NAME [SIGNAL]       signal (TERM), wait, KILL after 3 s
#   cluster_xlbctl N ARGS...         xlbctl on LB host N's pins, in its ns
#   cluster_xlb_up N                 attach xlb on lbN, VIP and backends
#   cluster_route N...               static ECMP route on the router over
#                                    LB hosts N... (none: delete it)
#   cluster_route_hosts              LB host numbers in the router's route
#   cluster_bird_conf_lb N FILE      BIRD config of LB host N
#   cluster_bird_conf_rt FILE        BIRD config of the router
#   cluster_bird_start NODE          generate the config, start BIRD there
#   cluster_birdc NODE ARGS...       birdc on that node's socket
#   cluster_etcd_start [M...]        etcd members M (1 2 3) in the router ns
#                                    on 10.212.0.1:2379+10M, data in $CL_RUN
#   cluster_etcd_endpoints           their client URLs, comma-separated
#   cluster_xlbd_start N [CONF]      xlbd on LB host N (cluster keys set:
#                                    host_id lbN, etcd above, TTL 2 s),
#                                    log xlbd-lbN.log, /metrics 127.0.0.1:9469
#   cluster_xlbd_metrics N           LB host N's xlbd /metrics
# Variables after cluster_up: CL_PREFIX CL_LBS CL_BACKENDS CL_RUN CL_VIP
#   CL_PORT CL_SEED CL_RT_IP CL_CL_IP CL_LB_IP[N] CL_B_IP[N] CL_B_MAC[N]
#   CL_PIN[N] (pin directory of LB host N)

CL_SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
CL_REPO=$(dirname "$(dirname "$(dirname "$CL_SCRIPT")")")
CL_BUILD=${BUILD:-build}
CL_XLBCTL=${CL_XLBCTL:-$CL_REPO/$CL_BUILD/xlbctl}
CL_PASS_OBJ=${CL_PASS_OBJ:-$CL_REPO/$CL_BUILD/tools/xdp-switch/pass.bpf.o}
CL_SWITCH_BIN=${CL_SWITCH_BIN:-$CL_REPO/$CL_BUILD/xdp-switch}
CL_STATE_ROOT=${CL_STATE_ROOT:-/run/xlbcluster}
CL_BPFFS=/sys/fs/bpf
CL_NET=10.212.0
CL_CNET=10.212.1
CL_VIP=10.212.100.1
CL_PORT=80
CL_RT_AS=65000
CL_LB_AS=65001

_cl_err() { echo "cluster: $*" >&2; }

_cl_nsx() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" -- "$@"
}

_cl_sysctl() {
	local ns=$1
	shift
	_cl_nsx "$ns" sysctl -q -w "$@" >/dev/null
}

# Field 22 of /proc/PID/stat (start time): tells a live owner from a reused
# PID.
_cl_starttime() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	# shellcheck disable=SC2086 # split the fields on purpose
	set -- $stat
	echo "${20}"
}

# Whether PID is a process this cluster started (its environment says so):
# a PID file outliving its process never gets another process killed.
_cl_ours() {
	tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | grep -qx "XLBCLUSTER_PREFIX=$CL_PREFIX"
}

# Clusters whose owner died (a test killed before its trap ran).
cluster_cleanup_stale() {
	local dir
	for dir in "$CL_STATE_ROOT"/xc*; do
		[[ -f $dir/env ]] || continue
		(
			# shellcheck disable=SC1091
			. "$dir/env"
			[[ -n ${CL_OWNER:-} && $(_cl_starttime "$CL_OWNER") == "${CL_OWNER_START:-}" ]] &&
				exit 0
			_cl_err "removing stale cluster $CL_PREFIX"
			_cl_vars
			cluster_down
		)
	done
}

_cl_mac() { printf '02:00:0a:d4:%02x:%02x' "$1" "$2"; }

cluster_ns() {
	case $1 in
	rt | cl | sw | lb[0-9] | b[0-9]) echo "$CL_PREFIX-$1" ;;
	*)
		_cl_err "unknown node '$1' (rt, cl, sw, lb1..lb$CL_LBS, b1..b$CL_BACKENDS)"
		return 1
		;;
	esac
}

cluster_exec() {
	local ns
	ns=$(cluster_ns "$1") || return 1
	shift
	_cl_nsx "$ns" "$@"
}

cluster_start() {
	local name=$1 node=$2 ns pid
	shift 2
	ns=$(cluster_ns "$node") || return 1
	XLBCLUSTER_PREFIX=$CL_PREFIX nsenter --net="/run/netns/$ns" -- "$@" \
		>"$CL_RUN/$name.log" 2>&1 &
	pid=$!
	# Not a job of the caller's shell: teardown kills by PID, silently.
	disown "$pid"
	echo "$pid" >"$CL_RUN/$name.pid"
	echo "$pid"
}

cluster_pid() { cat "$CL_RUN/$1.pid" 2>/dev/null; }

cluster_stop() {
	local name=$1 sig=${2:-TERM} pid i
	pid=$(cluster_pid "$name") || return 0
	[[ -n $pid ]] || return 0
	{ _cl_ours "$pid" && kill -"$sig" "$pid" 2>/dev/null; } || {
		rm -f "$CL_RUN/$name.pid"
		return 0
	}
	for ((i = 0; i < 30; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	_cl_ours "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	rm -f "$CL_RUN/$name.pid"
}

cluster_xlbctl() {
	local n=$1
	shift
	_cl_nsx "$CL_PREFIX-lb$n" "$CL_XLBCTL" --pin-path "${CL_PIN[$n]}" "$@"
}

# One node on the segment: veth into the switch namespace, MAC, offloads,
# address; on the bridge segment a port of br0 (the XDP switch takes every
# port at once, _cl_attach_xdp_switch).
_cl_add_segment_node() {
	local node=$1 octet=$2 ns="$CL_PREFIX-$1"
	ip -n "$CL_PREFIX-sw" link add "$node" type veth peer name eth0 netns "$ns"
	ip -n "$ns" link set eth0 address "$(_cl_mac 0 "$octet")"
	# NAPI on both ends, tx checksum off: see DESIGN.md "This machine".
	_cl_nsx "$ns" ethtool -K eth0 tx off gro on rxvlan off txvlan off >/dev/null
	_cl_nsx "$CL_PREFIX-sw" ethtool -K "$node" gro on >/dev/null
	ip -n "$ns" addr add "$CL_NET.$octet/24" dev eth0
	ip -n "$ns" link set eth0 up
	CL_SEGMENT_PORTS+=("$node=$(_cl_mac 0 "$octet")")
	if [[ $CL_SEGMENT == xdp ]]; then
		ip -n "$CL_PREFIX-sw" link set "$node" up
		return
	fi
	ip -n "$CL_PREFIX-sw" link set "$node" master br0
	# XDP_TX'd frames stall in the peer's ring unless the peer has XDP.
	ip -n "$CL_PREFIX-sw" link set dev "$node" xdpdrv obj "$CL_PASS_OBJ" sec xdp
	ip -n "$CL_PREFIX-sw" link set "$node" up
	# A static FDB entry per node: a frame xlb sends to a backend whose
	# MAC the bridge has not learnt yet would be flooded to the other LB
	# hosts, whose xlb would forward it again (it does not check that the
	# destination MAC is its own).
	_cl_nsx "$CL_PREFIX-sw" bridge fdb replace "$(_cl_mac 0 "$octet")" \
		dev "$node" master static
}

# The static XDP switch on every port: no bridge in the packet path (the
# benchmark's segment; a bridge costs more per frame than the balancer).
_cl_attach_xdp_switch() {
	_cl_nsx "$CL_PREFIX-sw" "$CL_SWITCH_BIN" attach \
		--pin "$CL_BPFFS/xlbcluster-$CL_PREFIX-sw" "${CL_SEGMENT_PORTS[@]}" \
		>/dev/null
}

_cl_new_ns() {
	local ns="$CL_PREFIX-$1"
	ip netns add "$ns"
	_cl_sysctl "$ns" net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	ip -n "$ns" link set lo up
}

_cl_vars() {
	local i
	CL_RT_IP=$CL_NET.1
	CL_CL_IP=$CL_CNET.2
	CL_LB_IP=() CL_B_IP=() CL_B_MAC=() CL_PIN=()
	for ((i = 1; i <= CL_LBS; i++)); do
		CL_LB_IP[i]=$CL_NET.$((1 + i))
		CL_PIN[i]=$CL_BPFFS/xlbcluster-$CL_PREFIX-lb$i
	done
	for ((i = 1; i <= CL_BACKENDS; i++)); do
		CL_B_IP[i]=$CL_NET.$((10 + i))
		CL_B_MAC[i]=$(_cl_mac 0 $((10 + i)))
	done
}

_cl_write_env() {
	{
		echo "CL_PREFIX=$CL_PREFIX"
		echo "CL_LBS=$CL_LBS"
		echo "CL_BACKENDS=$CL_BACKENDS"
		echo "CL_SEED=$CL_SEED"
		echo "CL_SEGMENT=$CL_SEGMENT"
		echo "CL_RUN=$CL_RUN"
		echo "CL_OWNER=$CL_OWNER"
		echo "CL_OWNER_START=$(_cl_starttime "$CL_OWNER")"
	} >"$CL_RUN/env"
}

cluster_env() {
	local prefix=${1:-${CL_PREFIX:-}}
	[[ -n $prefix && -f $CL_STATE_ROOT/$prefix/env ]] || {
		_cl_err "no cluster ${prefix:-(no prefix)}"
		return 1
	}
	# shellcheck disable=SC1090
	. "$CL_STATE_ROOT/$prefix/env"
	_cl_vars
}

cluster_up() {
	local xlb=1 i
	CL_LBS=3 CL_BACKENDS=4 CL_PREFIX=xc$$ CL_SEED=0x5eed1e55 CL_SEGMENT=bridge
	CL_SEGMENT_PORTS=()
	while (($#)); do
		case $1 in
		--lbs) CL_LBS=$2 && shift ;;
		--backends) CL_BACKENDS=$2 && shift ;;
		--prefix) CL_PREFIX=$2 && shift ;;
		--seed) CL_SEED=$2 && shift ;;
		--no-xlb) xlb=0 ;;
		--segment) CL_SEGMENT=$2 && shift ;;
		*)
			_cl_err "up: unknown option '$1'"
			return 2
			;;
		esac
		shift
	done
	[[ $CL_PREFIX =~ ^xc[a-z0-9]{1,10}$ ]] || {
		_cl_err "up: prefix '$CL_PREFIX' is not xc followed by 1-10 of [a-z0-9]"
		return 2
	}
	[[ $CL_LBS =~ ^[1-9]$ && $CL_BACKENDS =~ ^[1-9]$ ]] || {
		_cl_err "up: --lbs and --backends take 1-9"
		return 2
	}
	[[ $CL_SEGMENT == bridge || $CL_SEGMENT == xdp ]] || {
		_cl_err "up: --segment takes bridge or xdp, not '$CL_SEGMENT'"
		return 2
	}
	[[ $CL_SEGMENT == bridge || -x $CL_SWITCH_BIN ]] || {
		_cl_err "up: $CL_SWITCH_BIN not built (make)"
		return 1
	}
	[[ -f $CL_PASS_OBJ && -x $CL_XLBCTL ]] || {
		_cl_err "up: $CL_PASS_OBJ or $CL_XLBCTL not built (make)"
		return 1
	}
	CL_RUN=$CL_STATE_ROOT/$CL_PREFIX
	CL_OWNER=${CL_OWNER:-$$}
	cluster_cleanup_stale
	if [[ -e $CL_RUN || -e /run/netns/$CL_PREFIX-rt ]]; then
		_cl_err "up: prefix $CL_PREFIX is in use (cluster.sh down --prefix $CL_PREFIX)"
		return 1
	fi
	mkdir -p "$CL_RUN"
	_cl_vars
	_cl_write_env
	mountpoint -q "$CL_BPFFS" || mount -t bpf bpf "$CL_BPFFS"
	(
		set -e
		_cl_new_ns sw
		if [[ $CL_SEGMENT == bridge ]]; then
			ip -n "$CL_PREFIX-sw" link add br0 type bridge stp_state 0 \
				forward_delay 0 mcast_snooping 0
			ip -n "$CL_PREFIX-sw" link set br0 up
		fi
		for i in rt cl; do _cl_new_ns "$i"; done
		for ((i = 1; i <= CL_LBS; i++)); do _cl_new_ns "lb$i"; done
		for ((i = 1; i <= CL_BACKENDS; i++)); do _cl_new_ns "b$i"; done

		# Router: the segment on eth0, the client on eth1.
		_cl_add_segment_node rt 1
		ip -n "$CL_PREFIX-rt" link add eth1 type veth peer name eth0 \
			netns "$CL_PREFIX-cl"
		ip -n "$CL_PREFIX-rt" link set eth1 address "$(_cl_mac 1 1)"
		ip -n "$CL_PREFIX-cl" link set eth0 address "$(_cl_mac 1 2)"
		ip -n "$CL_PREFIX-rt" addr add "$CL_CNET.1/24" dev eth1
		ip -n "$CL_PREFIX-cl" addr add "$CL_CL_IP/24" dev eth0
		ip -n "$CL_PREFIX-rt" link set eth1 up
		ip -n "$CL_PREFIX-cl" link set eth0 up
		_cl_nsx "$CL_PREFIX-rt" ethtool -K eth1 tx off >/dev/null
		_cl_nsx "$CL_PREFIX-cl" ethtool -K eth0 tx off >/dev/null
		_cl_sysctl "$CL_PREFIX-rt" net.ipv4.ip_forward=1 \
			net.ipv4.fib_multipath_hash_policy=1 \
			net.ipv4.conf.eth0.rp_filter=0 net.ipv4.conf.eth1.rp_filter=0
		ip -n "$CL_PREFIX-cl" route add default via "$CL_CNET.1"
		_cl_sysctl "$CL_PREFIX-cl" net.ipv4.tcp_tw_reuse=1 \
			"net.ipv4.ip_local_port_range=1024 65535"

		for ((i = 1; i <= CL_LBS; i++)); do
			_cl_add_segment_node "lb$i" $((1 + i))
		done
		for ((i = 1; i <= CL_BACKENDS; i++)); do
			_cl_add_segment_node "b$i" $((10 + i))
			# The VIP is local but never answered in ARP.
			_cl_sysctl "$CL_PREFIX-b$i" net.ipv4.conf.all.arp_ignore=1 \
				net.ipv4.conf.eth0.arp_ignore=1 \
				net.ipv4.conf.all.arp_announce=2 \
				net.ipv4.conf.eth0.arp_announce=2 \
				net.ipv4.conf.eth0.rp_filter=0 net.ipv4.conf.lo.rp_filter=0
			ip -n "$CL_PREFIX-b$i" addr add "$CL_VIP/32" dev lo
			ip -n "$CL_PREFIX-b$i" route add "$CL_CNET.0/24" via "$CL_RT_IP"
		done
		[[ $CL_SEGMENT == bridge ]] || _cl_attach_xdp_switch
	) || {
		_cl_err "up: building the namespaces failed"
		cluster_down
		return 1
	}
	if ((xlb)); then
		for ((i = 1; i <= CL_LBS; i++)); do
			cluster_xlb_up "$i" || {
				_cl_err "up: xlb on lb$i failed"
				cluster_down
				return 1
			}
		done
		cluster_route $(seq 1 "$CL_LBS")
	fi
}

# The same configuration on every LB host: one hash seed, one VIP, every
# backend with its MAC given (no ARP wait), weight 100.
cluster_xlb_up() {
	local n=$1 i
	cluster_xlbctl "$n" attach eth0 --hash-seed "$CL_SEED" >/dev/null || return 1
	cluster_xlbctl "$n" vip add "$CL_VIP:$CL_PORT/tcp" >/dev/null || return 1
	for ((i = 1; i <= CL_BACKENDS; i++)); do
		cluster_xlbctl "$n" backend add "$CL_VIP:$CL_PORT/tcp" "${CL_B_IP[i]}" \
			--mac "${CL_B_MAC[i]}" >/dev/null || return 1
	done
}

cluster_route() {
	local hops=() n
	for n in "$@"; do
		hops+=(nexthop via "${CL_LB_IP[n]}" dev eth0)
	done
	if ((${#hops[@]} == 0)); then
		ip -n "$CL_PREFIX-rt" route del "$CL_VIP/32" 2>/dev/null
		return 0
	fi
	ip -n "$CL_PREFIX-rt" route replace "$CL_VIP/32" proto static "${hops[@]}"
}

cluster_route_hosts() {
	local via n out=()
	for via in $(ip -n "$CL_PREFIX-rt" route show "$CL_VIP/32" |
		grep -oE 'via [0-9.]+' | cut -d' ' -f2); do
		for ((n = 1; n <= CL_LBS; n++)); do
			[[ ${CL_LB_IP[n]} == "$via" ]] && out+=("$n")
		done
	done
	echo "${out[*]}"
}

# BIRD on LB host N: BGP to the router with BFD, the VIP in a static
# protocol that starts disabled; tools/cluster/xlb-announce enables it only
# while the local check passes.
cluster_bird_conf_lb() {
	local n=$1 file=$2
	cat >"$file" <<EOF
# Generated by tools/cluster/cluster.sh for LB host $n.
router id ${CL_LB_IP[n]};
log "$CL_RUN/bird-lb$n.log" all;
protocol device { scan time 10; }
protocol bfd {
	interface "eth0" { min rx interval 50 ms; min tx interval 50 ms; multiplier 3; };
}
protocol static xlb_vips {
	disabled yes;
	ipv4;
	route $CL_VIP/32 blackhole;
}
protocol bgp uplink {
	local ${CL_LB_IP[n]} as $CL_LB_AS;
	neighbor $CL_RT_IP as $CL_RT_AS;
	direct;
	bfd on;
	hold time 3;
	connect retry time 1;
	# A session that BFD took down comes back in seconds, not after
	# BIRD's default 60-300 s error wait.
	error wait time 1, 5;
	ipv4 { import none; export where proto = "xlb_vips"; next hop self; };
}
EOF
}

cluster_bird_conf_rt() {
	local file=$1 n
	{
		cat <<EOF
# Generated by tools/cluster/cluster.sh for the router.
router id $CL_RT_IP;
log "$CL_RUN/bird-rt.log" all;
protocol device { scan time 10; }
protocol kernel {
	ipv4 { import none; export all; };
	merge paths yes limit 16;
	learn off;
}
protocol bfd {
	interface "eth0" { min rx interval 50 ms; min tx interval 50 ms; multiplier 3; };
}
template bgp lbhost {
	local $CL_RT_IP as $CL_RT_AS;
	direct;
	bfd on;
	hold time 3;
	connect retry time 1;
	# A session that BFD took down comes back in seconds, not after
	# BIRD's default 60-300 s error wait.
	error wait time 1, 5;
	ipv4 { import where net = $CL_VIP/32; export none; };
}
EOF
		for ((n = 1; n <= CL_LBS; n++)); do
			echo "protocol bgp lb$n from lbhost { neighbor ${CL_LB_IP[n]} as $CL_LB_AS; }"
		done
	} >"$file"
}

cluster_bird_start() {
	local node=$1 conf="$CL_RUN/bird-$1.conf"
	case $node in
	rt) cluster_bird_conf_rt "$conf" ;;
	lb[0-9]) cluster_bird_conf_lb "${node#lb}" "$conf" ;;
	*)
		_cl_err "bird: node must be rt or lbN"
		return 1
		;;
	esac
	bird -p -c "$conf" || return 1
	# -f: foreground, so the PID is BIRD's and the trap can kill it.
	cluster_start "bird-$node" "$node" bird -f -c "$conf" \
		-s "$CL_RUN/bird-$node.ctl" >/dev/null
}

cluster_birdc() {
	local node=$1
	shift
	birdc -s "$CL_RUN/bird-$node.ctl" "$@"
}

cluster_etcd_endpoints() {
	local m out=
	for m in 1 2 3; do out+="${out:+,}http://$CL_NET.1:$((2379 + m * 10))"; done
	echo "$out"
}

cluster_etcd_start() {
	local m peers= ms=("$@")
	((${#ms[@]})) || ms=(1 2 3)
	for m in 1 2 3; do peers+="${peers:+,}m$m=http://$CL_NET.1:$((2380 + m * 10))"; done
	for m in "${ms[@]}"; do
		cluster_start "etcd-m$m" rt etcd --name "m$m" --data-dir "$CL_RUN/etcd-m$m" \
			--listen-peer-urls "http://$CL_NET.1:$((2380 + m * 10))" \
			--initial-advertise-peer-urls "http://$CL_NET.1:$((2380 + m * 10))" \
			--listen-client-urls "http://$CL_NET.1:$((2379 + m * 10))" \
			--advertise-client-urls "http://$CL_NET.1:$((2379 + m * 10))" \
			--initial-cluster "$peers" --initial-cluster-state new \
			--initial-cluster-token "$CL_PREFIX" >/dev/null
	done
}

cluster_xlbd_start() {
	local n=$1 conf=${2:-$CL_RUN/xlbd-lb$1.conf}
	[[ -f $conf ]] || cat >"$conf" <<EOF2
{ "scrape": { "enabled": false }, "store": { "enabled": false },
  "cluster": { "etcd": "$(cluster_etcd_endpoints)", "prefix": "/xlb/$CL_PREFIX",
               "host_id": "lb$n", "lease_ttl_s": 2 } }
EOF2
	mkdir -p "$CL_RUN/xlbd-lb$n"
	cluster_start "xlbd-lb$n" "lb$n" "$CL_REPO/$CL_BUILD/xlbd" --config "$conf" \
		--pin-dir "${CL_PIN[n]}" --state-dir "$CL_RUN/xlbd-lb$n" \
		--metrics-listen 127.0.0.1:9469 >/dev/null
}

cluster_xlbd_metrics() {
	cluster_exec "lb$1" curl -s -m 1 http://127.0.0.1:9469/metrics
}

cluster_down() {
	local f pid i ns
	[[ -n ${CL_PREFIX:-} && -n ${CL_RUN:-} ]] || return 0
	for f in "$CL_RUN"/*.pid; do
		[[ -f $f ]] || continue
		pid=$(cat "$f")
		[[ -n $pid ]] && _cl_ours "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
		rm -f "$f"
	done
	for ((i = 1; i <= ${CL_LBS:-0}; i++)); do
		[[ -e /run/netns/$CL_PREFIX-lb$i && -d ${CL_PIN[i]} ]] &&
			cluster_xlbctl "$i" detach --all >/dev/null 2>&1
		rm -rf "${CL_PIN[i]}"
	done
	for ns in /run/netns/"$CL_PREFIX"-*; do
		[[ -e $ns ]] && ip netns del "${ns#/run/netns/}"
	done
	rm -rf "$CL_BPFFS/xlbcluster-$CL_PREFIX-sw" "$CL_RUN"
	return 0
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	cmd=${1:-}
	shift || true
	case $cmd in
	up)
		# The calling shell owns it: the CLI process itself exits now.
		CL_OWNER=$PPID cluster_up "$@" || exit 1
		cat "$CL_RUN/env"
		;;
	down | env)
		prefix=
		[[ ${1:-} == --prefix ]] && prefix=$2
		cluster_env "$prefix" || exit 1
		if [[ $cmd == down ]]; then cluster_down; else cat "$CL_RUN/env"; fi
		;;
	*)
		echo "usage: cluster.sh up|down|env [options] (see the head of the file)" >&2
		exit 2
		;;
	esac
fi
