#!/usr/bin/env bash
# The quick start's `make demo`, as a new user runs it, in its short form
# (DEMO_FAST=1, no terminal): it must exit 0 and its summary must prove what
# it showed -- new connections split by weight in every phase, the drained
# backend getting no new connection while its long-lived ones finish, the
# down backend getting none after being marked, no errors but the resets of
# the down backend's connections -- and nothing of it may be left behind.
# Then the same demo interrupted as Ctrl-C would: it cleans up all the same.
#
#   tests/readme/demo_fast.sh [FILTER]
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/lib/testing.sh
. tests/lib/testing.sh

FILTER=${1:-}
PY=/usr/bin/python3
OUT_DIR=$(mktemp -d /tmp/xlb-demo-test.XXXXXX)
trap 'rm -rf "$OUT_DIR"' EXIT

want() { [[ -z $FILTER || $1 == *"$FILTER"* ]]; }

# Leftovers of the demo's topology (namespaces, cgroups, pins, processes).
leftovers() { tools/topo.sh leak-check "$1" 2>&1; }

# The summary table, checked on its own: every phase's errors 0 and shares
# within 5 points of the weights; b2 (drained) and b4 (down) at 0.0%.
check_summary_table() {
	"$PY" - "$1" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
rows = re.findall(r"^  (balance|reweight|drain|down) +(\d+) +(\d+) +(.*)$", text, re.M)
if [p for p, *_ in rows] != ["balance", "reweight", "drain", "down"]:
    print("summary table: phases %s" % [p for p, *_ in rows]); sys.exit()
for phase, conns, errors, cells in rows:
    pairs = [tuple(map(float, c)) for c in re.findall(r"([\d.]+)% / +([\d.]+)%", cells)]
    if int(conns) < 1000 or int(errors) or len(pairs) != 4:
        print("%s: %s connections, %s errors, %d backends" % (phase, conns, errors, len(pairs)))
    for i, (share, weight) in enumerate(pairs, 1):
        if abs(share - weight) > 5:
            print("%s: b%d %.1f%% against weight %.1f%%" % (phase, i, share, weight))
    if phase in ("drain", "down") and pairs[1] != (0.0, 0.0):
        print("%s: draining b2 at %s" % (phase, pairs[1]))
    if phase == "down" and pairs[3] != (0.0, 0.0):
        print("down: b4 at %s" % (pairs[3],))
EOF
}

demo_fast_case() {
	local name=demo_fast_balances_drains_fails_over_and_leaves_nothing out rc start secs prefix why=""
	want "$name" || return 0
	out=$OUT_DIR/demo.out
	start=$SECONDS
	DEMO_FAST=1 timeout 180 tools/demo.sh >"$out" 2>&1
	rc=$?
	secs=$((SECONDS - start))
	prefix=$(grep -o -- '--prefix xt[a-z0-9]*' "$out" | head -n 1 | cut -d' ' -f2)
	((rc == 0)) || why+="exit status $rc; "
	for check in "balanced:" "drain respected:" "down respected:" "errors:"; do
		grep -q "^  check ok: $check" "$out" || why+="no 'check ok: $check'; "
	done
	grep -q 'check FAILED' "$out" && why+="$(grep 'check FAILED' "$out" | head -n 2 | tr '\n' ' '); "
	why+=$(check_summary_table "$out" | head -n 4 | tr '\n' ';')
	grep -q '^\[cleanup\]' "$out" || why+="no cleanup; "
	if [[ -z $prefix ]]; then
		why+="no topology prefix in the output; "
	elif [[ -n $(leftovers "$prefix") ]]; then
		why+="left behind: $(leftovers "$prefix" | head -n 3 | tr '\n' ' '); "
	fi
	# The quick start promises about 30 s.
	((secs <= 60)) || why+="took $secs s; "
	grep -E '^  (check|long-lived)' "$out" | sed 's/^  /  # /'
	echo "  # $secs s"
	if [[ -z $why ]]; then
		pass "$name"
	else
		mkdir -p results && cp "$out" "results/demo-fast-$$.out"
		fail "$name" "$why (output: results/demo-fast-$$.out)"
	fi
}

# Ctrl-C in a terminal signals the demo's whole process group: the demo is
# started in a group of its own with SIGINT at its default (a background job
# of a script ignores it), and the group gets SIGINT in the second phase.
demo_interrupted_case() {
	local name=demo_interrupted_by_ctrl_c_leaves_nothing out pid rc i why=""
	want "$name" || return 0
	out=$OUT_DIR/demo-int.out
	DEMO_FAST=1 env --default-signal=INT setsid tools/demo.sh >"$out" 2>&1 &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		grep -q '^\[2/4' "$out" && break
		sleep 0.1
	done
	sleep 1
	kill -INT -- "-$pid" 2>/dev/null
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		why+="still running 30 s after SIGINT; "
		kill -TERM -- "-$pid" 2>/dev/null
	fi
	wait "$pid"
	rc=$?
	((rc == 130)) || why+="exit status $rc, want 130; "
	grep -q '^\[cleanup\]' "$out" || why+="no cleanup; "
	if [[ -n $(leftovers "xt$pid") ]]; then
		why+="left behind: $(leftovers "xt$pid" | head -n 3 | tr '\n' ' '); "
	fi
	if [[ -z $why ]]; then
		pass "$name"
	else
		mkdir -p results && cp "$out" "results/demo-interrupted-$$.out"
		fail "$name" "$why (output: results/demo-interrupted-$$.out)"
	fi
}

if ((EUID != 0)); then
	skip demo_fast_balances_drains_fails_over_and_leaves_nothing "needs root (namespaces, XDP)"
	summary
	exit 0
fi
demo_fast_case
demo_interrupted_case
summary
