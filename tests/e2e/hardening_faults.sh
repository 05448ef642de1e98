#!/usr/bin/env bash
# Issue 15's fault-injection run: three writers issue 1,000 random xlbctl
# operations (VIPs and backends added, removed and changed, syncs) while
# writers are SIGKILLed at random moments. After each kill, with the writers
# paused: the instance still opens, every pair reads whole (a known state,
# a weight in range), `sync --all` rebuilds whatever a kill left stale and
# then no table is stale, and the program stays attached. At the end, after
# a last kill of everything, a restart (new commands) recovers the same way.
# Seeded (FAULTS_SEED), bounded in operations and time (~60 s here).
#
#   tests/e2e/hardening_faults.sh [FILTER]
set -uo pipefail
# shellcheck source=tests/e2e/xlbctl_lib.sh
. "$(dirname "$0")/xlbctl_lib.sh"

OPS=${FAULTS_OPS:-1000}
SEED=${FAULTS_SEED:-15}
DEADLINE_S=${FAULTS_DEADLINE_S:-150}
NAME=random_writers_killed_at_random_leave_consistent_maps

tcase "$NAME" || {
	summary
	exit 0
}
xlbctl_setup "$NAME" --backends 1

TMP=$(mktemp -d /tmp/hardening-faults.XXXXXX)
XLBCTL_CLEANUPS+=("rm -rf '$TMP'")
# A copy of xlbctl: a rebuild of the shared tree mid-run must not show up as
# exit 126 (binary busy or half-written).
cp "$XLBCTL_BIN" "$TMP/xlbctl" || xlbctl_abort "$NAME" "copy $XLBCTL_BIN"
XLBCTL_BIN=$TMP/xlbctl
if ! xlbctl attach eth0 >/dev/null 2>&1; then
	xlbctl_abort "$NAME" "attach failed"
fi
PROG=$(ip -n "$TOPO_NS_LB" -d link show eth0 | grep -o 'prog/xdp id [0-9]*')
NET=${TOPO_LB_IP4%.*}

# One writer: random operations until the shared count reaches OPS, pausing
# while $TMP/pause exists (it says so in $TMP/idle.N). Exit codes other than
# the documented ones (0-4) or a SIGKILL (137) are recorded as failures.
writer() {
	local n=$1 vip be op rc
	RANDOM=$((SEED * 10 + n))
	while (($(cat "$TMP"/ops.* 2>/dev/null | wc -c) < OPS)); do
		if [[ -e $TMP/pause ]]; then
			touch "$TMP/idle.$n"
			sleep 0.02
			continue
		fi
		rm -f "$TMP/idle.$n"
		vip="$TOPO_VIP4:$((80 + RANDOM % 4))/tcp"
		be="$NET.$((20 + RANDOM % 8))"
		case $((RANDOM % 10)) in
		0) op=(vip add "$vip" --table-size 1021) ;;
		1) if ((RANDOM % 4 == 0)); then op=(vip del "$vip"); else op=(sync); fi ;;
		2 | 3) op=(backend add "$vip" "$be" --mac "02:00:00:00:00:$((10 + RANDOM % 80))" --weight $((RANDOM % 200))) ;;
		4) op=(backend del "$vip" "$be") ;;
		5 | 6) op=(backend set "$vip" "$be" --weight $((RANDOM % 10001))) ;;
		7) op=(backend set "$vip" "$be" --state "$(shuf -n1 -e active draining down --random-source=<(yes $RANDOM))") ;;
		8) op=(sync --all) ;;
		9) op=(vip add "$vip") ;;
		esac
		xlbctl --lock-timeout 20 "${op[@]}" >/dev/null 2>>"$TMP/err.$n"
		rc=$?
		printf x >>"$TMP/ops.$n"
		if ((rc > 4 && rc != 137)); then
			echo "exit $rc: ${op[*]}" >>"$TMP/bad"
		fi
	done
	touch "$TMP/idle.$n" "$TMP/done.$n"
}

