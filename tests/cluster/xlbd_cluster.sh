#!/usr/bin/env bash
# One brain for three LB hosts through etcd (issue 12, tests 3-5): three
# etcd members in the router namespace, xlbd on every LB host with the
# cluster.* keys. One host leads (lease + campaign on <prefix>/leader) and
# publishes the brain's factor and health per pair; the others apply it.
#   leader_takeover_no_stale_revision  leader xlbd SIGKILLed: another leads
#       within the TTL + 1 s, its decisions reach every host, no host
#       applies an older revision than one it applied
#   brain_change_reaches_every_host    a backend's server killed: the
#       leader's down decision is applied on every host within 1 s, with
#       identical table digests, and xlbctl cluster status says every
#       host's digest matches the state's
#   etcd_down_keeps_forwarding         every member stopped: requests through
#       the VIP still succeed, /metrics says etcd is unreachable; restarted:
#       a leader again and every host connected
#   tests/cluster/xlbd_cluster.sh [FILTER]
set -uo pipefail
# shellcheck source=tests/cluster/cluster_lib.sh
. "$(dirname "$0")/cluster_lib.sh"

if ! command -v etcd >/dev/null; then
	skip xlbd_cluster "no etcd (make deps installs etcd-server)"
	summary
	exit 0
fi
[[ -x $BUILD/xlbd ]] || { fail xlbd_cluster "build/xlbd not built (make)"; summary; exit 1; }
cluster_test_setup xlbd_cluster --lbs 3 --backends 4
TTL=2

metric() { cluster_xlbd_metrics "$1" | awk -v m="$2" '$1 == m { print $2 }'; }
leaders() {
	local n out=
	for n in "$@"; do [[ $(metric "$n" xlbd_cluster_leader) == 1 ]] && out+="$n "; done
	echo "$out"
}
wait_for() { # SECONDS CMD...: until CMD succeeds; prints the seconds taken
	local t0 end
	t0=$(date +%s.%N)
	end=$(echo "$t0 + $1" | bc)
	shift
	while ! "$@" >/dev/null 2>&1; do
		(($(echo "$(date +%s.%N) > $end" | bc))) && return 1
		sleep 0.05
	done
	echo "$(date +%s.%N) - $t0" | bc
}
one_leader() { local l; l=$(leaders "$@"); [[ $(wc -w <<<"$l") == 1 ]]; }
# The host etcd's leader key names (xlbd campaigns with its host id).
etcd_leader() {
	cluster_exec rt env ETCDCTL_API=3 etcdctl --endpoints "$(cluster_etcd_endpoints)" \
		--command-timeout=1s get --print-value-only "/xlb/$CL_PREFIX/leader" 2>/dev/null
}
etcd_leader_among() { local l n; l=$(etcd_leader); for n in "$@"; do [[ $l == "lb$n" ]] && return 0; done; return 1; }
# Applied revisions in a host's log are never lower than an earlier one.
monotonic() { grep -o 'applied state revision [0-9]*' "$CL_RUN/xlbd-lb$1.log" |
	awk '{ if ($4 < last) bad = 1; last = $4 } END { exit bad }'; }
http_ok() { # N requests through the VIP from the client: how many answered
	local i n=0
	for ((i = 0; i < $1; i++)); do
		cluster_exec cl curl -s -o /dev/null -m 1 -w '%{http_code}' "http://$CL_VIP:$CL_PORT/" | grep -q 200 && n=$((n + 1))
	done
	echo "$n"
}
pairs_of() { # factor/health of every pair on host N
	cluster_xlbctl "$1" --json backend list |
		"$PY" -c 'import json,sys; print(sorted((p.get("backend",p.get("address")),p.get("factor"),p.get("health")) for p in json.load(sys.stdin)))'
}

cluster_route 1 2 3
cluster_etcd_start
for _ in $(seq 100); do
	cluster_exec rt curl -sf -m 1 "http://$CL_NET.1:2389/health" 2>/dev/null | grep -q true && break
	sleep 0.1
done
for n in 1 2 3; do cluster_xlbd_start "$n"; done
if ! t=$(wait_for 10 one_leader 1 2 3); then
	fail xlbd_cluster "no single leader 10 s after start: leaders '$(leaders 1 2 3)'"
	tail -5 "$CL_RUN"/xlbd-lb*.log
	summary
	exit 1
fi
echo "# one leader after ${t}s: lb$(leaders 1 2 3)"
sleep 1.5

