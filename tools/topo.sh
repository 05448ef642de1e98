#!/usr/bin/env bash
# tools/topo.sh: the namespace topology of xlb's end-to-end tests, benchmarks
# and demo. A library to `source` (functions topo_*) and a CLI.
#
#        <P>-cl           <P>-lb          <P>-b1 ... <P>-bN
#       client         load balancer       backends (VIP on lo)
#    eth0 10.211.0.1   eth0 10.211.0.2    eth0 10.211.0.11, .12, ...
#          |                 |                 |
#    ------cl----------------lb----------------b1 ... bN------  <P>-sw
#          one L2 segment: a Linux bridge br0 (--segment bridge)
#          or the static XDP switch tools/xdp-switch (--segment xdp)
#
# Every node has one interface, eth0, in its own namespace; the other end of
# its veth sits in the switch namespace <P>-sw under the node's short name.
# Nothing is created in the host namespace. The client routes the VIPs
# (default 10.211.100.1, fd00:211:100::1) via the LB's segment address; the LB
# does not own them (xlb balances, l2dsr); backends hold them on lo with
# arp_ignore=1/arp_announce=2, so they accept DSR traffic but never answer ARP
# or ND for them. IPv6 (--ipv6): fd00:211::/64, client ::1, LB ::2, backends
# ::11, ::12, ... MACs encode the address: 02:00:0a:d3:00:<last octet, hex>.
#
# CLI (root):
#   tools/topo.sh up [--backends N] [--ipv6] [--segment bridge|xdp]
#                    [--prefix P] [--vip ADDR]... [--owner PID]
#                    [--results DIR] [--no-check]
#       builds the topology and prints its variables (as `env` does).
#       N defaults to 3. The prefix defaults to xt<owner PID>; the owner (whose
#       death makes the topology stale) defaults to the calling process.
#   tools/topo.sh down [--prefix P]
#   tools/topo.sh env [--prefix P]        NAME=value lines, for eval
#   tools/topo.sh exec [--prefix P] [--cgroup] NODE CMD...
#   tools/topo.sh start [--prefix P] [--cgroup] NAME NODE CMD...
#   tools/topo.sh stop [--prefix P] NAME [SIGNAL]
#   tools/topo.sh quota [--prefix P] NODE QUOTA|N%|max [PERIOD_US]
#   tools/topo.sh evidence [--prefix P] DIR
#   tools/topo.sh switch-stats [--prefix P]
#   tools/topo.sh cleanup-stale
#   tools/topo.sh leak-check [--all | PREFIX...]
# Without --prefix, commands other than up use $TOPO_PREFIX, else xt$PPID.
# NODE is cl, lb, sw or b1..bN (or a full namespace name).
#
# Library (source it; then functions work on the current topology):
#   topo_up [up options]        brings it up with this shell as owner, then
#                               topo_env; the caller sets `trap topo_down EXIT`
#   topo_down                   tears it down (idempotent, safe in a trap)
#   topo_env [--prefix P] [--print]
#       sets TOPO_PREFIX TOPO_SEGMENT TOPO_IPV6 TOPO_BACKENDS TOPO_NODES
#       TOPO_IFNAME (eth0) TOPO_NS_{CL,LB,SW,B1..} TOPO_NS_BACKENDS
#       TOPO_{CL,LB,B1..}_{IP4,IP6,MAC} TOPO_LB_IFINDEX TOPO_BACKEND_IP4S
#       TOPO_BACKEND_IP6S TOPO_BACKEND_MACS TOPO_SUBNET4 TOPO_SUBNET6
#       TOPO_VIP4 TOPO_VIPS4 TOPO_VIP6 TOPO_VIPS6 (lists space-separated; v6
#       ones empty without --ipv6) TOPO_PIN_DIR (pin dir for xlb, created,
#       removed at teardown) TOPO_SWITCH_PIN_DIR TOPO_CGROUP_VERSION (1|2)
#       TOPO_CGROUP_B1.. (cpu controller dir) TOPO_CGROUP_ACCT_B1.. (where
#       CPU usage is accounted) TOPO_RESULTS (logs, pid files, pcaps)
#   topo_ns NODE                namespace name; run commands with
#                               nsenter --net=/run/netns/NAME, never
#                               `ip netns exec` (it hides /sys/fs/bpf)
#   topo_exec [--cgroup] NODE CMD...      run in the node (and its cgroup)
#   topo_start [--cgroup] NAME NODE CMD...  background, with
#                               $TOPO_RESULTS/proc/NAME.pid and NAME.log
#   topo_stop NAME [SIGNAL]     signal (TERM), wait, KILL after 3 s
#   topo_pid NAME               PID of a started process
#   topo_cgroup_quota NODE QUOTA_US|N%|max [PERIOD_US]   (default 100000)
#   topo_cgroup_quota_clear NODE
#   topo_cgroup_quota_get NODE  "QUOTA PERIOD" in us, QUOTA "max" if none
#   topo_cgroup_cpu_usec NODE   CPU time the node's cgroup has used, in us
#   topo_cgroup_join NODE PID   move a process into the node's cgroup
#   topo_pcap_start [NODE [IFACE [FILE [FILTER...]]]]  default lb eth0;
#                               waits until tcpdump listens; prints FILE
#   topo_pcap_stop [NODE [IFACE]]   prints FILE
#   topo_collect_evidence DIR   ip state of every node, switch state, logs,
#                               a short pcap of the LB; keeps TOPO_RESULTS
#   topo_switch_stats           XDP switch counters ("name value" lines)
#   topo_cleanup_stale          removes topologies whose owner is dead
#   topo_leak_check [--all | PREFIX...]   lists leftovers (namespaces,
#       cgroups, pin dirs, state, processes); by default of dead owners
#       only, so live runs of others do not count; non-zero if any
#
# Inside a node only the network namespace changes: /sys/class/net still shows
# the host's interfaces, so use ip/ethtool there, never sysfs. Processes the
# topology starts carry XLBTEST_PREFIX/XLBTEST_NODE in their environment, which
# is how teardown and the leak check find them.