# With the writers paused: the checks every kill is followed by.
maps_consistent() {
	local why st pairs
	st=$(xlbctl status --json 2>&1) || {
		echo "status failed: $st"
		return 1
	}
	pairs=$(xlbctl backend list --json 2>&1) || {
		echo "backend list failed: $pairs"
		return 1
	}
	# A whole pair: a state the data plane knows, a weight in range, a MAC.
	why=$(json '"" if isinstance(j, list) and all(p["state_value"] in (0, 1, 2) and 0 <= p["weight"] <= 10000 and p["mac"] != "00:00:00:00:00:00" for p in j) else [p for p in j if p["state_value"] not in (0, 1, 2) or p["mac"] == "00:00:00:00:00:00"]' "$pairs")
	[[ -z $why ]] || {
		echo "a pair reads half-written: ${why:0:300}"
		return 1
	}
	xlbctl --lock-timeout 20 sync --all >/dev/null 2>"$TMP/sync.err" || {
		echo "sync --all failed: $(cat "$TMP/sync.err")"
		return 1
	}
	why=$(json '"" if j["stale_tables"] == 0 else j["stale_tables"]' "$(xlbctl status --json)")
	[[ -z $why ]] || {
		echo "$why tables stale after sync --all"
		return 1
	}
	[[ $(ip -n "$TOPO_NS_LB" -d link show eth0 | grep -o 'prog/xdp id [0-9]*') == "$PROG" ]] || {
		echo "the program on eth0 changed or went away"
		return 1
	}
}

pause_writers() {
	local n
	touch "$TMP/pause"
	for n in 1 2 3; do
		while [[ ! -e $TMP/idle.$n ]]; do sleep 0.01; done
	done
}

pids=()
for n in 1 2 3; do
	writer "$n" &
	pids+=($!)
done
XLBCTL_CLEANUPS=("kill ${pids[*]}" "${XLBCTL_CLEANUPS[@]}")

RANDOM=$SEED
kills=0 checks=0 failure="" start=$SECONDS
while [[ ! -e $TMP/done.1 || ! -e $TMP/done.2 || ! -e $TMP/done.3 ]]; do
	if ((SECONDS - start > DEADLINE_S)); then
		failure="not done within $DEADLINE_S s ($(cat "$TMP"/ops.* | wc -c) operations)"
		break
	fi
	sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
	victim=$(pgrep -P "${pids[RANDOM % 3]}" -x xlbctl | head -1)
	[[ -n $victim ]] || continue
	kill -KILL "$victim" 2>/dev/null && kills=$((kills + 1))
	pause_writers
	if ! why=$(maps_consistent); then
		failure="after kill $kills: $why"
		break
	fi
	checks=$((checks + 1))
	rm -f "$TMP/pause"
done
rm -f "$TMP/pause"
for p in "${pids[@]}"; do
	kill "$p" 2>/dev/null
	pkill -KILL -P "$p" -x xlbctl 2>/dev/null
	wait "$p" 2>/dev/null
done
ops=$(cat "$TMP"/ops.* 2>/dev/null | wc -c)

# The restart: new commands on what the killed ones left.
if [[ -z $failure ]] && ! why=$(maps_consistent); then
	failure="after the restart: $why"
fi
if [[ -z $failure ]] && ! xlbctl vip add "$TOPO_VIP4:99/tcp" >/dev/null 2>&1; then
	failure="a write after the restart failed"
fi
if [[ -z $failure && -s $TMP/bad ]]; then
	failure="unexpected exit codes: $(head -3 "$TMP/bad" | tr '\n' ';')"
fi
pairs=$(json 'len(j)' "$(xlbctl backend list --json)")
echo "  $ops operations, $kills SIGKILLs, $checks checks, $pairs pairs at the end, $((SECONDS - start)) s"
if [[ -n $failure ]]; then
	fail "$NAME" "$failure"
elif ((kills < 10 || ops < OPS)); then
	fail "$NAME" "only $kills kills and $ops operations"
else
	pass "$NAME"
fi
summary
