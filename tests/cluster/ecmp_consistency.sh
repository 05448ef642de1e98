#!/usr/bin/env bash
# Scale-out consistency: three LB hosts with the same configuration and
# --hash-seed behind a router's L4 ECMP route, four DSR backends. New flows
# spread over every LB host; the tables are identical (digests, seed); when
# an LB host leaves the ECMP group (route withdrawn) or joins it, the
# established connections it carried move to other hosts mid-flow and keep
# their backend (no reset: the backend holds the TCP state). Prints the share
# of established connections broken per event (expected 0).
#
#   tests/cluster/ecmp_consistency.sh [FILTER]
set -uo pipefail
# shellcheck source=tests/cluster/cluster_lib.sh
. "$(dirname "$0")/cluster_lib.sh"

cluster_test_setup ecmp_consistency --lbs 3 --backends 4
N=96

if tcase tables_identical_on_every_host; then
	ref=$(digests 1)
	why=""
	for n in 2 3; do
		[[ $(digests "$n") == "$ref" ]] || why+="lb$n differs from lb1 ($(digests "$n" | tr '\n' ' ') vs $(echo "$ref" | tr '\n' ' ')); "
	done
	[[ $ref == *"$((CL_SEED))"* ]] || why+="lb1's seed is not $CL_SEED ($ref); "
	[[ -z $why ]] && pass tables_identical_on_every_host ||
		fail tables_identical_on_every_host "$why"
fi

declare -A before
snap() { local n; for n in 1 2 3; do before[$n]=$(lb_counters "$n"); done; }
# Forwarded packets and non-SYN misses of host N since snap.
delta() {
	local a b
	read -r a b <<<"$(lb_counters "$1")"
	set -- ${before[$1]}
	echo "$((a - $1)) $((b - $2))"
}

# Compares a round's backends with the first round's: "broken changed".
compare() {
	"$PY" - "$1" "$2" <<'PYEOF'
import json, sys
ref, now = json.loads(sys.argv[1]), json.loads(sys.argv[2])
broken = sum(1 for e in now["errors"] if e)
changed = sum(1 for a, b in zip(ref["backends"], now["backends"]) if b and a != b)
print(broken, changed)
PYEOF
}

snap
conns_open "$N"
opened=$OPENED
r0=$(conns_round)
if [[ $(json 'j["opened"]' "$opened") != "$N" || -z $r0 ]] ||
	[[ $(json 'sum(1 for b in j["backends"] if b)' "$r0") != "$N" ]]; then
	fail flows_spread_over_every_host "opening $N connections: $opened / $r0"
	summary
	exit 1
fi

if tcase flows_spread_over_every_host; then
	why=""
	for n in 1 2 3; do
		read -r fwd _ <<<"$(delta "$n")"
		echo "# lb$n forwarded $fwd packets of the $N connections' first round"
		((fwd > 0)) || why+="lb$n forwarded nothing; "
	done
	spread=$(json '" ".join("%s:%d" % (b, j["backends"].count(b)) for b in sorted(set(j["backends"])))' "$r0")
	echo "# backends of the $N connections: $spread"
	[[ $(json 'len(set(j["backends"]))' "$r0") == "$CL_BACKENDS" ]] ||
		why+="not every backend took connections ($spread); "
	[[ -z $why ]] && pass flows_spread_over_every_host ||
		fail flows_spread_over_every_host "$why"
fi

# event NAME FRESH HOSTS...: the hosts in FRESH ("1 2" or "") get a new xlb
# instance (a replaced host: same config and seed, empty connection table),
# then the route over HOSTS, one round: nothing broken, no connection
# changed backend; the hosts outside HOSTS forward nothing.
event() {
	local name=$1 fresh=$2 r why="" moved=0 n fwd miss broken changed
	shift 2
	for n in $fresh; do
		cluster_xlbctl "$n" detach --all >/dev/null &&
			cluster_xlb_up "$n" 2>/dev/null || why+="recreating xlb on lb$n failed; "
		[[ $(digests "$n") == "$(digests 2)" || $n == 2 ]] ||
			why+="the new instance on lb$n has other tables than lb2; "
	done
	cluster_route "$@"
	snap
	r=$(conns_round)
	if [[ -z $r ]]; then
		fail "$name" "the client gave no answer"
		return
	fi
	read -r broken changed <<<"$(compare "$r0" "$r")"
	for n in 1 2 3; do
		read -r fwd miss <<<"$(delta "$n")"
		moved=$((moved + miss))
		if [[ " $* " != *" $n "* ]] && ((fwd > 0)); then
			why+="lb$n is out of the route but forwarded $fwd packets; "
		fi
	done
	echo "# $name: route over lb{$(echo "$@" | tr ' ' ,)}, $moved mid-flow arrivals at a new host, broken $broken/$N, changed backend $changed/$N"
	((broken == 0 && changed == 0)) ||
		why+="broken $broken, changed backend $changed of $N: $(json '[e for e in j["errors"] if e][:3]' "$r"); "
	((moved > 0)) || why+="no connection moved host (non-SYN misses 0): nothing proven; "
	[[ -z $why ]] && pass "$name" || fail "$name" "$why"
}

# Each event changes the ECMP group; hash-threshold next-hop selection moves
# flows between the remaining hosts too. A host that joins is a new one
# (fresh instance), else its old connection entries would hide the move.
tcase host_leaves_established_connections_keep_backend &&
	event host_leaves_established_connections_keep_backend "" 2 3
tcase new_host_joins_established_connections_keep_backend &&
	event new_host_joins_established_connections_keep_backend 1 1 2 3
tcase two_hosts_leave_established_connections_keep_backend &&
	event two_hosts_leave_established_connections_keep_backend "" 3
tcase new_hosts_join_established_connections_keep_backend &&
	event new_hosts_join_established_connections_keep_backend "1 2" 1 2 3

# The control: a host built with another seed hashes the same flows to other
# backends, which answer the moved connections with a reset. Shows that the
# checks above can fail.
if tcase other_seed_breaks_established_connections; then
	cluster_xlbctl 1 detach --all >/dev/null
	saved=$CL_SEED CL_SEED=0x1234abcd
	cluster_xlb_up 1
	CL_SEED=$saved
	cluster_route 1
	r=$(conns_round)
	read -r broken changed <<<"$(compare "$r0" "${r:-"{}"}")"
	echo "# other_seed: route over lb1 built with seed 0x1234abcd, broken $broken/$N"
	((broken > 0)) && pass other_seed_breaks_established_connections ||
		fail other_seed_breaks_established_connections "no connection broke ($r)"
fi

{ echo quit >&"${CONN[1]}"; } 2>/dev/null
summary