TOPO_SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
TOPO_REPO=$(dirname "$(dirname "$TOPO_SCRIPT")")
TOPO_STATE_ROOT=${TOPO_STATE_ROOT:-/run/xlbtest}
TOPO_BPFFS=/sys/fs/bpf
TOPO_SWITCH_BIN=${TOPO_SWITCH_BIN:-$TOPO_REPO/${BUILD:-build}/xdp-switch}
TOPO_PASS_OBJ=${TOPO_PASS_OBJ:-$TOPO_REPO/${BUILD:-build}/tools/xdp-switch/pass.bpf.o}
# The prefix ends up in namespace, cgroup and pin names; short and plain.
TOPO_PREFIX_RE='^xt[a-z0-9]{1,10}$'
TOPO_NET4=10.211.0
TOPO_NET6=fd00:211:
TOPO_DEFAULT_VIP4=10.211.100.1
TOPO_DEFAULT_VIP6=fd00:211:100::1

# ---------------------------------------------------------------- helpers

_topo_err() { echo "topo: $*" >&2; }

# Enter only the network namespace (keeps /sys/fs/bpf and /sys/fs/cgroup).
_topo_nsx() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" -- "$@"
}

# Field N of /proc/PID/stat counted after the command name (which may hold
# spaces): 1 state, 2 parent PID, 20 start time.
_topo_stat_field() {
	local field=$2 stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	# shellcheck disable=SC2086 # split the fields on purpose
	set -- $stat
	echo "${!field}"
}

# The start time tells a live owner from a reused PID.
_topo_starttime() { _topo_stat_field "$1" 20; }

_topo_ppid() { _topo_stat_field "$1" 2; }

# A zombie is as dead as a missing process.
_topo_pid_alive() {
	local state
	state=$(_topo_stat_field "$1" 1) && [[ $state != Z ]]
}

# This process and its ancestors: never signalled by teardown.
_topo_self_pids() {
	local pid=$$
	echo "$BASHPID"
	while [[ -n $pid && $pid != 0 ]]; do
		echo "$pid"
		pid=$(_topo_ppid "$pid") || break
	done
}

_topo_mac_of_octet() { printf '02:00:0a:d3:00:%02x' "$1"; }

_topo_node_octet() {
	case $1 in
	cl) echo 1 ;;
	lb) echo 2 ;;
	b[0-9]*) echo $((10 + ${1#b})) ;;
	*) return 1 ;;
	esac
}

# Namespace of NODE in the current topology.
topo_ns() {
	local node=$1
	[[ -n ${TOPO_PREFIX:-} ]] || {
		_topo_err "no topology: run topo_up or topo_env first"
		return 1
	}
	case $node in
	cl | lb | sw | b[0-9]*) node="$TOPO_PREFIX-$node" ;;
	"$TOPO_PREFIX"-*) ;;
	*)
		_topo_err "unknown node '$node' (cl, lb, sw, b1..b$TOPO_BACKENDS)"
		return 1
		;;
	esac
	[[ -e /run/netns/$node ]] || {
		_topo_err "no namespace $node"
		return 1
	}
	echo "$node"
}

# ---------------------------------------------------------------- cgroups

# Sets _TOPO_CG_VERSION, _TOPO_CG_CPU (root of the cpu controller) and
# _TOPO_CG_ACCT (root where usage is accounted: v1 cpuacct may be separate).
_topo_cgroup_detect() {
	local mnt type opts rest v1cpu="" v1acct="" v2cpu=""
	while read -r _ mnt type opts rest; do
		if [[ $type == cgroup2 && -z $v2cpu ]]; then
			grep -qw cpu "$mnt/cgroup.controllers" 2>/dev/null && v2cpu=$mnt
		elif [[ $type == cgroup ]]; then
			[[ ,$opts, == *,cpu,* && -z $v1cpu ]] && v1cpu=$mnt
			[[ ,$opts, == *,cpuacct,* && -z $v1acct ]] && v1acct=$mnt
		fi
	done </proc/mounts
	# v2 wins when it has the controller (a pure v2 host); else v1 (hybrid).
	if [[ -n $v2cpu ]]; then
		_TOPO_CG_VERSION=2 _TOPO_CG_CPU=$v2cpu _TOPO_CG_ACCT=$v2cpu
	elif [[ -n $v1cpu ]]; then
		_TOPO_CG_VERSION=1 _TOPO_CG_CPU=$v1cpu _TOPO_CG_ACCT=${v1acct:-$v1cpu}
	else
		_topo_err "no cgroup hierarchy with the cpu controller"
		return 1
	fi
}

# Every mount point of a cgroup hierarchy (where leftovers could be).
_topo_cgroup_mounts() {
	awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/mounts
}

# The node's cgroup directories: the cpu one first, then the accounting one.
_topo_cgroup_dirs() {
	local node=$1 cpu acct
	cpu=TOPO_CGROUP_${node^^} acct=TOPO_CGROUP_ACCT_${node^^}
	[[ -n ${!cpu:-} ]] || {
		_topo_err "node $node has no cgroup (backends only)"
		return 1
	}
	echo "${!cpu}"
	if [[ ${!acct} != "${!cpu}" ]]; then
		echo "${!acct}"
	fi
}

topo_cgroup_join() {
	local node=$1 pid=$2 dir
	while read -r dir; do
		echo "$pid" >"$dir/cgroup.procs" || {
			_topo_err "cannot move $pid into $dir"
			return 1
		}
	done < <(_topo_cgroup_dirs "$node")
}

_topo_cgroup_cpu_dir() {
	local dirs
	dirs=$(_topo_cgroup_dirs "$1") || return 1
	echo "${dirs%%$'\n'*}"
}

