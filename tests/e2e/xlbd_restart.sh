#!/usr/bin/env bash
# Closed-loop test 7 of issue 14: xlbd SIGKILLed under load. The data
# plane goes on alone (0 client errors); the restarted daemon adopts the
# maps and its saved state in under 1 s, with no change in any pair's
# weight, factor or health at adoption (a backend down before the kill
# stays down), its first decisions start from what the maps hold and move
# no more than max_step; the operator's draining survives both.
#
#   tests/e2e/xlbd_restart.sh [FILTER]
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/xlbd_lib.sh
. "$(dirname "$0")/xlbd_lib.sh"

NAME=xlbd_sigkill_under_load_no_errors_restart_adopts_state_without_jump
ADOPT_BOUND_S=1.0

e2e_want "$NAME" || {
	summary
	exit 0
}
xlbd_need
e2e_setup --backends 4
e2e_case_begin "$NAME"
vip="$TOPO_VIP4:$E2E_HTTP_PORT/tcp"
url="http://$TOPO_VIP4:$E2E_HTTP_PORT/"
cfg="$E2E_CASE_DIR/xlbd.conf"
xlbd_config "$cfg" '{ "scrape": { "enabled": false } }'
pairs() { xlbctl --json backend list >"$E2E_CASE_DIR/$1.json" 2>&1; }
if e2e_attach native && e2e_vip_up "$vip" b1=100 b2=100 b3=100 b4=100 &&
	e2e_backend_set "$vip" b2 --state draining &&
	xlbd_start xlbd --config "$cfg"; then
	# b4's server gone: xlbd sets it down, and it must stay down.
	topo_stop srv-b4 KILL 2>/dev/null
	xlbd_wait_pair b4 health down 3 || e2e_problem "b4 not down 3 s after its kill"
	sleep 3 # a few ticks: the brain's state is saved every 5
	e2e_load_bg load http "$url" --new-conn --rate 200 --duration 5
	sleep 1
	xlbd_stop xlbd KILL
	pairs killed
	sleep 1
	t0=$(date +%s%N)
	xlbd_start xlbd2 --config "$cfg" --state-dir "$E2E_CASE_DIR/xlbd-state"
	t1=$(date +%s%N)
	# Adopted, before its first tick (a period after the start line).
	pairs after
	sleep 3
	pairs later
	wait "$E2E_BG_PID"
	xlbd_log xlbd2 >"$E2E_CASE_DIR/xlbd2.log"
	e2e_check '
load = report(sys.argv[1])
killed, after, later = (json.load(open(p)) for p in sys.argv[2:5])
adopt_s, bound = float(sys.argv[5]), float(sys.argv[6])
log = open(sys.argv[7]).read()
if load["errors"]["total"]: print("client errors across the kill: %s" % errors(load))
print("info: %d of %d connections ok across the SIGKILL and restart" % (load["ok"], load["scheduled"]))
print("info: the restarted xlbd adopted the maps in %.0f ms (polled every 50 ms)" % (adopt_s * 1e3))
if adopt_s > bound: print("adoption took %.2f s, bound %.1f s" % (adopt_s, bound))
if "adopted the brain state" not in log: print("the restart did not adopt the saved brain state")
key = lambda p: p["address"]
for a, b in zip(sorted(killed, key=key), sorted(after, key=key)):
    for f in ("weight", "state", "factor", "health", "op_state", "base_weight"):
        if a[f] != b[f]:
            print("adopting %s: %s %s -> %s" % (a["address"], f, a[f], b[f]))
# Its first ticks move factors no faster than the bound (max_step 0.25).
first = {p["address"]: p["factor"] for p in killed}
n = len(first)
for l in (json.loads(x) for x in open(sys.argv[10]) if x.strip()):
    if l["time"] < float(sys.argv[11]) or l["backend"] not in first: continue
    if l["rule"] in ("probe_down", "probe_up"): continue
    old = first.pop(l["backend"])
    if abs(l["old_factor"] - old) > 1e-9:
        print("the restarted brain started %s from factor %g, the maps held %g" % (l["backend"], l["old_factor"], old))
    if old and abs(l["new_factor"] / old - 1) > 0.25 + 1e-3 and l["new_health"] == l["old_health"]:
        print("weight jump after the restart: %s factor %g -> %g (%s)" % (l["backend"], old, l["new_factor"], l["rule"]))
print("info: %d pairs: the first decision after the restart starts from the factors the maps held, within max_step" % (n - len(first)))
b2 = [p for p in later if p["address"] == sys.argv[8]]
if not b2 or b2[0]["op_state"] != "draining" or b2[0]["state"] != "draining":
    print("the operator drain of b2 did not survive: %s" % b2)
b4 = [p for p in later if p["address"] == sys.argv[9]]
if not b4 or b4[0]["health"] != "down": print("b4 came back up over the restart: %s" % b4)
' "$E2E_CASE_DIR/load.json" "$E2E_CASE_DIR/killed.json" \
		"$E2E_CASE_DIR/after.json" "$E2E_CASE_DIR/later.json" \
		"$(awk "BEGIN { print ($t1 - $t0) / 1e9 }")" "$ADOPT_BOUND_S" \
		"$E2E_CASE_DIR/xlbd2.log" "$TOPO_B2_IP4" "$TOPO_B4_IP4" \
		"$(xlbd_decisions xlbd)" "$(awk "BEGIN { printf \"%.3f\", $t0 / 1e9 }")"
fi
xlbd_stop xlbd2
e2e_case_end "$vip"
summary
