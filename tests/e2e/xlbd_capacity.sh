#!/usr/bin/env bash
# Predictive capacity (issue 9): two active backends and two in operator
# state standby, each with a 5% CPU quota (20 ms CFS period, so that a
# throttled request waits at most 19 ms) and 1 ms of CPU per request. A
# quota this small binds before a busy host's CPU contention does, so that
# the agents' CPU-of-quota is the utilisation. The actives' capacity is
# measured first, in this run, as the brain measures it: the CPU their
# cgroups use idle (4 s) and per answered request (8 s at a light rate);
# what the quota leaves beyond the idle load over the cost per request
# (about 30 requests/s each). Then: a 5 s spike to 90% of it
# (shorter than brain.capacity_ticks) activates nothing; a ramp from 20%
# to 90% activates a standby backend before the p99 exceeds twice its
# baseline (the larger p99 of the two 20% segments); when the load falls
# back to 20%, the backend drains and returns to standby. The operator's
# backends are never written; the scale hook runs (argv, no shell) with
# the VIP and the counts; /metrics has the plan.
#
#   tests/e2e/xlbd_capacity.sh [FILTER]
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/xlbd_lib.sh
. "$(dirname "$0")/xlbd_lib.sh"
# shellcheck source=tests/e2e/brain_lib.sh
. "$(dirname "$0")/brain_lib.sh"

NAME=xlbd_capacity_standby_activated_on_a_ramp_returned_after_it
PROBE_RATE=14 # the measuring segment's (about 20%)
QUOTA=0.05    # of a CPU, each backend
STEP_S=7      # per ramp step, 7 steps

e2e_want "$NAME" || {
	summary
	exit 0
}
brain_need_agent "$NAME"
xlbd_need
e2e_setup --backends 4
e2e_case_begin "$NAME"
vip="$TOPO_VIP4:$E2E_HTTP_PORT/tcp"
url="http://$TOPO_VIP4:$E2E_HTTP_PORT/"
cfg="$E2E_CASE_DIR/xlbd.conf"
segs="$E2E_CASE_DIR/segments.txt"
cap_ts="$E2E_CASE_DIR/capacity-metrics.txt"
hook_out="$E2E_CASE_DIR/hook.txt"
: >"$segs"
# A shorter dwell than the default 60 s keeps the test under 2.5 min.
xlbd_config "$cfg" "{ \"log\": { \"format\": \"json\" },
  \"brain\": { \"capacity_dwell_s\": 30 },
  \"capacity\": { \"hook_timeout_s\": 5, \"hook\": [ \"$E2E_PY\", \"-c\",
    \"import sys; open(sys.argv[1], 'a').write(' '.join(sys.argv[2:]) + '\\\\n')\",
    \"$hook_out\", \"{vip}\", \"{current}\", \"{desired}\" ] } }"

# seg NAME RATE SECONDS: one load segment, its wall times in $segs.
seg() {
	local t0
	t0=$(date +%s.%N)
	e2e_load "$1" http "$url" --new-conn --rate "$2" --duration "$3"
	echo "$1 $2 $t0 $(date +%s.%N)" >>"$segs"
}

# 5% of a CPU in 20 ms periods (a quota is 1 ms at least).
short_periods() {
	local node
	for node in "$@"; do
		topo_cgroup_quota "$node" 5% 20000 >/dev/null || return 1
	done
}