topo_cgroup_quota() {
	local node=${1:-} quota=${2:-} period=${3:-100000} dir
	dir=$(_topo_cgroup_cpu_dir "$node") || return 1
	[[ $period =~ ^[0-9]+$ ]] || {
		_topo_err "quota: period '$period' is not microseconds"
		return 1
	}
	if [[ $quota == max || $quota == -1 ]]; then
		quota=max
	elif [[ $quota =~ ^([0-9]+)%$ ]]; then
		quota=$((period * BASH_REMATCH[1] / 100))
	elif [[ ! $quota =~ ^[0-9]+$ ]]; then
		_topo_err "quota: '$quota' is not microseconds, N% or max"
		return 1
	fi
	if [[ $TOPO_CGROUP_VERSION == 2 ]]; then
		echo "$quota $period" >"$dir/cpu.max"
	else
		[[ $quota == max ]] && quota=-1
		# Lift the quota first: a period below the current quota is refused.
		echo -1 >"$dir/cpu.cfs_quota_us" &&
			echo "$period" >"$dir/cpu.cfs_period_us" &&
			echo "$quota" >"$dir/cpu.cfs_quota_us"
	fi
}

topo_cgroup_quota_clear() { topo_cgroup_quota "$1" max; }

topo_cgroup_quota_get() {
	local dir quota period
	dir=$(_topo_cgroup_cpu_dir "$1") || return 1
	if [[ $TOPO_CGROUP_VERSION == 2 ]]; then
		cat "$dir/cpu.max"
	else
		quota=$(cat "$dir/cpu.cfs_quota_us") || return 1
		period=$(cat "$dir/cpu.cfs_period_us") || return 1
		[[ $quota == -1 ]] && quota=max
		echo "$quota $period"
	fi
}

