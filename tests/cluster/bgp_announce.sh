#!/usr/bin/env bash
# Route announcement with BIRD 2: a router and three LB hosts each run BIRD
# (BGP with BFD, configs from tools/cluster/cluster.sh); on every LB host
# tools/cluster/xlb-announce enables the VIP's static protocol only while
# xlb's attached program forwards a VIP packet (BPF_PROG_TEST_RUN). The
# router's ECMP route follows: all hosts announced; a host withdrawn on
# detach, when no backend is active, on a clean stop of the helper; a host
# whose BIRD and helper are SIGKILLed and a host whose link is cut are
# withdrawn by the router (BFD: 3 x 50 ms), with the time measured; the
# established connections they carried continue through another host.
# xlbd_manages_announce: xlbd on lb3 with announce.* keys starts the
# helper itself (route announced), starts it again when it is SIGKILLed,
# says so in /metrics, restarts it with a key changed by SIGHUP, and
# withdraws the route when xlbd stops.
#
#   tests/cluster/bgp_announce.sh [FILTER]
set -uo pipefail
# shellcheck source=tests/cluster/cluster_lib.sh
. "$(dirname "$0")/cluster_lib.sh"

if ! command -v bird >/dev/null || ! command -v birdc >/dev/null; then
	skip bgp_announce "BIRD 2 is not installed (make deps installs bird2)"
	summary
	exit 0
fi
cluster_test_setup bgp_announce --lbs 3 --backends 4
cluster_route # no static route: only what BGP brings
N=48
VIPS="$CL_VIP:$CL_PORT/tcp"

start_announce() {
	cluster_start "ann-lb$1" "lb$1" "$PWD/tools/cluster/xlb-announce" --dev eth0 \
		--vip "$VIPS" --birdc-socket "$CL_RUN/bird-lb$1.ctl" \
		--pin-path "${CL_PIN[$1]}" --interval-ms 100 >/dev/null
}

# wait_hosts "1 2 3" TIMEOUT_S [T0_NS]: until the router's route is over
# exactly those hosts; prints the milliseconds since T0 (default now), fails
# on timeout.
wait_hosts() {
	local want=$1 timeout_ms=$(($2 * 1000)) t0=${3:-$(date +%s%N)} now
	while :; do
		now=$(date +%s%N)
		[[ $(cluster_route_hosts) == "$want" ]] && {
			echo $(((now - t0) / 1000000))
			return 0
		}
		(((now - t0) / 1000000 > timeout_ms)) && return 1
		sleep 0.01
	done
}

cluster_bird_start rt || {
	fail bgp_announce "BIRD did not start on the router: $(cat "$CL_RUN/bird-rt.log" 2>/dev/null)"
	summary
	exit 1
}
for n in 1 2 3; do
	cluster_bird_start "lb$n" || fail bgp_announce "BIRD did not start on lb$n"
done
for ((i = 0; i < 50; i++)); do
	ok=1
	for n in 1 2 3; do cluster_birdc "lb$n" show status >/dev/null 2>&1 || ok=0; done
	((ok)) && break
	sleep 0.1
done
for n in 1 2 3; do start_announce "$n"; done

if ms=$(wait_hosts "1 2 3" 30); then
	echo "# all three hosts in the router's ECMP route ${ms} ms after the helpers started"
	pass vip_announced_by_every_attached_host
else
	fail vip_announced_by_every_attached_host "route: $(ip -n "$CL_PREFIX-rt" route show "$CL_VIP/32" | tr '\n' ' '); $(cluster_birdc rt show protocols | tr '\n' ' ')"
	summary
	exit 1
fi

if tcase bfd_session_per_host; then
	for ((i = 0; i < 50; i++)); do
		up=$(cluster_birdc rt show bfd sessions | grep -c ' Up ')
		((up == 3)) && break
		sleep 0.1
	done
	((up == 3)) && pass bfd_session_per_host ||
		fail bfd_session_per_host "$up of 3 BFD sessions up: $(cluster_birdc rt show bfd sessions | tr '\n' ' ')"
fi

declare -A before
snap() { local n; for n in 1 2 3; do before[$n]=$(lb_counters "$n"); done; }
fwd_since() {
	local a
	read -r a _ <<<"$(lb_counters "$1")"
	# shellcheck disable=SC2086 # two numbers, split on purpose
	set -- ${before[$1]}
	echo $((a - $1))
}

