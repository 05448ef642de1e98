#!/usr/bin/env bash
# Closed-loop test 5 of issue 14: three backends whose CPU quotas are
# 1:1:3 (10%, 10%, 30%; 1 ms of CPU per request), under open-loop load that
# equal weights overload on the small ones. First with static equal weights
# (no xlbd), then with xlbd: within 30 s the effective weights must be
# within 15% of the capacity ratio, and the p99 at least 40% lower than the
# static run's, both measured in this test.
#
#   tests/e2e/brain_unequal_capacity.sh [FILTER]
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/xlbd_lib.sh
. "$(dirname "$0")/xlbd_lib.sh"
# shellcheck source=tests/e2e/brain_lib.sh
. "$(dirname "$0")/brain_lib.sh"

NAME=brain_unequal_capacity_weights_follow_quota_and_p99_drops_40pct
RATE=260 # small ones: 100/s at 100%; equal weights give them ~87/s

e2e_want "$NAME" || {
	summary
	exit 0
}
brain_need_agent "$NAME"
xlbd_need
e2e_setup --backends 3
e2e_case_begin "$NAME"
vip="$TOPO_VIP4:$E2E_HTTP_PORT/tcp"
url="http://$TOPO_VIP4:$E2E_HTTP_PORT/"
cfg="$E2E_CASE_DIR/xlbd.conf"
xlbd_config "$cfg" '{ "log": { "format": "json" } }'

if brain_agents_up b1=10% b2=10% b3=30% && e2e_attach native &&
	e2e_vip_up "$vip" b1=100 b2=100 b3=100; then
	e2e_load static http "$url" --new-conn --rate "$RATE" --duration 8
	xlbd_start xlbd --config "$cfg" || e2e_problem "xlbd did not start"
	e2e_load_bg converge http "$url" --new-conn --rate "$RATE" --duration 30
	start=$(date +%s)
	converged=
	while (($(date +%s) - start < 30)); do
		read -r w1 w2 w3 <<<"$(brain_weights b1 b2 b3)"
		if [[ -n ${w3:-} ]] && "$E2E_PY" -c '
import sys
w = [float(x) for x in sys.argv[1:]]
want = [0.2, 0.2, 0.6]
t = sum(w)
sys.exit(0 if t and all(abs(x / t - s) <= 0.15 * s for x, s in zip(w, want)) else 1)' "$w1" "$w2" "$w3"; then
			converged=$(($(date +%s) - start))
			break
		fi
		sleep 1
	done
	# Converged: 5 s more to settle, and the rest of the 30 s is not needed.
	if [[ -n $converged ]]; then
		sleep 5
		e2e_load_bg_interrupt "$E2E_BG_PID"
	else
		wait "$E2E_BG_PID"
	fi
	echo "$w1 $w2 $w3" >"$E2E_CASE_DIR/weights.txt"
	e2e_load brain http "$url" --new-conn --rate "$RATE" --duration 8
	final=$(brain_weights b1 b2 b3)
	e2e_check '
static, brain = report(sys.argv[1]), report(sys.argv[2])
conv, final = sys.argv[3], sys.argv[4]
if not conv: print("weights %s not within 15%% of 1:1:3 within 30 s" % final)
else: print("info: weights within 15%% of 1:1:3 after %s s; at the end %s" % (conv, final))
ps, pb = static["latency_ms"]["p99"], brain["latency_ms"]["p99"]
print("info: p99 static equal weights %.1f ms, with xlbd %.1f ms (%.0f%% lower)" % (ps, pb, 100 * (1 - pb / ps) if ps else 0))
if not pb <= 0.6 * ps: print("p99 with xlbd %.1f ms is not 40%% below static %.1f ms" % (pb, ps))
if errors(brain): print("errors with xlbd: %s" % errors(brain))
' "$E2E_CASE_DIR/static.json" "$E2E_CASE_DIR/brain.json" "$converged" "$final"
else
	e2e_problem "setup failed (agents, attach or VIP)"
fi
xlbd_stop xlbd
brain_agents_down
e2e_case_end "$vip"
summary