topo_cgroup_cpu_usec() {
	local dirs acct
	dirs=$(_topo_cgroup_dirs "$1") || return 1
	acct=${dirs##*$'\n'}
	if [[ $TOPO_CGROUP_VERSION == 2 ]]; then
		awk '$1 == "usage_usec" { print $2 }' "$acct/cpu.stat"
	else
		echo $(($(cat "$acct/cpuacct.usage") / 1000))
	fi
}

# ---------------------------------------------------------------- processes

# Exec CMD in NODE: for a subshell (its PID becomes the command's).
_topo_exec_here() {
	local cgroup=$1 node=$2 ns
	shift 2
	ns=$(topo_ns "$node") || exit 1
	if ((cgroup)); then
		topo_cgroup_join "$node" "$BASHPID" || exit 1
	fi
	# The marker is how teardown and the leak check find the process.
	exec env "XLBTEST_PREFIX=$TOPO_PREFIX" "XLBTEST_NODE=$node" \
		nsenter --net="/run/netns/$ns" -- "$@"
}

topo_exec() {
	local cgroup=0
	[[ ${1:-} == --cgroup ]] && cgroup=1 && shift
	(($# >= 2)) || {
		_topo_err "usage: topo_exec [--cgroup] NODE CMD..."
		return 2
	}
	(_topo_exec_here "$cgroup" "$@")
}

_topo_proc_dir() { echo "$TOPO_RESULTS/proc"; }

topo_pid() {
	local file
	file="$(_topo_proc_dir)/$1.pid"
	[[ -s $file ]] || return 1
	cat "$file"
}

topo_start() {
	local cgroup=0 name node dir pid
	[[ ${1:-} == --cgroup ]] && cgroup=1 && shift
	(($# >= 3)) || {
		_topo_err "usage: topo_start [--cgroup] NAME NODE CMD..."
		return 2
	}
	name=$1 node=$2
	shift 2
	topo_ns "$node" >/dev/null || return 1
	dir=$(_topo_proc_dir)
	mkdir -p "$dir" || return 1
	if pid=$(topo_pid "$name") && _topo_pid_alive "$pid"; then
		_topo_err "process $name already runs (PID $pid)"
		return 1
	fi
	(_topo_exec_here "$cgroup" "$node" "$@") </dev/null >"$dir/$name.log" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/$name.pid"
	echo "$pid"
}

# Only signal a PID that is still ours: a marked environment or one of our
# namespaces (PID files can outlive their process and PIDs get reused).
_topo_pid_is_ours() {
	local prefix=$1 pid=$2 netns ns
	grep -qsz "^XLBTEST_PREFIX=$prefix\$" "/proc/$pid/environ" && return 0
	netns=$(readlink "/proc/$pid/ns/net" 2>/dev/null) || return 1
	for ns in /run/netns/"$prefix"-*; do
		[[ -e $ns ]] || continue
		[[ $netns == "net:[$(stat -L -c %i "$ns")]" ]] && return 0
	done
	return 1
}

# Signal the PIDs, wait up to 3 s for them to go, then SIGKILL the rest.
_topo_kill() {
	local sig=$1 pid i self
	local -a pids=() left=()
	shift
	self=" $(_topo_self_pids | tr '\n' ' ') "
	for pid in "$@"; do
		[[ $self == *" $pid "* ]] && continue
		pids+=("$pid")
	done
	((${#pids[@]})) || return 0
	kill "-$sig" "${pids[@]}" 2>/dev/null
	for ((i = 0; i < 30; i++)); do
		left=()
		for pid in "${pids[@]}"; do
			_topo_pid_alive "$pid" && left+=("$pid")
		done
		((${#left[@]})) || return 0
		sleep 0.1
	done
	kill -KILL "${left[@]}" 2>/dev/null
	return 0
}

topo_stop() {
	local name=$1 sig=${2:-TERM} pid file
	file="$(_topo_proc_dir)/$name.pid"
	pid=$(topo_pid "$name") || {
		_topo_err "no process $name"
		return 1
	}
	if _topo_pid_alive "$pid" && _topo_pid_is_ours "$TOPO_PREFIX" "$pid"; then
		_topo_kill "$sig" "$pid"
	fi
	rm -f "$file"
}

# ---------------------------------------------------------------- capture

topo_pcap_start() {
	local node=${1:-lb} iface=${2:-eth0} file=${3:-} name i
	shift $(($# < 3 ? $# : 3))
	name="pcap-$node-$iface"
	file=${file:-$TOPO_RESULTS/$node-$iface.pcap}
	# Bounded in time and count even if nobody stops it.
	topo_start "$name" "$node" timeout "${TOPO_PCAP_SECONDS:-60}" \
		tcpdump -Z root -U --immediate-mode -n -i "$iface" -c "${TOPO_PCAP_COUNT:-200}" \
		-w "$file" "$@" >/dev/null || return 1
	echo "$file" >"$(_topo_proc_dir)/$name.file"
	for ((i = 0; i < 50; i++)); do
		grep -q 'listening on' "$(_topo_proc_dir)/$name.log" 2>/dev/null && {
			echo "$file"
			return 0
		}
		_topo_pid_alive "$(topo_pid "$name")" || break
		sleep 0.1
	done
	_topo_err "tcpdump on $node $iface did not start:" \
		"$(tail -n 2 "$(_topo_proc_dir)/$name.log")"
	topo_stop "$name"
	return 1
}

topo_pcap_stop() {
	local node=${1:-lb} iface=${2:-eth0} name
	name="pcap-$node-$iface"
	topo_stop "$name" TERM || return 1
	cat "$(_topo_proc_dir)/$name.file"
	rm -f "$(_topo_proc_dir)/$name.file"
}

topo_switch_stats() {
	if [[ $TOPO_SEGMENT != xdp ]]; then
		_topo_err "switch stats: segment is $TOPO_SEGMENT, not xdp"
		return 1
	fi
	_topo_nsx "$TOPO_NS_SW" "$TOPO_SWITCH_BIN" stats --pin "$TOPO_SWITCH_PIN_DIR" "$@"
}

topo_collect_evidence() {
	local dir=${1:-} node ns f cmd pcap
	local -a pids=()
	[[ -n $dir ]] || {
		_topo_err "usage: topo_collect_evidence DIR"
		return 2
	}
	mkdir -p "$dir/logs" || return 1
	# Keep the results directory of a run that needed evidence.
	touch "$TOPO_RESULTS/KEEP" 2>/dev/null
	for node in $TOPO_NODES sw; do
		ns="$TOPO_PREFIX-$node"
		{
			for cmd in "ip -d addr" "ip -d link" "ip -s link" \
				"ip route show table all" "ip -6 route show table all" \
				"ip neigh" "ethtool -k $TOPO_IFNAME" "ss -tanu" "nstat -asz" \
				"bpftool net show"; do
				echo "### $cmd"
				# shellcheck disable=SC2086 # the command is split on purpose
				timeout 5 nsenter --net="/run/netns/$ns" -- $cmd 2>&1 | head -n 300
			done
			if [[ $node == lb ]]; then
				echo "### ls -la $TOPO_PIN_DIR"
				ls -la "$TOPO_PIN_DIR" 2>&1
			elif [[ $node == sw && $TOPO_SEGMENT == bridge ]]; then
				echo "### bridge -d link"
				timeout 5 nsenter --net="/run/netns/$ns" -- bridge -d link 2>&1
				echo "### bridge fdb"
				timeout 5 nsenter --net="/run/netns/$ns" -- bridge fdb 2>&1
			elif [[ $node == sw ]]; then
				echo "### xdp-switch stats"
				topo_switch_stats 2>&1
			fi
		} >"$dir/$node.txt" 2>&1
	done
	topo_env --print >"$dir/env.txt"
	for f in "$(_topo_proc_dir)"/*.log; do
		[[ -e $f ]] && cp "$f" "$dir/logs/"
	done
	# A capture already running holds the traffic of interest: keep that.
	if topo_pid pcap-lb-eth0 >/dev/null; then
		pcap=$(topo_pcap_stop lb eth0)
		cp "$pcap" "$dir/" 2>/dev/null
		return 0
	fi
	# Otherwise a short one from the LB (and, on a bridge, from its switch
	# port, which also sees the frames the LB sends with XDP_TX).
	timeout "${TOPO_EVIDENCE_PCAP_SECONDS:-2}" nsenter --net="/run/netns/$TOPO_NS_LB" -- \
		tcpdump -Z root -U --immediate-mode -n -i "$TOPO_IFNAME" -c 200 -w "$dir/lb-eth0.pcap" \
		>/dev/null 2>&1 &
	pids+=($!)
	if [[ $TOPO_SEGMENT == bridge ]]; then
		timeout "${TOPO_EVIDENCE_PCAP_SECONDS:-2}" nsenter --net="/run/netns/$TOPO_NS_SW" -- \
			tcpdump -Z root -U --immediate-mode -n -i lb -c 200 -w "$dir/sw-lb.pcap" \
			>/dev/null 2>&1 &
		pids+=($!)
	fi
	wait "${pids[@]}" 2>/dev/null
	return 0
}

# ---------------------------------------------------------------- state

# The state directory of a prefix holds its owner ("PID STARTTIME") and env.
_topo_state_dir() { echo "$TOPO_STATE_ROOT/$1"; }

# True when the run that made PREFIX is still alive. Without a state file
# (a run killed between claim and build cannot leave one; a teardown that
# died can) only an xt<PID> name tells the owner.
_topo_owner_alive() {
	local prefix=$1 pid start owner
	owner="$(_topo_state_dir "$prefix")/owner"
	if [[ -s $owner ]]; then
		read -r pid start <"$owner"
		[[ $(_topo_starttime "$pid" 2>/dev/null) == "$start" ]]
		return
	fi
	[[ $prefix =~ ^xt([0-9]+)$ ]] && _topo_pid_alive "${BASH_REMATCH[1]}"
}

# Every prefix that has something of ours on this host.
_topo_known_prefixes() {
	local f mnt
	{
		for f in "$TOPO_STATE_ROOT"/xt*; do
			[[ -d $f ]] && basename "$f"
		done
		for f in /run/netns/xt*; do
			[[ -e $f ]] && basename "$f"
		done | sed -nE 's/^(xt[a-z0-9]+)-(cl|lb|sw|b[0-9]+)$/\1/p'
		for mnt in $(_topo_cgroup_mounts); do
			for f in "$mnt"/xlbtest/xt*; do
				[[ -d $f ]] && basename "$f"
			done
		done | sed -nE 's/^(xt[a-z0-9]+)-(cl|lb|b[0-9]+)$/\1/p'
		for f in "$TOPO_BPFFS"/xlbtest-xt*; do
			[[ -e $f ]] && basename "$f"
		done | sed -nE 's/^xlbtest-(xt[a-z0-9]+)(-sw)?$/\1/p'
		grep -saz '^XLBTEST_PREFIX=' /proc/[0-9]*/environ | tr '\0' '\n' |
			sed -nE 's/^.*:XLBTEST_PREFIX=(xt[a-z0-9]+)$/\1/p'
	} | grep -E "$TOPO_PREFIX_RE" | sort -u
}

# PIDs of processes of PREFIX: marked, in its namespaces or in its cgroups.
_topo_prefix_pids() {
	local prefix=$1 f mnt
	{
		grep -slaz "^XLBTEST_PREFIX=$prefix\$" /proc/[0-9]*/environ |
			sed -nE 's|^/proc/([0-9]+)/environ$|\1|p'
		for f in /run/netns/"$prefix"-*; do
			[[ -e $f ]] && ip netns pids "$(basename "$f")" 2>/dev/null
		done
		for mnt in $(_topo_cgroup_mounts); do
			for f in "$mnt"/xlbtest/"$prefix"-*/cgroup.procs; do
				[[ -e $f ]] && cat "$f"
			done
		done
	} | sort -un | while read -r f; do
		_topo_pid_alive "$f" && echo "$f"
	done
}

# What PREFIX still has on this host, one "kind what" line each.
_topo_leftovers() {
	local prefix=$1 f mnt pid self
	self=" $(_topo_self_pids | tr '\n' ' ') "
	f=$(_topo_state_dir "$prefix")
	[[ -d $f ]] && echo "state $f"
	for f in /run/netns/"$prefix"-*; do
		[[ -e $f ]] && echo "netns $(basename "$f")"
	done
	for mnt in $(_topo_cgroup_mounts); do
		for f in "$mnt"/xlbtest/"$prefix"-*; do
			[[ -d $f ]] && echo "cgroup $f"
		done
	done
	for f in "$TOPO_BPFFS/xlbtest-$prefix" "$TOPO_BPFFS/xlbtest-$prefix-sw"; do
		[[ -e $f ]] && echo "pindir $f"
	done
	for pid in $(_topo_prefix_pids "$prefix"); do
		[[ $self == *" $pid "* ]] && continue
		echo "process $pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-80)"
	done
	return 0
}

# Removes everything of PREFIX; best effort, every step whatever failed
# before it.
_topo_teardown() {
	local prefix=$1 state results="" f mnt i pids
	state=$(_topo_state_dir "$prefix")
	if [[ -s $state/env ]]; then
		# shellcheck disable=SC1091
		results=$(source "$state/env" && echo "${TOPO_RESULTS:-}")
	fi
	# Processes first: a namespace or cgroup with members does not go away.
	if [[ -n $results && -d $results/proc ]]; then
		pids=()
		for f in "$results"/proc/*.pid; do
			[[ -s $f ]] || continue
			i=$(cat "$f")
			_topo_pid_alive "$i" && _topo_pid_is_ours "$prefix" "$i" && pids+=("$i")
			rm -f "$f"
		done
		_topo_kill TERM "${pids[@]}"
	fi
	# shellcheck disable=SC2046
	_topo_kill TERM $(_topo_prefix_pids "$prefix")
	for f in /run/netns/"$prefix"-*; do
		[[ -e $f ]] && ip netns del "$(basename "$f")" 2>/dev/null
	done
	for mnt in $(_topo_cgroup_mounts); do
		for f in "$mnt"/xlbtest/"$prefix"-*; do
			[[ -d $f ]] || continue
			# Killed members take a moment to leave.
			for ((i = 0; i < 30; i++)); do
				rmdir "$f" 2>/dev/null && break
				# shellcheck disable=SC2046
				_topo_kill KILL $(cat "$f/cgroup.procs" 2>/dev/null)
				sleep 0.1
			done
		done
		rmdir "$mnt/xlbtest" 2>/dev/null
	done
	rm -rf "$TOPO_BPFFS/xlbtest-$prefix" "$TOPO_BPFFS/xlbtest-$prefix-sw"
	if [[ -n $results && -d $results ]]; then
		if [[ -e $results/KEEP || -n ${TOPO_KEEP_RESULTS:-} ]]; then
			rm -rf "$results/proc"/*.pid
		else
			rm -rf "$results"
		fi
	fi
	rm -rf "$state"
	return 0
}

_topo_lock() {
	mkdir -p "$TOPO_STATE_ROOT" || return 1
	exec {_TOPO_LOCK_FD}>"$TOPO_STATE_ROOT/.lock" || return 1
	flock -w 120 "$_TOPO_LOCK_FD"
}

_topo_unlock() {
	[[ -n ${_TOPO_LOCK_FD:-} ]] && exec {_TOPO_LOCK_FD}>&-
	_TOPO_LOCK_FD=
}

# Under the lock: state is claimed and stale runs removed by one at a time.
_topo_cleanup_stale_locked() {
	local prefix
	for prefix in $(_topo_known_prefixes); do
		_topo_owner_alive "$prefix" && continue
		_topo_err "removing stale topology $prefix"
		_topo_teardown "$prefix"
	done
}

# ---------------------------------------------------------------- build

_topo_sysctl() {
	local ns=$1
	shift
	_topo_nsx "$ns" sysctl -q -w "$@" >/dev/null
}

# One node: namespace, veth into the switch, MAC, offloads, addresses.
_topo_add_node() {
	local node=$1 ns="$P-$1" octet mac
	octet=$(_topo_node_octet "$node")
	mac=$(_topo_mac_of_octet "$octet")
	ip netns add "$ns"
	if ((!IPV6)); then
		# No v6 on the segment: no ND/MLD noise in captures and benchmarks.
		_topo_sysctl "$ns" net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
	fi
	ip -n "$P-sw" link add "$node" type veth peer name eth0 netns "$ns"
	ip -n "$ns" link set eth0 address "$mac"
	# NAPI on the receiving end (GRO) or frames redirected or XDP_TX'd into
	# the veth are dropped; tx checksum off or TCP crossing an XDP rewrite
	# arrives with a bad checksum. VLAN offload off, as xlbctl attach
	# advises an operator: XDP then sees 802.1Q tags as they are sent.
	_topo_nsx "$ns" ethtool -K eth0 tx off gro on rxvlan off txvlan off >/dev/null
	_topo_nsx "$P-sw" ethtool -K "$node" gro on >/dev/null
	ip -n "$ns" addr add "$TOPO_NET4.$octet/24" dev eth0
	if ((IPV6)); then
		# The v6 host part is written like the v4 octet: .11 -> ::11.
		ip -n "$ns" -6 addr add "$TOPO_NET6:$octet/64" dev eth0 nodad
		# No DAD on the link-local either: while it is tentative the
		# kernel sends no neighbour solicitation of its own accord, so a
		# resolution asked for over netlink (xlbctl) would wait ~2 s.
		_topo_sysctl "$ns" net.ipv6.conf.eth0.accept_dad=0
	fi
	# DSR replies leave with the VIP as source: no reverse path filtering.
	_topo_sysctl "$ns" net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0 \
		net.ipv4.conf.lo.rp_filter=0
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up
	ip -n "$P-sw" link set "$node" up
}

_topo_setup_client() {
	local ns="$P-cl" vip
	# Connection-heavy runs exhaust ports in TIME_WAIT otherwise.
	_topo_sysctl "$ns" net.ipv4.tcp_tw_reuse=1 \
		"net.ipv4.ip_local_port_range=1024 65535"
	for vip in "${VIPS4[@]}"; do
		ip -n "$ns" route add "$vip/32" via "$TOPO_NET4.2"
	done
	for vip in "${VIPS6[@]}"; do
		ip -n "$ns" -6 route add "$vip/128" via "$TOPO_NET6:2"
	done
}

_topo_setup_backend() {
	local node=$1 ns="$P-$1" vip
	# The VIP is local (accepts DSR traffic) but never announced: answer ARP
	# only for addresses of the incoming interface, source ARP from eth0's.
	_topo_sysctl "$ns" net.ipv4.conf.all.arp_ignore=1 \
		net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
		net.ipv4.conf.eth0.arp_announce=2
	for vip in "${VIPS4[@]}"; do
		ip -n "$ns" addr add "$vip/32" dev lo
	done
	# A v6 address on lo is not answered in ND on eth0 (tested).
	for vip in "${VIPS6[@]}"; do
		ip -n "$ns" -6 addr add "$vip/128" dev lo nodad
	done
}

_topo_setup_bridge() {
	local ns="$P-sw" node
	ip -n "$ns" link add br0 type bridge stp_state 0 forward_delay 0 \
		mcast_snooping 0
	for node in $NODES; do
		ip -n "$ns" link set "$node" master br0
		# XDP_TX from a node stalls in the peer's ring unless the
		# peer has an XDP program (tools/xdp-switch/pass.bpf.c).
		ip -n "$ns" link set dev "$node" xdpdrv \
			obj "$TOPO_PASS_OBJ" sec xdp
	done
	ip -n "$ns" link set br0 up
}

_topo_setup_xdp_switch() {
	local node ports=() mac
	for node in $NODES; do
		mac=$(_topo_mac_of_octet "$(_topo_node_octet "$node")")
		ports+=("$node=$mac")
	done
	_topo_nsx "$P-sw" "$TOPO_SWITCH_BIN" attach --pin "$TOPO_BPFFS/xlbtest-$P-sw" \
		"${ports[@]}"
}

_topo_setup_cgroups() {
	local node mnt
	_topo_cgroup_detect
	if ((_TOPO_CG_VERSION == 2)); then
		# Delegate the cpu controller down to the backends' level.
		mkdir -p "$_TOPO_CG_CPU/xlbtest"
		grep -qw cpu "$_TOPO_CG_CPU/cgroup.subtree_control" ||
			echo +cpu >"$_TOPO_CG_CPU/cgroup.subtree_control"
		grep -qw cpu "$_TOPO_CG_CPU/xlbtest/cgroup.subtree_control" ||
			echo +cpu >"$_TOPO_CG_CPU/xlbtest/cgroup.subtree_control"
	fi
	for node in $BACKEND_NODES; do
		for mnt in "$_TOPO_CG_CPU" "$_TOPO_CG_ACCT"; do
			mkdir -p "$mnt/xlbtest/$P-$node"
		done
	done
}

# NAME='VALUE': readable and safe to eval (%q only for odd values).
_topo_kv() {
	if [[ $2 == *"'"* ]]; then
		printf '%s=%q\n' "$1" "$2"
	else
		printf "%s='%s'\n" "$1" "$2"
	fi
}

_topo_mac_in() {
	ip -n "$1" -o link show eth0 | sed -nE 's/.*link\/ether ([0-9a-f:]+).*/\1/p'
}

# Writes the variables of topo_env from what the kernel reports.
_topo_write_env() {
	local node up ns octet list4="" list6="" listm="" listns="" mac
	{
		_topo_kv TOPO_PREFIX "$P"
		_topo_kv TOPO_OWNER "$OWNER"
		_topo_kv TOPO_SEGMENT "$SEGMENT"
		_topo_kv TOPO_IPV6 "$IPV6"
		_topo_kv TOPO_BACKENDS "$BACKENDS"
		_topo_kv TOPO_NODES "$NODES"
		printf 'TOPO_IFNAME=eth0\n'
		_topo_kv TOPO_SUBNET4 "$TOPO_NET4.0/24"
		_topo_kv TOPO_SUBNET6 "$( ((IPV6)) && echo "$TOPO_NET6:/64")"
		for node in $NODES sw; do
			up=${node^^}
			ns="$P-$node"
			_topo_kv "TOPO_NS_${up}" "$ns"
			[[ $node == sw ]] && continue
			octet=$(_topo_node_octet "$node")
			mac=$(_topo_mac_in "$ns")
			_topo_kv "TOPO_${up}_IP4" "$TOPO_NET4.$octet"
			_topo_kv "TOPO_${up}_IP6" "$( ((IPV6)) && echo "$TOPO_NET6:$octet")"
			_topo_kv "TOPO_${up}_MAC" "$mac"
			if [[ $node == b* ]]; then
				listns+=" $ns" list4+=" $TOPO_NET4.$octet" listm+=" $mac"
				((IPV6)) && list6+=" $TOPO_NET6:$octet"
				_topo_kv "TOPO_CGROUP_${up}" "$_TOPO_CG_CPU/xlbtest/$ns"
				_topo_kv "TOPO_CGROUP_ACCT_${up}" "$_TOPO_CG_ACCT/xlbtest/$ns"
			fi
		done
		_topo_kv TOPO_LB_IFINDEX "$(ip -n "$P-lb" -o link show eth0 | cut -d: -f1)"
		_topo_kv TOPO_NS_BACKENDS "${listns# }"
		_topo_kv TOPO_BACKEND_IP4S "${list4# }"
		_topo_kv TOPO_BACKEND_IP6S "${list6# }"
		_topo_kv TOPO_BACKEND_MACS "${listm# }"
		_topo_kv TOPO_VIP4 "${VIPS4[0]:-}"
		_topo_kv TOPO_VIPS4 "${VIPS4[*]}"
		_topo_kv TOPO_VIP6 "${VIPS6[0]:-}"
		_topo_kv TOPO_VIPS6 "${VIPS6[*]}"
		_topo_kv TOPO_PIN_DIR "$TOPO_BPFFS/xlbtest-$P"
		_topo_kv TOPO_SWITCH_PIN_DIR \
			"$( [[ $SEGMENT == xdp ]] && echo "$TOPO_BPFFS/xlbtest-$P-sw")"
		_topo_kv TOPO_CGROUP_VERSION "$_TOPO_CG_VERSION"
		_topo_kv TOPO_RESULTS "$RESULTS"
	} >"$(_topo_state_dir "$P")/env"
}

# The segment works: the client reaches every node (also warms ARP/ND).
_topo_check_reachability() {
	local node octet i ok
	for node in $NODES; do
		[[ $node == cl ]] && continue
		octet=$(_topo_node_octet "$node")
		ok=0
		for ((i = 0; i < 3; i++)); do
			_topo_nsx "$P-cl" ping -q -c 1 -W 1 "$TOPO_NET4.$octet" \
				>/dev/null 2>&1 && ok=1 && break
		done
		((ok)) || {
			_topo_err "segment check: client cannot reach $node ($TOPO_NET4.$octet)"
			return 1
		}
		((IPV6)) || continue
		ok=0
		for ((i = 0; i < 3; i++)); do
			_topo_nsx "$P-cl" ping -6 -q -c 1 -W 1 "$TOPO_NET6:$octet" \
				>/dev/null 2>&1 && ok=1 && break
		done
		((ok)) || {
			_topo_err "segment check: client cannot reach $node ($TOPO_NET6:$octet)"
			return 1
		}
	done
}

_topo_usage() {
	sed -n '/^# CLI/,/^# Library/p' "$TOPO_SCRIPT" | sed '$d; s/^# \{0,1\}//' >&2
}

_topo_cmd_up() {
	local i vip check=1
	BACKENDS=3 IPV6=0 SEGMENT=bridge P="" OWNER=$PPID RESULTS=""
	VIPS4=() VIPS6=()
	while (($#)); do
		case $1 in
		--backends) BACKENDS=${2:-} && shift ;;
		--ipv6) IPV6=1 ;;
		--segment) SEGMENT=${2:-} && shift ;;
		--prefix) P=${2:-} && shift ;;
		--owner) OWNER=${2:-} && shift ;;
		--results) RESULTS=${2:-} && shift ;;
		--vip)
			[[ ${2:-} == *:* ]] && VIPS6+=("$2") || VIPS4+=("${2:-}")
			shift
			;;
		--no-check) check=0 ;;
		*)
			_topo_err "up: unknown option '$1'"
			_topo_usage
			return 2
			;;
		esac
		shift
	done
	P=${P:-xt$OWNER}
	[[ $BACKENDS =~ ^[0-9]+$ ]] || BACKENDS=0
	((BACKENDS >= 1 && BACKENDS <= 64)) || {
		_topo_err "up: --backends must be 1..64"
		return 2
	}
	[[ $SEGMENT == bridge || $SEGMENT == xdp ]] || {
		_topo_err "up: --segment must be bridge or xdp"
		return 2
	}
	[[ $P =~ $TOPO_PREFIX_RE ]] || {
		_topo_err "up: prefix '$P' must match $TOPO_PREFIX_RE"
		return 2
	}
	_topo_pid_alive "$OWNER" || {
		_topo_err "up: owner PID $OWNER is not running"
		return 2
	}
	((${#VIPS4[@]})) || VIPS4=("$TOPO_DEFAULT_VIP4")
	((IPV6 && ${#VIPS6[@]} == 0)) && VIPS6=("$TOPO_DEFAULT_VIP6")
	((${#VIPS6[@]})) && IPV6=1
	for vip in "${VIPS4[@]}"; do
		[[ $vip =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ && $vip != "$TOPO_NET4".* ]] || {
			_topo_err "up: bad IPv4 VIP '$vip' (not on the segment $TOPO_NET4.0/24)"
			return 2
		}
	done
	((EUID == 0)) || {
		_topo_err "up: needs root"
		return 1
	}
	if [[ $SEGMENT == xdp && ! -x $TOPO_SWITCH_BIN ]]; then
		_topo_err "up: $TOPO_SWITCH_BIN missing; run make"
		return 1
	fi
	RESULTS=${RESULTS:-$TOPO_REPO/results/$P}
	NODES="cl lb" BACKEND_NODES=""
	for ((i = 1; i <= BACKENDS; i++)); do
		BACKEND_NODES+=" b$i"
	done
	BACKEND_NODES=${BACKEND_NODES# }
	NODES+=" $BACKEND_NODES"

	mountpoint -q "$TOPO_BPFFS" || "$TOPO_REPO/tools/host-setup.sh"
	# Claim the prefix and sweep stale runs under one lock, so that two runs
	# starting together never take each other for stale.
	_topo_lock
	_topo_cleanup_stale_locked
	if [[ -d $(_topo_state_dir "$P") ]] || [[ -n $(_topo_leftovers "$P") ]]; then
		_topo_unlock
		_topo_err "up: prefix $P is in use (tools/topo.sh down --prefix $P)"
		return 1
	fi
	mkdir -p "$(_topo_state_dir "$P")"
	echo "$OWNER $(_topo_starttime "$OWNER")" >"$(_topo_state_dir "$P")/owner"
	_topo_unlock

	# From here on a failure says where and tears down what was built.
	trap 'trap - ERR; set +eE; _topo_teardown "$P"' EXIT
	trap '_topo_err "up: failed: $BASH_COMMAND"' ERR
	set -eE
	mkdir -p "$RESULTS/proc"
	_topo_kv TOPO_RESULTS "$RESULTS" >"$(_topo_state_dir "$P")/env"
	ip netns add "$P-sw"
	_topo_sysctl "$P-sw" net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip -n "$P-sw" link set lo up
	for i in $NODES; do
		_topo_add_node "$i"
	done
	_topo_setup_client
	for i in $BACKEND_NODES; do
		_topo_setup_backend "$i"
	done
	if [[ $SEGMENT == bridge ]]; then
		_topo_setup_bridge
	else
		_topo_setup_xdp_switch
	fi
	_topo_setup_cgroups
	mkdir -p "$TOPO_BPFFS/xlbtest-$P"
	_topo_write_env
	((check)) && _topo_check_reachability
	set +eE
	trap - EXIT ERR
	cat "$(_topo_state_dir "$P")/env"
	_topo_err "up $P: $BACKENDS backends, $SEGMENT segment, IPv4$( ((IPV6)) && echo +IPv6)"
}

# ---------------------------------------------------------------- library

_TOPO_ENV_VARS=()

topo_env() {
	local prefix=${TOPO_PREFIX:-xt$$} print=0 file
	while (($#)); do
		case $1 in
		--prefix) prefix=$2 && shift ;;
		--print) print=1 ;;
		*)
			_topo_err "usage: topo_env [--prefix P] [--print]"
			return 2
			;;
		esac
		shift
	done
	file="$(_topo_state_dir "$prefix")/env"
	grep -qs '^TOPO_PREFIX=' "$file" || {
		_topo_err "no topology $prefix"
		return 1
	}
	if ((print)); then
		cat "$file"
		return
	fi
	# shellcheck disable=SC2207
	_TOPO_ENV_VARS=($(sed -n 's/=.*//p' "$file"))
	# shellcheck disable=SC1090
	source "$file"
}

topo_up() {
	local prefix="" prev="" arg
	for arg in "$@"; do
		[[ $prev == --prefix ]] && prefix=$arg
		prev=$arg
	done
	prefix=${prefix:-xt$$}
	bash "$TOPO_SCRIPT" up --owner "$$" "$@" >/dev/null || return 1
	topo_env --prefix "$prefix"
}

topo_down() {
	local prefix=${1:-${TOPO_PREFIX:-}}
	[[ -n $prefix ]] || return 0
	bash "$TOPO_SCRIPT" down --prefix "$prefix"
	if [[ $prefix == "${TOPO_PREFIX:-}" ]]; then
		unset "${_TOPO_ENV_VARS[@]}"
		_TOPO_ENV_VARS=()
	fi
	return 0
}

topo_cleanup_stale() { bash "$TOPO_SCRIPT" cleanup-stale; }

topo_leak_check() { bash "$TOPO_SCRIPT" leak-check "$@"; }

# ---------------------------------------------------------------- CLI

_topo_cmd_leak_check() {
	local prefixes=() prefix all=0 found=0 line
	if [[ ${1:-} == --all ]]; then
		all=1
	else
		prefixes=("$@")
	fi
	if ((${#prefixes[@]} == 0)); then
		for prefix in $(_topo_known_prefixes); do
			((all)) || ! _topo_owner_alive "$prefix" && prefixes+=("$prefix")
		done
	fi
	for prefix in "${prefixes[@]}"; do
		while read -r line; do
			[[ -n $line ]] || continue
			echo "leak $prefix: $line"
			found=1
		done < <(_topo_leftovers "$prefix")
	done
	((found == 0))
}

# Sets TOPO_PREFIX from --prefix, $TOPO_PREFIX or the caller's default.
_topo_cli_prefix() {
	if [[ ${1:-} == --prefix ]]; then
		TOPO_PREFIX=$2
		return 2
	fi
	TOPO_PREFIX=${TOPO_PREFIX:-xt$PPID}
	return 0
}

_topo_main() {
	local cmd=${1:-} shifted
	(($#)) && shift
	set -uo pipefail
	case $cmd in
	up) _topo_cmd_up "$@" ;;
	cleanup-stale)
		_topo_lock && _topo_cleanup_stale_locked
		_topo_unlock
		;;
	leak-check) _topo_cmd_leak_check "$@" ;;
	down | env | exec | start | stop | quota | evidence | switch-stats)
		_topo_cli_prefix "$@"
		shifted=$?
		shift "$shifted"
		[[ $TOPO_PREFIX =~ $TOPO_PREFIX_RE ]] || {
			_topo_err "bad prefix '$TOPO_PREFIX'"
			return 2
		}
		if [[ $cmd == down ]]; then
			_topo_teardown "$TOPO_PREFIX"
			return 0
		fi
		topo_env --prefix "$TOPO_PREFIX" || return 1
		case $cmd in
		env) topo_env --print ;;
		exec) topo_exec "$@" ;;
		start) topo_start "$@" ;;
		stop) topo_stop "$@" ;;
		quota) topo_cgroup_quota "$@" && topo_cgroup_quota_get "$1" ;;
		evidence) topo_collect_evidence "$@" ;;
		switch-stats) topo_switch_stats "$@" ;;
		esac
		;;
	-h | --help | help) _topo_usage ;;
	*)
		_topo_usage
		return 2
		;;
	esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	_topo_main "$@"
	exit
fi
