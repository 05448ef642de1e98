#!/usr/bin/env bash
# Closed-loop test 4 of issue 14: one of four backends has its CPU quota
# ramped from 100% to 5% over 60 s (2 ms of CPU per request), and then its
# server is killed, all under open-loop load. The brain must drain it
# before the first client error: the load running through the ramp, the
# kill and 5 s after it has no failed request, and the drain comes before
# the kill. The lead time (kill - drain) is reported; the issue's target
# is >= 10 s.
#
#   tests/e2e/brain_proactive.sh [FILTER]
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/xlbd_lib.sh
. "$(dirname "$0")/xlbd_lib.sh"
# shellcheck source=tests/e2e/brain_lib.sh
. "$(dirname "$0")/brain_lib.sh"

NAME=brain_proactive_quota_ramp_drained_before_the_first_client_error
RATE=100 # 25/s a backend: 5% of a CPU at 2 ms each

brain_case_start "$NAME"

if brain_agents_up b1=100% b2=100% b3=100% b4=100% && e2e_attach native &&
	e2e_vip_up "$vip" b1=100 b2=100 b3=100 b4=100 &&
	xlbd_start xlbd --config "$cfg"; then
	for node in b1 b2 b3 b4; do brain_fault "$node" "cpu_us=2000"; done
	e2e_load warm http "$url" --new-conn --rate "$RATE" --duration 15
	e2e_load_bg ramp http "$url" --new-conn --rate "$RATE" --duration 66
	ramp_t=$(date +%s.%N)
	for pct in 92 84 76 68 60 52 44 36 28 20 12 5; do
		sleep 5
		topo_cgroup_quota b4 "$pct%" >/dev/null || e2e_problem "quota $pct% not set"
	done
	srv_pid=$(topo_pid srv-b4)
	kill_t=$(date +%s.%N)
	kill -KILL "$srv_pid"
	topo_stop srv-b4 KILL 2>/dev/null
	wait "$E2E_BG_PID"
	e2e_check '
ramp_t, kill_t, b4 = float(sys.argv[1]), float(sys.argv[2]), sys.argv[4]
ramp = report(sys.argv[3])
lines = [json.loads(l) for l in open(sys.argv[5]) if l.strip()]
mine = [l for l in lines if l.get("backend") == b4 and l["time"] >= ramp_t]
drain = [l for l in mine if l["new_health"] != "ok"]
if not drain:
    print("%s was never drained" % b4)
else:
    d = drain[0]
    lead = kill_t - d["time"]
    print("info: %s %s %.1f s into the ramp, lead time %.1f s before the kill (target >= 10 s): %s"
          % (b4, d["new_health"], d["time"] - ramp_t, lead, d["reason"][:160]))
    if d["new_health"] == "down" and d["rule"] == "probe_down" and d["time"] >= kill_t:
        print("only the probes took %s out, after the kill" % b4)
    elif lead <= 0:
        print("drained %.1f s after the kill" % -lead)
cuts = [l for l in mine if l["new_factor"] < l["old_factor"]]
if cuts: print("info: %d factor cuts during the ramp, last factor %.3f" % (len(cuts), cuts[-1]["new_factor"]))
if errors(ramp): print("client errors through the ramp and the kill: %s" % errors(ramp))
else: print("info: %d requests through the ramp and the kill, none failed" % ramp["ok"])
' "$ramp_t" "$kill_t" "$E2E_CASE_DIR/ramp.json" "$TOPO_B4_IP4" "$(xlbd_decisions xlbd)"
else
	e2e_problem "setup failed (agents, attach, VIP or xlbd)"
fi
xlbd_stop xlbd
brain_agents_down
e2e_case_end "$vip"
summary