snap
conns_open "$N"
r0=$(conns_round)
if tcase flows_spread_over_bgp_route; then
	why=""
	[[ $(json 'sum(1 for b in j["backends"] if b)' "${r0:-"{\"backends\":[]}"}") == "$N" ]] ||
		why+="not every connection answered: $r0; "
	for n in 1 2 3; do
		f=$(fwd_since "$n")
		((f > 0)) || why+="lb$n forwarded nothing; "
	done
	[[ -z $why ]] && pass flows_spread_over_bgp_route || fail flows_spread_over_bgp_route "$why"
fi

# withdraw_case NAME HOSTS_AFTER BREAK_CMD RESTORE_CMD
withdraw_case() {
	local name=$1 after=$2 breaker=$3 restorer=$4 ms t0
	tcase "$name" || return 0
	t0=$(date +%s%N)
	eval "$breaker"
	if ms=$(wait_hosts "$after" 10 "$t0"); then
		echo "# $name: withdrawn in ${ms} ms (helper interval 100 ms)"
		pass "$name"
	else
		fail "$name" "route still over $(cluster_route_hosts), not $after; helpers: $(tail -qn 2 "$CL_RUN"/ann-lb*.log | tr '\n' ' ')"
	fi
	eval "$restorer"
	if ms=$(wait_hosts "1 2 3" 30); then
		echo "# $name: announced again ${ms} ms after the restore"
	else
		fail "$name" "not announced again after the restore: route over $(cluster_route_hosts)"
	fi
}

withdraw_case withdrawn_on_detach "1 2" \
	'cluster_xlbctl 3 detach --all >/dev/null' 'cluster_xlb_up 3'
all_down='for b in ${CL_B_IP[*]}; do cluster_xlbctl 2 backend set "$VIPS" "$b" --state down >/dev/null; done'
all_up='for b in ${CL_B_IP[*]}; do cluster_xlbctl 2 backend set "$VIPS" "$b" --state active >/dev/null; done'
withdraw_case withdrawn_when_no_backend_is_active "1 3" "$all_down" "$all_up"
withdraw_case withdrawn_on_clean_stop "1 3" \
	'cluster_stop ann-lb2 TERM; cp "$CL_RUN/ann-lb2.log" "$CL_RUN/ann-lb2.stopped"' \
	'start_announce 2'
if tcase withdrawn_on_clean_stop; then
	grep -q "disabled xlb_vips .*: stopping" "$CL_RUN/ann-lb2.stopped" &&
		pass withdrawn_on_clean_stop_logged ||
		fail withdrawn_on_clean_stop_logged "no 'disabled ... stopping' line: $(tail -3 "$CL_RUN/ann-lb2.stopped")"
fi

# Abrupt failures, with BFD: the route must go well within BGP's 3 s hold
# time. Bound 2 s (generous for a loaded CI machine; measured in the log).
abrupt_case() {
	local name=$1 after=$2 breaker=$3 ms t0
	tcase "$name" || return 0
	t0=$(date +%s%N)
	eval "$breaker"
	if ms=$(wait_hosts "$after" 10 "$t0"); then
		echo "# $name: router withdrew the host in ${ms} ms"
		if ((ms < 2000)); then
			pass "$name"
		else
			fail "$name" "withdrawn in $ms ms, not within 2000 ms (BFD should take ~150 ms)"
		fi
	else
		fail "$name" "route still over $(cluster_route_hosts), not $after, after 10 s"
	fi
}
# SIGKILL of every process on lb1 (its helper and BIRD; the XDP program is
# kernel state and stays): the router sees the BGP socket close and BFD stop.
abrupt_case killed_host_withdrawn_fast "2 3" \
	'kill -KILL "$(cluster_pid ann-lb1)" "$(cluster_pid bird-lb1)"'
abrupt_case link_cut_host_withdrawn_by_bfd "3" \
	'ip -n "$CL_PREFIX-sw" link set lb2 down'

if tcase established_connections_survive_host_failures; then
	r=$(conns_round)
	broken=$(json 'sum(1 for e in j["errors"] if e)' "${r:-"{\"errors\":[1]}"}")
	changed=$("$PY" -c 'import json,sys; a,b=json.loads(sys.argv[1]),json.loads(sys.argv[2]); print(sum(1 for x,y in zip(a["backends"],b["backends"]) if y and x!=y))' "$r0" "$r")
	echo "# after lb1 killed and lb2's link cut: broken $broken/$N, changed backend $changed/$N"
	((broken == 0 && changed == 0)) && pass established_connections_survive_host_failures ||
		fail established_connections_survive_host_failures "broken $broken, changed $changed of $N"
fi

# Bad input: a clear message, non-zero exit, BIRD left as it was (lb3's
# helper still announces).
if tcase announce_refuses_bad_input; then
	why=""
	sock="$CL_RUN/bird-lb3.ctl"
	for args in "" "--bogus" "--dev eth0 --vip $CL_VIP:80 --birdc-socket $sock" \
		"--dev eth0 --vip $VIPS --birdc-socket $sock --interval-ms 5" \
		"--dev eth0 --vip $VIPS --birdc-socket $sock --protocol no_such" \
		"--dev eth0 --vip $VIPS --birdc-socket $CL_RUN/none.ctl"; do
		# shellcheck disable=SC2086 # the arguments of one case
		err=$(cluster_exec lb3 tools/cluster/xlb-announce $args 2>&1 >/dev/null)
		rc=$?
		((rc != 0)) && [[ $err == "xlb-announce: "* ]] ||
			why+="'$args': rc $rc, '$err'; "
	done
	[[ $(cluster_route_hosts) == "3" ]] || why+="route changed to $(cluster_route_hosts); "
	[[ -z $why ]] && pass announce_refuses_bad_input || fail announce_refuses_bad_input "$why"
fi

# xlbd runs the helper (announce.* keys): lb3's own helper stopped first.
if tcase xlbd_manages_announce; then
	why=""
	route_has() { [[ " $(cluster_route_hosts) " == *" $1 "* ]]; }
	# until CMD fails or succeeds (want 1/0), at most MS; prints the ms taken
	wait_ms() {
		local want=$1 ms=$2 t0 now
		shift 2
		t0=$(date +%s%N)
		while :; do
			now=$(date +%s%N)
			if "$@"; then ((want)) && break; else ((want)) || break; fi
			(((now - t0) / 1000000 > ms)) && return 1
			sleep 0.02
		done
		echo $(((now - t0) / 1000000))
	}
	announcer() { pgrep -P "$(cluster_pid xlbd-lb3)" -f xlb-announce | head -1; }
	metric3() { cluster_xlbd_metrics 3 | awk -v m="$1" '$1 == m { print $2 }'; }
	cluster_stop ann-lb3 TERM
	wait_ms 0 3000 route_has 3 >/dev/null || why+="lb3 still announced after its helper stopped; "
	conf=$CL_RUN/xlbd-lb3.conf
	cat >"$conf" <<EOF2
{ "scrape": { "enabled": false }, "store": { "enabled": false },
  "announce": { "vip": "$VIPS", "dev": "eth0", "birdc_socket": "$CL_RUN/bird-lb3.ctl",
                "interval_ms": 100, "path": "$PWD/tools/cluster/xlb-announce" } }
EOF2
	cluster_xlbd_start 3 "$conf"
	t=$(wait_ms 1 10000 route_has 3) || why+="xlbd's helper did not announce lb3 10 s after xlbd started: $(tail -3 "$CL_RUN/xlbd-lb3.log" | tr '\n' ' '); "
	old=$(announcer)
	echo "# xlbd on lb3 started its helper (pid ${old:-?}): announced after ${t:-?} ms"
	if [[ -n $old ]]; then
		kill -KILL "$old"
		gone_back() { local p; p=$(announcer); [[ -n $p && $p != "$old" ]]; }
		tr=$(wait_ms 1 3000 gone_back) || why+="the helper was not started again 3 s after its SIGKILL; "
		new=$(announcer)
		echo "# helper $old SIGKILLed: xlbd started it again (pid ${new:-?}) after ${tr:-?} ms"
		grep -q "announce: the helper .* was killed by signal 9; starting it again" "$CL_RUN/xlbd-lb3.log" ||
			why+="xlbd's log does not say the helper was killed and restarted; "
		restarted() { [[ $(metric3 xlbd_announce_restarts_total) == 1 && $(metric3 xlbd_announce_running) == 1 ]]; }
		wait_ms 1 2500 restarted >/dev/null || why+="/metrics: running $(metric3 xlbd_announce_running), restarts $(metric3 xlbd_announce_restarts_total) (want 1, 1); "
		[[ $(metric3 xlbd_announce_announced) == 1 ]] || why+="/metrics: announced $(metric3 xlbd_announce_announced), not 1; "
		route_has 3 || why+="lb3 withdrawn while its helper restarted; "
	else
		why+="no xlb-announce child of xlbd; "
	fi
	# a SIGHUP with a changed key: the helper restarted with it
	sed -i 's/"interval_ms": 100/"interval_ms": 150/' "$conf"
	before=$(announcer)
	kill -HUP "$(cluster_pid xlbd-lb3)"
	with_new_keys() { local p; p=$(announcer); [[ -n $p && $p != "$before" ]] && tr '\0' ' ' <"/proc/$p/cmdline" | grep -q -- '--interval-ms 150'; }
	th=$(wait_ms 1 3000 with_new_keys) || why+="no helper with --interval-ms 150 3 s after the SIGHUP; "
	echo "# announce.interval_ms changed, SIGHUP: helper $(announcer) with the new interval after ${th:-?} ms"
	route_has 3 || why+="lb3 withdrawn after the SIGHUP restart; "
	new=$(announcer)
	cluster_stop xlbd-lb3 TERM # returns once xlbd has exited
	ts=$(wait_ms 0 3000 route_has 3) || why+="lb3 still announced 3 s after xlbd stopped; "
	echo "# xlbd stopped (SIGTERM): route withdrawn ${ts:-?} ms after it exited"
	[[ -n ${new:-} ]] && kill -0 "$new" 2>/dev/null && why+="the helper $new outlived xlbd; "
	grep -q "announce: .*disabled xlb_vips .*: stopping" "$CL_RUN/xlbd-lb3.log" || why+="xlbd's log has no withdrawal by the helper: $(tail -3 "$CL_RUN/xlbd-lb3.log" | tr '\n' ' '); "
	[[ -z $why ]] && pass xlbd_manages_announce || fail xlbd_manages_announce "$why"
fi

{ echo quit >&"${CONN[1]}"; } 2>/dev/null
summary