if brain_agents_up b1=10% b2=10% b3=10% b4=10% && e2e_attach native &&
	e2e_vip_up "$vip" b1=100 b2=100 b3=100 b4=100 &&
	e2e_backend_set "$vip" b3 --state standby &&
	e2e_backend_set "$vip" b4 --state standby &&
	short_periods b1 b2 b3 b4 &&
	xlbd_start xlbd --config "$cfg"; then
	# The plan every second, for the evidence (bounded: 240 samples).
	(
		for ((k = 0; k < 240; k++)); do
			echo "$(date +%s.%N) $(xlbd_metrics 2>/dev/null | grep '^xlbd_vip_capacity' | awk '{ printf "%s ", $2 }')"
			sleep 1
		done
	) >"$cap_ts" &
	poll_pid=$!
	# The actives' capacity: idle CPU, then CPU per request, of their cgroups.
	ui=$(($(topo_cgroup_cpu_usec b1) + $(topo_cgroup_cpu_usec b2)))
	sleep 4
	u0=$(($(topo_cgroup_cpu_usec b1) + $(topo_cgroup_cpu_usec b2)))
	e2e_load measure http "$url" --new-conn --rate "$PROBE_RATE" --duration 8
	u1=$(($(topo_cgroup_cpu_usec b1) + $(topo_cgroup_cpu_usec b2)))
	read -r CAP LOW HIGH RAMP < <("$E2E_PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
ok, el = r["ok"], r["elapsed_s"]
idle = int(sys.argv[4]) / 1e6 / 4  # CPU-s per s, both
cost = (int(sys.argv[2]) / 1e6 - idle * el) / ok if ok else 0
cap = (2 * float(sys.argv[3]) - idle) / cost if cost > 0 else 0
lo, hi = round(0.2 * cap), round(0.9 * cap)
print("%.1f %d %d %s" % (cap, lo, hi, ",".join(str(round(lo + (hi - lo) * k / 6)) for k in range(7))))
' "$E2E_CASE_DIR/measure.json" "$((u1 - u0))" "$QUOTA" "$((u0 - ui))")
	e2e_note "capacity of the two actives measured: $CAP requests/s; ramp ${RAMP//,/ } (20% -> 90%)"
	if ! [[ ${LOW:-0} -ge 4 && ${HIGH:-0} -le 200 ]]; then
		e2e_problem "measured capacity $CAP requests/s is out of 20..220 (cgroup CPU accounting?)"
		LOW=14 HIGH=60 RAMP="14,22,29,37,45,52,60"
	fi
	seg base "$LOW" 15
	seg spike "$HIGH" 5
	seg calm "$LOW" 12
	for rate in ${RAMP//,/ }; do
		seg "ramp$rate" "$rate" "$STEP_S"
	done
	seg hold "$HIGH" 8
	fell_t=$(date +%s.%N)
	# Low load until one activated backend is back in standby (90 s at
	# most): the last activated goes first, each next a dwell later.
	e2e_load_bg low http "$url" --new-conn --rate "$LOW" --duration 90
	low_pid=$E2E_BG_PID
	activated=
	for ((i = 0; i < 90; i++)); do
		sleep 1
		activated=$("$E2E_PY" -c '
import json, sys
ups = [l for l in map(json.loads, filter(str.strip, open(sys.argv[1]))) if l.get("rule") == "capacity_up"]
print(" ".join(sorted(set(u["backend"] for u in ups))))' "$(xlbd_decisions xlbd)" 2>/dev/null)
		[[ -z $activated ]] && break
		back=
		for be in $activated; do
			node=
			[[ $be == "$TOPO_B3_IP4" ]] && node=b3
			[[ $be == "$TOPO_B4_IP4" ]] && node=b4
			[[ -n $node && $(xlbd_pair "$node" op_state) == standby ]] && back=1
		done
		[[ -n $back ]] && break
	done
	back_t=$(date +%s.%N)
	metrics=$(xlbd_metrics)
	e2e_load_bg_interrupt "$low_pid"
	wait "$low_pid"
	kill "$poll_pid" 2>/dev/null
	wait "$poll_pid" 2>/dev/null
	states=$(xlbctl --json backend list)
	e2e_check '
import os
segs = [l.split() for l in open(sys.argv[1]) if l.strip()]
segs = [(n, int(r), float(a), float(b)) for n, r, a, b in segs]
dec = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
fell_t, back_t = float(sys.argv[3]), float(sys.argv[4])
case = sys.argv[5]
states = json.loads(sys.argv[6])
st = {p["address"]: p for p in states}
actives = sys.argv[7].split()
hook = [l.split() for l in open(sys.argv[8])] if os.path.exists(sys.argv[8]) else []
metrics = sys.argv[9]
vip = sys.argv[10]
p99 = {n: report(os.path.join(case, n + ".json"))["latency_ms"]["p99"] for n, _, _, _ in segs}
when = {n: (a, b) for n, _, a, b in segs}
# the baseline: the larger p99 of the two segments at 20% (before and after
# the spike): the p99 of one 15 s segment moves by a third from run to run
base = max(p99["base"], p99["calm"])
print("info: p99 by segment (ms): " + ", ".join("%s %.1f" % (n, p99[n]) for n, _, _, _ in segs))
cap = [d for d in dec if d["rule"] in ("capacity_up", "capacity_down")]
for d in cap:
    print("info: %.1f s %s %s %s -> %s, predicted %.2f: %s" % (d["time"] - when["base"][0], d["rule"],
          d["backend"], d.get("old_op_state"), d.get("new_op_state"), d["predicted_util"] or -1, d["reason"][:200]))
# the spike, and the calm after it, activate nothing
s0, s1 = when["spike"][0], when["calm"][1]
early = [d for d in cap if d["time"] < s1]
if early: print("the 5 s spike activated %s" % [d["backend"] for d in early])
ups = [d for d in cap if d["rule"] == "capacity_up"]
if not ups:
    print("no standby activated on the ramp")
else:
    up = ups[0]
    t = up["time"]
    ramp = [n for n, _, _, _ in segs if n.startswith("ramp") or n == "hold"]
    at = [n for n in ramp if when[n][0] <= t] or ["calm"]
    first = [n for n in ramp][0]
    print("info: activated %.1f s into the ramp (during %s), p99 baseline %.1f ms" % (t - when[first][0], at[-1], base))
    over = [n for n in ramp if p99[n] > 2 * base]
    if over and when[over[0]][1] <= t:
        print("p99 %.1f ms in %s (twice the baseline %.1f ms) before the activation" % (p99[over[0]], over[0], base))
    elif over:
        print("info: first segment over twice the baseline: %s (%.1f ms), ended after the activation" % (over[0], p99[over[0]]))
    for k in ("predicted_util",):
        if not (up[k] and up[k] > 0.75): print("activation with predicted_util %s" % up[k])
    if "forecast" not in up["reason"] or "error" not in up["reason"]:
        print("activation reason lacks the forecast and its error: %s" % up["reason"])
    # the last activated returns first; each other one a dwell later
    back = [d["backend"] for d in cap if d["rule"] == "capacity_down" and d.get("new_op_state") == "standby"]
    be = back[0] if back else ups[-1]["backend"]
    down = [d for d in cap if d["rule"] == "capacity_down" and d["backend"] == be]
    drained = [d for d in down if d.get("new_op_state") == "draining"]
    standby = [d for d in down if d.get("new_op_state") == "standby"]
    if not drained or not standby:
        print("no activated backend returned to standby within %.0f s of the load falling (%s: %s)" % (back_t - fell_t, be, [d.get("new_op_state") for d in down]))
    else:
        print("info: %s draining %.1f s and standby %.1f s after the load fell" % (be, drained[0]["time"] - fell_t, standby[0]["time"] - fell_t))
        if drained[0]["time"] < fell_t: print("%s drained before the load fell" % be)
    if st.get(be, {}).get("op_state") != "standby":
        print("%s is %s at the end, not standby" % (be, st.get(be, {}).get("op_state")))
    for u in ups:
        if st.get(u["backend"], {}).get("op_state") not in ("standby", "active", "draining"):
            print("activated %s is %s at the end" % (u["backend"], st.get(u["backend"], {}).get("op_state")))
# the operator-active backends were never written
for a in actives:
    w = [d for d in dec if d["backend"] == a and d.get("new_op_state")]
    if w: print("operator-active %s had its state written: %s" % (a, w[0]["reason"]))
    if st.get(a, {}).get("op_state") != "active": print("%s is %s" % (a, st.get(a, {}).get("op_state")))
# the hook: the VIP, the current and the desired counts
if ups:
    if not hook: print("the scale hook never ran")
    else:
        print("info: hook runs: %s" % [" ".join(h) for h in hook])
        bad = [h for h in hook if len(h) != 3 or h[0] != vip]
        if bad: print("hook run %s: want %s CURRENT DESIRED" % (bad[0], vip))
        if not [h for h in hook if len(h) == 3 and int(h[2]) > int(h[1])]:
            print("no hook run asked for more backends: %s" % hook)
for m in ("xlbd_vip_capacity_predicted_utilisation", "xlbd_vip_capacity_desired_backends",
          "xlbd_vip_capacity_active_backends", "xlbd_vip_capacity_standby_backends"):
    got = [l for l in metrics.splitlines() if l.startswith(m + "{")]
    if not got: print("/metrics has no %s" % m)
    else: print("info: " + got[0])
' "$segs" "$(xlbd_decisions xlbd)" "$fell_t" "$back_t" "$E2E_CASE_DIR" "$states" \
		"$TOPO_B1_IP4 $TOPO_B2_IP4" "$hook_out" "$metrics" "$vip"
	grep -h 'capacity hook' "$TOPO_RESULTS/proc/xlbd.log" | head -n 4 |
		while IFS= read -r line; do e2e_note "${line:0:200}"; done
else
	e2e_problem "setup failed (agents, attach, VIP, standby or xlbd)"
fi
xlbd_stop xlbd
brain_agents_down
e2e_case_end "$vip"
summary
