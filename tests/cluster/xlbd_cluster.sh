#!/usr/bin/env bash
# One brain for three LB hosts through etcd (issue 12, tests 3-5): three
# etcd members in the router namespace, xlbd on every LB host with the
# cluster.* keys. One host leads (lease + campaign on <prefix>/leader) and
# publishes the brain's factor and health per pair; the others apply it.
# Every host probes; a host's own failure is down there at once and
# reported under its host key; the leader makes it down for all when its
# own probe confirms it.
#   follower_only_failure_stays_local  one follower's probes cannot reach
#       b2 (nftables reject in its namespace): down in its own maps within
#       1 s, reported in its host key; the leader's probe reaches b2, so
#       b2 stays up in the leader's and the other follower's maps and in
#       the state; cluster status says that host's tables differ; the rule
#       removed: back to the leader's state, every digest the state's
#   leader_takeover_no_stale_revision  leader xlbd SIGKILLed: another leads
#       within the TTL + 1 s, its decisions reach every host, no host
#       applies an older revision than one it applied
#   brain_change_reaches_every_host    a backend's server killed: the
#       leader's down decision is applied on every host within 1 s, with
#       identical table digests, and xlbctl cluster status says every
#       host's digest matches the state's; the leader's decision names
#       the host that saw it first; the server back: up on every host
#       through the leader's slow start
#   cluster_keys_change_on_sighup      lb1's cluster.prefix changed and
#       SIGHUP: it leaves (its host key gone at once: lease revoked) and
#       leads a cluster of its own under the new prefix; changed back: it
#       rejoins, three hosts on the state's revision
#   config_from_etcd_reaches_every_host  xlbctl config apply FILE --etcd
#       (b1's weight 50, b4 removed; then b4 back): every host reports the
#       config's revision in its host key with identical table digests
#       within 1 s, its maps hold the file's pairs and weights
#   new_host_builds_its_config_from_etcd  lb1's VIP deleted and its xlbd
#       restarted (a new host: attached, nothing configured): every VIP
#       and backend from the key, its digest the state's
#   bad_config_refused_last_kept       a bad file: xlbctl refuses it (exit
#       1, nothing put); the same text put raw with curl: every host
#       refuses it (log, /metrics, host key), its maps as before, on the
#       last good revision; a valid empty config cut by a NUL byte is
#       refused too (parsed up to the NUL it would remove every VIP)
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
etcd_revision() {
	cluster_exec rt env ETCDCTL_API=3 etcdctl --endpoints "$(cluster_etcd_endpoints)" \
		--command-timeout=1s get -w json "/xlb/$CL_PREFIX/leader" 2>/dev/null |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["header"]["revision"])'
}
# Every applied revision each host reported under its key since etcd
# revision REV ("lb2 14 16 16 21"), from etcd's history of the keys.
reported_revisions() {
	cluster_exec rt timeout 2 env ETCDCTL_API=3 etcdctl --endpoints "$(cluster_etcd_endpoints)" \
		watch --rev="$1" --prefix "/xlb/$CL_PREFIX/hosts/" 2>/dev/null |
		"$PY" -c 'import json,sys
seen = {}
for line in sys.stdin:
    if line.startswith("{"):
        h = json.loads(line)
        seen.setdefault(h["host"], []).append(h["applied_revision"])
for host in sorted(seen):
    print(host, *seen[host])'
}
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
health_of() { # N IP: the health of IP's pair on host N
	cluster_xlbctl "$1" --json backend list |
		"$PY" -c 'import json,sys; print(" ".join(p["health"] for p in json.load(sys.stdin) if p.get("backend",p.get("address")) == sys.argv[1]))' "$2"
}
factor_of() { # N IP
	cluster_xlbctl "$1" --json backend list |
		"$PY" -c 'import json,sys; print(" ".join(str(p["factor"]) for p in json.load(sys.stdin) if p.get("backend",p.get("address")) == sys.argv[1]))' "$2"
}
status() { cluster_exec rt "$CL_XLBCTL" cluster status --etcd "$(cluster_etcd_endpoints)" --prefix "/xlb/$CL_PREFIX" "$@"; }
# whether every host's digest is the state's; with N, whether all but lbN's are
# and lbN's is not
all_match() {
	{ status --json || :; } | "$PY" -c 'import json,sys
j = json.load(sys.stdin)
odd = "lb" + sys.argv[1] if len(sys.argv) > 1 else None
ok = j["leader"] and len(j["hosts"]) == 3 and all(h["digest_matches"] == (h["host"] != odd) for h in j["hosts"])
sys.exit(0 if ok else 1)' "$@"
}
# every host reports the state's revision as applied (the leader: published)
all_applied() {
	{ status --json || :; } | "$PY" -c 'import json,sys
j = json.load(sys.stdin)
sys.exit(0 if j["leader"] and len(j["hosts"]) == 3 and all(h["applied_revision"] == j["state_revision"] and h["digest_matches"] for h in j["hosts"]) else 1)'
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

if tcase follower_only_failure_stays_local; then
	why=""
	L=$(leaders 1 2 3)
	L=${L// /}
	others=()
	for n in 1 2 3; do [[ $n != "$L" ]] && others+=("$n"); done
	F=${others[0]} O=${others[1]}
	B=${CL_B_IP[2]}
	KEY="$CL_VIP:$CL_PORT/tcp $B"
	# lbF's own connections to b2 are refused (XDP_TX'd client frames
	# never pass netfilter): only its probes lose b2
	t0=$(date +%s.%N)
	cluster_exec "lb$F" nft add table inet xlbtest
	CLUSTER_CLEANUPS+=("cluster_exec lb$F nft delete table inet xlbtest")
	cluster_exec "lb$F" nft add chain inet xlbtest out '{ type filter hook output priority 0; }'
	cluster_exec "lb$F" nft add rule inet xlbtest out ip daddr "$B" tcp dport "$CL_PORT" reject with tcp reset
	f_is() { [[ $(health_of "$F" "$B") == "$1" ]]; }
	t=$(wait_for 1 f_is down) || why+="b2 not down in lb$F's maps 1 s after its probes lost it ($(health_of "$F" "$B")); "
	# the decision as the follower logged it, from the rule's insertion
	dl=$(grep -h "\"backend\":\"$B\"" "$CL_RUN/xlbd-lb$F/decisions.jsonl" | grep '"new_health":"down"' | tail -1)
	td=$(json "'%.3f' % (j['time'] - $t0)" "$dl" 2>/dev/null)
	sleep 1.5 # the leader had time to confirm, were it to
	for n in "$L" "$O"; do
		[[ $(health_of "$n" "$B") == ok ]] || why+="lb$n has b2 $(health_of "$n" "$B") though only lb$F's probes fail; "
	done
	st=$(status --json)
	status | sed 's/^/# /'
	json "[h for h in j['hosts'] if h['host'] == 'lb$F'][0]['down']['$KEY']['since']" "$st" >/dev/null 2>&1 || why+="lb$F's host key does not report b2 down: $(tr -s ' \n' ' ' <<<"$st"); "
	all_match "$F" || why+="cluster status does not single out lb$F's tables: $(tr -s ' \n' ' ' <<<"$st"); "
	grep -q "cluster: $KEY reported down by another host; this host's probe reaches it: not confirmed" "$CL_RUN/xlbd-lb$L.log" || why+="the leader lb$L did not log the unconfirmed report; "
	[[ $(metric "$L" xlbd_cluster_confirmed_total) == 0 ]] || why+="the leader confirmed a report; "
	[[ $(health_of "$F" "$B") == down ]] || why+="lb$F brought b2 back while its probes fail; "
	cluster_exec "lb$F" nft delete table inet xlbtest
	tb=$(wait_for 3 f_is ok) || why+="b2 not back on lb$F 3 s after its probes reached it again; "
	wait_for 2 all_match >/dev/null || why+="digests differ after lb$F's probes recovered: $(status --json | tr -s ' \n' ' '); "
	echo "# lb$F's probes lost b2: down in its maps after ${t:-?}s (decision ${td:-?}s), lb$L (leader) and lb$O kept it up; reachable again: back on lb$F after ${tb:-?}s"
	[[ -z $why ]] && pass follower_only_failure_stays_local || fail follower_only_failure_stays_local "$why"
fi

if tcase brain_change_reaches_every_host; then
	declare -A before
	for n in 1 2 3; do before[$n]=$(wc -l <"$CL_RUN/xlbd-lb$n.log"); done
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
	wait_for 2 all_match >/dev/null && status >/dev/null || why+="xlbctl cluster status: not every host matches the state's digest: $(status --json | tr -s ' \n' ' '); "
	status | sed 's/^/# /'
	# every host's probes see the kill too (their own down comes first),
	# so the followers' applications after it count, changed or not
	lags=$(for n in 1 2 3; do tail -n +$((before[$n] + 1)) "$CL_RUN/xlbd-lb$n.log"; done |
		grep 'applied state revision' | grep -o '[0-9.]* ms after' | awk '{print $1}' | sort -n)
	max=$(tail -1 <<<"$lags")
	echo "# kill -> down on every host ${t:-?}s (probe fall included), digests identical ${td:-?}s later; publication -> applied on followers: $(tr '\n' ' ' <<<"$lags")ms"
	[[ -n $max ]] || why+="no follower logged an applied change; "
	[[ -n $max ]] && (($(echo "$max > 1000" | bc))) && why+="a follower applied ${max} ms after publication (bound 1000); "
	[[ -n $t ]] && (($(echo "$t > 1" | bc))) && why+="b4 down on every host only ${t}s after its kill (bound 1 s); "
	# the leader's down decision says which host saw it first
	L=$(leaders 1 2 3)
	L=${L// /}
	dl=$(grep -h "\"backend\":\"${CL_B_IP[4]}\"" "$CL_RUN/xlbd-lb$L/decisions.jsonl" | grep '"new_health":"down"' | grep '"applied":true' | tail -1)
	first=$(grep -o 'first seen down by lb[0-9]' <<<"$dl" | grep -o 'lb[0-9]')
	echo "# the leader lb$L's decision: $(json "j['reason']" "$dl" 2>/dev/null)"
	[[ $first == lb[123] ]] || why+="the leader's down decision names no first host: $dl; "
	cluster_start srv-b4 b4 "$PWD/$BUILD/xlb-backend" --name b4 --port "$CL_PORT" --threads 2 >/dev/null
	# back through the leader's slow start: every host up, below full
	# weight at first
	all_up() { local n; for n in 1 2 3; do [[ $(health_of "$n" "${CL_B_IP[4]}") == ok ]] || return 1; done; }
	tu=$(wait_for 5 all_up) || why+="b4 not up on every host 5 s after its restart: $(for n in 1 2 3; do pairs_of $n; done); "
	f=$(for n in 1 2 3; do factor_of "$n" "${CL_B_IP[4]}"; done | tr '\n' ' ')
	echo "# b4 restarted: up on every host after ${tu:-?}s, factors $f"
	for x in $f; do (($(echo "$x < 1" | bc))) || why+="b4 back at factor $x, not through slow start; "; done
	grep -q "\"backend\":\"${CL_B_IP[4]}\".*\"rule\":\"probe_up\".*\"applied\":true" "$CL_RUN/xlbd-lb$L/decisions.jsonl" || why+="the leader lb$L logged no applied probe_up of b4; "
	[[ -z $why ]] && pass brain_change_reaches_every_host || fail brain_change_reaches_every_host "$why"
fi

if tcase leader_takeover_no_stale_revision; then
	old=$(leaders 1 2 3)
	old=${old// /}
	rest=()
	for n in 1 2 3; do [[ $n != "$old" ]] && rest+=("$n"); done
	why=""
	t0=$(date +%s.%N)
	rev0=$(etcd_revision)
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
	# what the survivors reported through the takeover never goes back
	# (a new leader once said 0, or its previous term's revision, until
	# its first publication)
	revs=$(reported_revisions "$rev0")
	for n in "${rest[@]}"; do
		r=$(grep "^lb$n " <<<"$revs")
		echo "# lb$n reported applied revisions: ${r#"lb$n "}"
		[[ -n $r ]] || why+="no report of lb$n in etcd's history since revision $rev0; "
		awk '{ for (i = 3; i <= NF; i++) if ($i < $(i - 1)) bad = 1 } END { exit bad }' <<<"$r" ||
			why+="lb$n's reported applied revision went back: ${r#"lb$n "}; "
	done
	for n in "${rest[@]}"; do
		s=$(metric "$n" xlbd_cluster_stale_refused_total)
		echo "# lb$n: stale revisions refused $s, applied revision $(metric "$n" xlbd_cluster_applied_revision)"
	done
	cluster_start srv-b3 b3 "$PWD/$BUILD/xlb-backend" --name b3 --port "$CL_PORT" --threads 2 >/dev/null
	cluster_xlbd_start "$old"
	ta=$(wait_for 5 all_applied) || why+="not every host applied the state's revision 5 s after the old leader's restart: $(status --json | tr -s ' \n' ' '); "
	echo "# lb$old restarted: every host reports the state's revision after ${ta:-?}s"
	status | sed 's/^/# /'
	[[ -z $why ]] && pass leader_takeover_no_stale_revision || fail leader_takeover_no_stale_revision "$why"
fi

if tcase cluster_keys_change_on_sighup; then
	why=""
	conf=$CL_RUN/xlbd-lb1.conf
	getp() { cluster_exec rt env ETCDCTL_API=3 etcdctl --endpoints "$(cluster_etcd_endpoints)" \
		--command-timeout=1s get --print-value-only "$1" 2>/dev/null; }
	sed -i "s|\"/xlb/$CL_PREFIX\"|\"/xlb/$CL_PREFIX-2\"|" "$conf"
	kill -HUP "$(cat "$CL_RUN/xlbd-lb1.pid")"
	old_key_gone() { [[ -z $(getp "/xlb/$CL_PREFIX/hosts/lb1") ]]; }
	new_leader() { [[ $(getp "/xlb/$CL_PREFIX-2/leader") == lb1 ]]; }
	gone=$(wait_for 2 old_key_gone) || why+="lb1's host key still under the old prefix 2 s after the SIGHUP; "
	led=$(wait_for 5 new_leader) || why+="lb1 does not lead under the new prefix 5 s after the SIGHUP; "
	wait_for 5 one_leader 2 3 >/dev/null || why+="no single leader among lb2, lb3 after lb1 left; "
	grep -q 'cluster: the cluster keys changed on reload: leaving (lease revoked), joining with the new ones' "$CL_RUN/xlbd-lb1.log" || why+="lb1's log does not say it left and joined; "
	echo "# lb1's prefix changed, SIGHUP: its old host key gone after ${gone:-?}s, leads under the new prefix after ${led:-?}s"
	sed -i "s|\"/xlb/$CL_PREFIX-2\"|\"/xlb/$CL_PREFIX\"|" "$conf"
	kill -HUP "$(cat "$CL_RUN/xlbd-lb1.pid")"
	back=$(wait_for 5 all_applied) || why+="lb1 not back with every host on the state's revision 5 s after the second SIGHUP: $(status --json | tr -s ' \n' ' '); "
	echo "# changed back, SIGHUP: three hosts on the state's revision after ${back:-?}s"
	[[ -z $why ]] && pass cluster_keys_change_on_sighup || fail cluster_keys_change_on_sighup "$why"
fi

# The cluster's VIP and backends as a config file; b1's weight, which
# backends (default all) and b1's weight value as given.
config_file() { # FILE B1_WEIGHT BACKEND_NUMBERS...
	local file=$1 w=$2 i sep=""
	shift 2
	{
		echo "{ \"vips\": [ { \"vip\": \"$CL_VIP:$CL_PORT/tcp\", \"backends\": ["
		for i in "$@"; do
			echo "$sep { \"address\": \"${CL_B_IP[i]}\", \"mac\": \"${CL_B_MAC[i]}\", \"weight\": $( ((i == 1)) && echo "$w" || echo 100) }"
			sep=","
		done
		echo "] } ] }"
	} >"$file"
}
# every host on config revision $1 (its host key), every digest the state's
on_config() {
	{ status --json || :; } | "$PY" -c 'import json,sys
j = json.load(sys.stdin)
rev = int(sys.argv[1])
sys.exit(0 if j["leader"] and j["config_revision"] == rev and len(j["hosts"]) == 3 and all(h.get("config_revision") == rev and h["digest_matches"] for h in j["hosts"]) else 1)' "$1"
}
maps_digests_equal() { local n r; r=$(digests 1); for n in 2 3; do [[ $(digests "$n") == "$r" ]] || return 1; done; }
# "ADDR:WEIGHT ..." of every pair on host N (base weights, the operator's)
weights_of() {
	cluster_xlbctl "$1" --json backend list |
		"$PY" -c 'import json,sys; print(" ".join("%s:%d" % (p["address"], p["base_weight"]) for p in sorted(json.load(sys.stdin), key=lambda p: p["address"])))'
}
etcd_put_raw() { # KEY FILE: a put through the gateway, as any client may
	cluster_exec rt curl -sf -m 2 "http://$CL_NET.1:2389/v3/kv/put" \
		-d "{\"key\":\"$(printf %s "$1" | base64 -w0)\",\"value\":\"$(base64 -w0 <"$2")\"}"
}
config_rev_of() { json 'j["config_revision"]' "$(status --json)"; }
CONFIG_KEY=/xlb/$CL_PREFIX/config

if tcase config_from_etcd_reaches_every_host; then
	why=""
	f1=$CL_RUN/services-1.json f2=$CL_RUN/services-2.json
	config_file "$f1" 50 1 2 3
	config_file "$f2" 50 1 2 3 4
	want1="${CL_B_IP[1]}:50 ${CL_B_IP[2]}:100 ${CL_B_IP[3]}:100"
	# shellcheck disable=SC2034 # read as ${!want}
	want2="$want1 ${CL_B_IP[4]}:100"
	for step in 1 2; do
		f=$CL_RUN/services-$step.json want=want$step
		t0=$(date +%s.%N)
		put=$(cluster_exec rt "$CL_XLBCTL" config apply "$f" --etcd "$(cluster_etcd_endpoints)" --prefix "/xlb/$CL_PREFIX") ||
			why+="xlbctl config apply --etcd (step $step) failed: $put; "
		rev=$(grep -o 'at revision [0-9]*' <<<"$put" | grep -o '[0-9]*$')
		t=$(wait_for 1 on_config "$rev") || why+="step $step: not every host on config revision ${rev:-?} with the state's digest 1 s after the put: $(status --json | tr -s ' \n' ' '); "
		td=$(wait_for 1 maps_digests_equal) || why+="step $step: table digests differ: $(for n in 1 2 3; do digests $n; done | tr '\n' ' '); "
		for n in 1 2 3; do
			[[ $(weights_of "$n") == "${!want}" ]] || why+="step $step: lb$n holds $(weights_of "$n"), not ${!want}; "
		done
		echo "# config step $step (${put//$'\n'/; }): every host on revision $rev after ${t:-?}s, map digests equal ${td:-?}s later (from $t0)"
		[[ -n $t ]] && (($(echo "$t > 1" | bc))) && why+="step $step took ${t}s (bound 1 s); "
	done
	status | sed 's/^/# /'
	grep -h 'cluster: applied state revision .*not here' "$CL_RUN"/xlbd-lb*.log | tail -2 | sed 's/^/# /'
	[[ -z $why ]] && pass config_from_etcd_reaches_every_host || fail config_from_etcd_reaches_every_host "$why"
fi

if tcase new_host_builds_its_config_from_etcd; then
	why=""
	if [[ $(config_rev_of) == 0 ]]; then # run alone: the key first
		config_file "$CL_RUN/services-2.json" 50 1 2 3 4
		cluster_exec rt "$CL_XLBCTL" config apply "$CL_RUN/services-2.json" --etcd "$(cluster_etcd_endpoints)" --prefix "/xlb/$CL_PREFIX" >/dev/null
	fi
	# lb1 as a new host: attached, no VIP, its xlbd started
	cluster_stop xlbd-lb1 TERM
	cluster_xlbctl 1 vip del "$CL_VIP:$CL_PORT/tcp" >/dev/null || why+="vip del on lb1 failed; "
	[[ -z $(weights_of 1) ]] || why+="lb1 still has pairs: $(weights_of 1); "
	cluster_xlbd_start 1
	rev=$(config_rev_of)
	built() { [[ -n $(weights_of 1) && $(weights_of 1) == "$(weights_of 2)" ]] && on_config "$rev"; }
	t=$(wait_for 5 built) || why+="lb1 not rebuilt from config revision $rev 5 s after its xlbd started: $(weights_of 1); "
	echo "# lb1 emptied, its xlbd started: every VIP and backend from etcd's config after ${t:-?}s ($(weights_of 1)), its digest the state's"
	[[ -z $why ]] && pass new_host_builds_its_config_from_etcd || fail new_host_builds_its_config_from_etcd "$why"
fi

if tcase bad_config_refused_last_kept; then
	why=""
	bad=$CL_RUN/services-bad.json
	[[ -f $CL_RUN/services-2.json ]] || config_file "$CL_RUN/services-2.json" 50 1 2 3 4
	# valid JSON, a weight the checker refuses: the same text both ways
	config_file "$bad" 20000 1 2 3 4
	before_rev=$(config_rev_of)
	declare -A wbefore
	for n in 1 2 3; do wbefore[$n]=$(weights_of "$n"); done
	err=$(cluster_exec rt "$CL_XLBCTL" config apply "$bad" --etcd "$(cluster_etcd_endpoints)" --prefix "/xlb/$CL_PREFIX" 2>&1)
	rc=$?
	echo "# xlbctl: rc $rc: $err"
	((rc == 1)) || why+="xlbctl config apply of a bad file: rc $rc, not 1; "
	[[ $err == *"weight: 20000 is out of range"* ]] || why+="xlbctl's message does not name the bad value: $err; "
	[[ $(config_rev_of) == "$before_rev" ]] || why+="the config key changed (revision $(config_rev_of), was $before_rev) after a refused file; "
	etcd_put_raw "$CONFIG_KEY" "$bad" >/dev/null || why+="raw put through the gateway failed; "
	refused_all() { local n; for n in 1 2 3; do grep -q "cluster: config revision [0-9]* refused: vips\[0\].backends\[0\].weight: 20000" "$CL_RUN/xlbd-lb$n.log" || return 1; done; }
	t=$(wait_for 2 refused_all) || why+="not every host logged the bad document refused: $(grep -h 'config revision' "$CL_RUN"/xlbd-lb*.log | tail -3 | tr '\n' ' '); "
	sleep 1.1 # /metrics is rendered once a tick
	for n in 1 2 3; do
		[[ $(metric "$n" xlbd_cluster_config_ok) == 0 ]] || why+="lb$n's /metrics says config_ok $(metric "$n" xlbd_cluster_config_ok); "
		[[ $(metric "$n" xlbd_cluster_config_revision) == "$before_rev" ]] || why+="lb$n's config revision is $(metric "$n" xlbd_cluster_config_revision), not the last good $before_rev; "
		[[ $(weights_of "$n") == "${wbefore[$n]}" ]] || why+="lb$n's pairs changed: $(weights_of "$n"); "
	done
	# the brain goes on (slow start moves factors): the tables agree
	wait_for 1 maps_digests_equal >/dev/null || why+="table digests differ across hosts: $(for n in 1 2 3; do digests $n; done | tr '\n' ' '); "
	st=$(status --json)
	[[ $(json 'sorted(h["host"] for h in j["hosts"] if "refused" in h.get("config_error", "")) == ["lb1", "lb2", "lb3"]' "$st") == True ]] ||
		why+="not every host key says the config was refused: $(tr -s ' \n' ' ' <<<"$st"); "
	status >/dev/null
	rc=$?
	((rc == 3)) || why+="cluster status exits $rc, not 3, while the hosts are not on etcd's config; "
	status | sed 's/^/# /'
	echo "# bad document put raw: refused by every host after ${t:-?}s, config revision $before_rev kept"
	# a valid empty config cut short by a NUL: were the text parsed up to
	# it, every VIP would go
	printf '{ "vips": [] }\0 garbage' >"$bad"
	etcd_put_raw "$CONFIG_KEY" "$bad" >/dev/null || why+="raw put of the NUL document failed; "
	nul_refused() { local n; for n in 1 2 3; do grep -q "cluster: config revision [0-9]* refused: it holds a NUL byte" "$CL_RUN/xlbd-lb$n.log" || return 1; done; }
	wait_for 2 nul_refused >/dev/null || why+="not every host refused the document with a NUL byte; "
	for n in 1 2 3; do
		[[ $(weights_of "$n") == "${wbefore[$n]}" ]] || why+="lb$n's pairs changed after the NUL document: $(weights_of "$n"); "
	done
	# the good one again: every host back on it
	put=$(cluster_exec rt "$CL_XLBCTL" config apply "$CL_RUN/services-2.json" --etcd "$(cluster_etcd_endpoints)" --prefix "/xlb/$CL_PREFIX")
	rev=$(grep -o 'at revision [0-9]*' <<<"$put" | grep -o '[0-9]*$')
	wait_for 1 on_config "$rev" >/dev/null || why+="not every host back on config revision ${rev:-?} 1 s after a good put; "
	[[ -z $why ]] && pass bad_config_refused_last_kept || fail bad_config_refused_last_kept "$why"
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
	ta=$(wait_for 5 all_applied) || why+="not every host applied the state's revision 5 s after: $(status --json | tr -s ' \n' ' '); "
	status | sed 's/^/# /'
	[[ -z $why ]] && pass etcd_down_keeps_forwarding || fail etcd_down_keeps_forwarding "$why"
fi
summary
