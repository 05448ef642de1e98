#!/usr/bin/env bash
# The quick start's `make demo`, as a new user runs it, in its short form
# (DEMO_FAST=1, no terminal): it must exit 0 and its summary must prove what
# it showed -- traffic flowed to every backend, the load ramp answered by the
# standby b5 (activated before the offered rate passed the four actives'
# capacity, no client error in the ramp), the degraded backend's weight
# was cut (or it was drained) before the first client error, the killed
# backend went down, no client errors after failover, the restarted backend
# healthy again, a plot drawn -- and nothing of it may be left behind. The
# run's raw files (loads' reports, xlbd's decision log) are checked here too,
# apart from the demo's own checks. Then the same demo interrupted as Ctrl-C
# would (in the ramp, its loads overlapping): it cleans up all the same.
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

# The run's own files, read apart from the demo's summary: every phase's
# load answered at half its 120/s or more (every backend while learning),
# every step of the ramp at least half its rate answered and none failed,
# b5 (10.211.0.15, the topology's fifth backend) moved from standby to
# active by a capacity_up decision during the ramp and before its first
# step above 400/s (the actives' quotas), b4 (10.211.0.14) marked down by a probe decision within
# 5 s of its kill, no error in the restore phase, the plot a PNG.
check_raw_files() {
	"$PY" - "$1" <<'EOF2'
import json, os, sys
d = sys.argv[1]
def load(name):
    with open(os.path.join(d, name)) as f:
        return json.load(f)
for ph in ("learn", "degrade", "kill", "restore"):
    r = load(ph + ".load.json")
    if r["completed"] < 0.5 * 120 * r["elapsed_s"]:  # the demo's 120/s
        print("%s: %d requests completed in %.1f s" % (ph, r["completed"], r["elapsed_s"]))
steps = [json.loads(l) for l in open(os.path.join(d, "ramp.jsonl")) if l.strip()]
if len(steps) < 3:
    print("ramp: %d steps" % len(steps))
for st in steps:
    r = load("ramp.%d.load.json" % st["step"])
    if r["completed"] < 0.5 * st["rate"] * r.get("elapsed_s", st["seconds"]) or r["errors"]["total"]:
        print("ramp step %d (%d/s): %d completed, errors %s" % (st["step"], st["rate"], r["completed"],
                                                           r["errors"]))
learn = load("learn.load.json")["backends"]
if not {"b1", "b2", "b3", "b4"} <= {n for n, c in learn.items() if c}:
    print("learn: answered by %s" % learn)
if load("restore.load.json")["errors"]["total"]:
    print("restore: errors %s" % load("restore.load.json")["errors"])
events = {e["name"]: e for e in map(json.loads, open(os.path.join(d, "events.jsonl")))}
decisions = [json.loads(l) for l in open(os.path.join(d, "decisions.jsonl")) if l.strip()]
kill = events["kill"]["t"]
down = [x for x in decisions if x["backend"] == "10.211.0.14" and x["new_health"] == "down"
        and kill <= x["time"] <= kill + 5]
if not down:
    print("no decision marked 10.211.0.14 down within 5 s of its kill")
over = [st["t"] for st in steps if st["rate"] > 400]
up = [x for x in decisions if x["backend"] == "10.211.0.15" and x.get("rule") == "capacity_up"
      and x.get("old_op_state") == "standby" and x.get("new_op_state") == "active"]
if not over:
    print("ramp: no step above 400/s")
elif not up or not events["ramp"]["t"] <= up[0]["time"] < over[0]:
    print("ramp: 10.211.0.15 not activated (capacity_up) between the ramp's start and its first step "
          "above 400/s: %s" % (["%.1f s after the ramp began" % (x["time"] - events["ramp"]["t"]) for x in up]
                               or "never"))
with open(os.path.join(d, "demo.png"), "rb") as f:
    if f.read(8) != b"\x89PNG\r\n\x1a\n":
        print("demo.png is not a PNG")
EOF2
}

demo_fast_case() {
	local name=demo_fast_brain_drains_fails_over_and_leaves_nothing out rc start secs prefix why=""
	want "$name" || return 0
	out=$OUT_DIR/demo.out
	start=$SECONDS
	DEMO_FAST=1 DEMO_OUT=$OUT_DIR/run timeout 240 tools/demo.sh >"$out" 2>&1
	rc=$?
	secs=$((SECONDS - start))
	prefix=$(grep -o -- '--prefix xt[a-z0-9]*' "$out" | head -n 1 | cut -d' ' -f2)
	((rc == 0)) || why+="exit status $rc; "
	for check in "traffic flowed:" "ramp: standby b5 activated before" "ramp: no client errors" \
		"degraded b2 met its degradation settled" "degraded b2:" "killed b4 went down" "no client errors after failover" \
		"restored b4 healthy again" "standby b5 took no new connection"; do
		grep -q "^  check ok: $check" "$out" || why+="no 'check ok: $check'; "
	done
	grep -q 'check FAILED' "$out" && why+="$(grep 'check FAILED' "$out" | head -n 2 | tr '\n' ' '); "
	grep -q "^  plot: $OUT_DIR/run/demo.png" "$out" || why+="no plot line; "
	why+=$(check_raw_files "$OUT_DIR/run" 2>&1 | head -n 4 | tr '\n' ';')
	grep -q '^\[cleanup\]' "$out" || why+="no cleanup; "
	if [[ -z $prefix ]]; then
		why+="no topology prefix in the output; "
	elif [[ -n $(leftovers "$prefix") ]]; then
		why+="left behind: $(leftovers "$prefix" | head -n 3 | tr '\n' ' '); "
	fi
	# About 33 s of traffic; setup and summary on a busy machine besides.
	((secs <= 100)) || why+="took $secs s; "
	grep -E '^  check |^    => ' "$out" | sed 's/^ */  # /'
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
# of a script ignores it), and the group gets SIGINT in the second phase (the ramp).
demo_interrupted_case() {
	local name=demo_interrupted_by_ctrl_c_leaves_nothing out pid rc i why=""
	want "$name" || return 0
	out=$OUT_DIR/demo-int.out
	DEMO_FAST=1 DEMO_OUT=$OUT_DIR/int env --default-signal=INT setsid tools/demo.sh >"$out" 2>&1 &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		grep -q '^\[2/' "$out" && break
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
	skip demo_fast_brain_drains_fails_over_and_leaves_nothing "needs root (namespaces, XDP)"
	summary
	exit 0
fi
demo_fast_case
demo_interrupted_case
summary