if tcase brain_change_reaches_every_host; then
	cluster_stop srv-b4 KILL
	# every host's b4 pair down, tables identical
	all_down() { local n; for n in 1 2 3; do pairs_of "$n" | grep -q "'${CL_B_IP[4]}', [0-9.]*, 'down'" || return 1; done; }
	# the tables' digests (xlb_vip_digest) and seed, read from the maps
	same_digest() { local n r; r=$(digests 1); for n in 2 3; do [[ $(digests "$n") == "$r" ]] || return 1; done; }
	why=""
	t=$(wait_for 5 all_down) || why+="b4 not down on every host 5 s after its kill: $(for n in 1 2 3; do pairs_of $n; done); "
	# the leader's table rebuilt, the followers' applied: identical within 1 s
	td=$(wait_for 1 same_digest) || why+="table digests differ 1 s after every host had b4 down: $(for n in 1 2 3; do digests $n; pairs_of $n; done | tr '\n' ' '); "
	# xlbctl cluster status reads the same from etcd: a leader, three
	# hosts, every one's digest the state's (exit 0; 3 when one differs).
	status() { cluster_exec rt "$CL_XLBCTL" cluster status --etcd "$(cluster_etcd_endpoints)" --prefix "/xlb/$CL_PREFIX" "$@"; }
	all_match() { status --json | "$PY" -c 'import json,sys; j=json.load(sys.stdin); sys.exit(0 if j["leader"] and len(j["hosts"]) == 3 and all(h["digest_matches"] for h in j["hosts"]) else 1)'; }
	wait_for 2 all_match >/dev/null && status >/dev/null || why+="xlbctl cluster status: not every host matches the state's digest: $(status --json | tr -s ' \n' ' '); "
	status | sed 's/^/# /'
	lags=$(grep -h '[1-9][0-9]* pairs changed' "$CL_RUN"/xlbd-lb*.log | grep -o '[0-9.]* ms after' | awk '{print $1}' | sort -n)
	max=$(tail -1 <<<"$lags")
	echo "# kill -> down on every host ${t:-?}s (probe fall included), digests identical ${td:-?}s later; publication -> applied on followers: $(tr '\n' ' ' <<<"$lags")ms"
	[[ -n $max ]] || why+="no follower logged an applied change; "
	[[ -n $max ]] && (($(echo "$max > 1000" | bc))) && why+="a follower applied ${max} ms after publication (bound 1000); "
	cluster_start srv-b4 b4 "$PWD/$BUILD/xlb-backend" --name b4 --port "$CL_PORT" --threads 2 >/dev/null
	[[ -z $why ]] && pass brain_change_reaches_every_host || fail brain_change_reaches_every_host "$why"
fi

if tcase leader_takeover_no_stale_revision; then
	old=$(leaders 1 2 3)
	old=${old// /}
	rest=()
	for n in 1 2 3; do [[ $n != "$old" ]] && rest+=("$n"); done
	why=""
	t0=$(date +%s.%N)
	cluster_stop "xlbd-lb$old" KILL
	# The takeover as etcd holds it (the leader key names a survivor), then
	# as /metrics shows it (rendered once a tick, so up to a tick later).
	t=$(wait_for $((TTL + 2)) etcd_leader_among "${rest[@]}") || why+="etcd names no leader among ${rest[*]} $((TTL + 2)) s after the kill; "
	tm=$(wait_for $((TTL + 3)) one_leader "${rest[@]}") || why+="no single leader among ${rest[*]} in /metrics $((TTL + 3)) s after the kill; "
	echo "# leader lb$old SIGKILLed: $(etcd_leader) holds the leader key after ${t:-?}s, /metrics shows it ${tm:-?}s later (TTL ${TTL} s)"
	[[ -n $t ]] && (($(echo "$t > $TTL + 1" | bc))) && why+="takeover took ${t}s (bound TTL + 1 s); "
	# decisions continue: the new leader takes b3 down when it dies
	cluster_stop srv-b3 KILL
	b3_down() { local n; for n in "${rest[@]}"; do pairs_of "$n" | grep -q "'${CL_B_IP[3]}', [0-9.]*, 'down'" || return 1; done; }
	wait_for 5 b3_down >/dev/null || why+="b3 not down on ${rest[*]} after the takeover: $(for n in "${rest[@]}"; do pairs_of $n; done); "
	for n in "${rest[@]}"; do monotonic "$n" || why+="lb$n applied a revision older than one it had applied: $(grep -o 'applied state revision [0-9]*' "$CL_RUN/xlbd-lb$n.log" | awk '{print $4}' | tr '\n' ' '); "; done
	for n in "${rest[@]}"; do
		s=$(metric "$n" xlbd_cluster_stale_refused_total)
		echo "# lb$n: stale revisions refused $s, applied revision $(metric "$n" xlbd_cluster_applied_revision)"
	done
	cluster_start srv-b3 b3 "$PWD/$BUILD/xlb-backend" --name b3 --port "$CL_PORT" --threads 2 >/dev/null
	cluster_xlbd_start "$old"
	[[ -z $why ]] && pass leader_takeover_no_stale_revision || fail leader_takeover_no_stale_revision "$why"
fi

if tcase etcd_down_keeps_forwarding; then
	why=""
	sleep 1
	for m in 1 2 3; do cluster_stop "etcd-m$m" KILL; done
	cut() { local n; for n in 1 2 3; do [[ $(metric "$n" xlbd_cluster_connected) == 0 ]] || return 1; done; }
	t=$(wait_for 5 cut) || why+="/metrics still says connected 5 s after etcd stopped; "
	ok=$(http_ok 20)
	echo "# etcd stopped: every host says so after ${t:-?}s; $ok of 20 requests through the VIP answered"
	((ok == 20)) || why+="$((20 - ok)) of 20 requests failed with etcd down; "
	grep -q 'cluster: .* failed' "$CL_RUN/xlbd-lb1.log" || why+="lb1's log does not say etcd failed; "
	sleep $((TTL + 1))
	ok=$(http_ok 20)
	((ok == 20)) || why+="$((20 - ok)) of 20 requests failed after the leases ran out; "
	cluster_etcd_start
	back() { local n; for n in 1 2 3; do [[ $(metric "$n" xlbd_cluster_connected) == 1 ]] || return 1; done; one_leader 1 2 3; }
	t=$(wait_for 20 back) || why+="not every host connected with one leader 20 s after etcd restarted; "
	echo "# etcd restarted: every host connected, one leader (lb$(leaders 1 2 3)) after ${t:-?}s"
	[[ -z $why ]] && pass etcd_down_keeps_forwarding || fail etcd_down_keeps_forwarding "$why"
fi
summary
