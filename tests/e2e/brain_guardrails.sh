#!/usr/bin/env bash
# Closed-loop test 6 of issue 14: three of four backends misbehave at once
# (+200 ms, +100 ms of latency, half the requests answered 503), under load,
# with agents on every backend. The brain may drain no more than
# max_ejection_percent (34%: one of four) at any moment, replayed from its
# decision log and sampled from the maps, and never the healthy one.
#
#   tests/e2e/brain_guardrails.sh [FILTER]
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/xlbd_lib.sh
. "$(dirname "$0")/xlbd_lib.sh"
# shellcheck source=tests/e2e/brain_lib.sh
. "$(dirname "$0")/brain_lib.sh"

NAME=brain_guardrails_three_of_four_misbehaving_at_most_one_drained
RATE=120

brain_case_start "$NAME"

if brain_agents_up b1=20% b2=20% b3=20% b4=20% && e2e_attach native &&
	e2e_vip_up "$vip" b1=100 b2=100 b3=100 b4=100 &&
	xlbd_start xlbd --config "$cfg"; then
	e2e_load warm http "$url" --new-conn --rate "$RATE" --duration 15
	e2e_load_bg bad http "$url" --new-conn --rate "$RATE" --duration 25
	fault_t=$(date +%s.%N)
	brain_fault b2 "latency_ms=200" && brain_fault b3 "latency_ms=100" &&
		brain_fault b4 "error_rate=0.5" || e2e_problem "the faults were not set"
	: >"$E2E_CASE_DIR/samples.txt"
	for ((i = 0; i < 40; i++)); do
		echo "$(xlbd_pair b1 health) $(xlbd_pair b2 health) $(xlbd_pair b3 health) $(xlbd_pair b4 health)" \
			>>"$E2E_CASE_DIR/samples.txt"
		sleep 0.5
	done
	wait "$E2E_BG_PID"
	for node in b2 b3 b4; do brain_fault "$node" "reset=1"; done
	e2e_check '
fault_t = float(sys.argv[1])
b1 = sys.argv[3]
lines = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
decs = sorted((l for l in lines if "backend" in l), key=lambda l: l["time"])
out, worst = set(), 0
for d in decs:
    if d["new_health"] == "draining": out.add(d["backend"])
    elif d["backend"] in out and d["new_health"] != "draining": out.discard(d["backend"])
    worst = max(worst, len(out))
    if d["backend"] == b1 and d["new_health"] == "draining":
        print("the healthy backend was drained: %s" % d["reason"])
if worst > 1: print("%d backends drained at once (34%% of 4 is 1)" % worst)
samples = [l.split() for l in open(sys.argv[4]) if l.strip()]
most = max((s.count("draining") for s in samples), default=0)
if most > 1: print("%d backends draining in one sample of the maps" % most)
if any(s and s[0] == "draining" for s in samples): print("b1 (healthy) seen draining in the maps")
drains = [d for d in decs if d["rule"] == "anomaly_drain"]
refused = [d for d in decs if d["rule"] == "guardrail"]
hot = [d for d in decs if d["rule"] == "hot" and d["time"] >= fault_t]
print("info: %d anomaly drains, %d refused by the guardrail, %d hot cuts; at most %d drained at once (log), %d (maps)"
      % (len(drains), len(refused), len(hot), worst, most))
for d in (drains + refused)[:4]: print("info: %s %s: %s" % (d["rule"], d["backend"], d["reason"][:160]))
' "$fault_t" "$(xlbd_decisions xlbd)" "$TOPO_B1_IP4" "$E2E_CASE_DIR/samples.txt"
else
	e2e_problem "setup failed (agents, attach, VIP or xlbd)"
fi
xlbd_stop xlbd
brain_agents_down
e2e_case_end "$vip"
summary
