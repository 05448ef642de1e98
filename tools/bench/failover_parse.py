#!/usr/bin/python3
"""Failover figures of one run of tools/bench/bench-side-by-side.sh.

Reads BASE.txt (xlb-load's progress lines and summary), BASE.start,
BASE.end and BASE.kill (wall-clock seconds); prints CSV sample lines (time to recovery:
from the kill to the end of the last progress interval with errors; failed
requests: the summary's error total; time to take b2 out: from the kill to
the balancer's own record of b2 going down) and writes BASE.dat, the timeline
(seconds from the kill, errors per second) for the plot.

The balancer's record (FAIL_OUT_KIND, in FAIL_OUT_LOG): "xlbd", its decision
log (decisions.jsonl: the first applied line for backend FAIL_OUT_BACKEND
with new_health "down" and a time at or after the kill); "haproxy", its
stderr log in format iso (the first "Server be/b2 is DOWN" stamped at or
after the kill); "none" (xlb-static), no health checking, no figure.

failover_parse.py --out-check BASE: exit 0 when that record is there, 1 when
not yet (the script waits on it after the load).
"""
import datetime
import json
import os
import re
import sys


def out_wall(kill_wall):
    """Wall-clock time of the balancer's first record of b2 down at or after
    the kill, or None (none yet, or no health checking)."""
    kind = os.environ.get("FAIL_OUT_KIND", "none")
    path = os.environ.get("FAIL_OUT_LOG", "")
    if kind == "none" or not os.path.exists(path):
        return None
    with open(path, errors="replace") as f:
        lines = f.read().splitlines()
    for line in lines:
        if kind == "xlbd":
            try:
                d = json.loads(line)
            except ValueError:
                continue  # a line still being written
            if (d.get("backend") == os.environ["FAIL_OUT_BACKEND"]
                    and d.get("new_health") == "down" and d.get("applied")
                    and d.get("time", 0) >= kill_wall):
                return d["time"]
        elif kind == "haproxy":
            # -db also prints the message without a time ("[WARNING] ..."):
            # only the log line, ISO time with microseconds, counts.
            m = re.match(r"(\d{4}-\d\d-\d\dT\S+) Server be/b2 is DOWN", line)
            if m:
                t = datetime.datetime.fromisoformat(m.group(1)).timestamp()
                if t >= kill_wall:
                    return t
    return None


if sys.argv[1] == "--out-check":
    base = sys.argv[2]
    sys.exit(0 if out_wall(float(open(base + ".kill").read())) is not None else 1)

base = sys.argv[1]
label, rnd = os.environ["FAIL_LABEL"], os.environ["FAIL_ROUND"]
text = open(base + ".txt").read()
start = float(open(base + ".start").read())
# xlb-load's clock starts after its own setup, which can take a good part of
# a second on a loaded machine: anchor it at its end instead (the wall time
# after it exited, minus the elapsed time it reports).
m = re.search(r"^scheduled .* in ([\d.]+) s$", text, re.M)
if m and os.path.exists(base + ".end"):
    start = float(open(base + ".end").read()) - float(m.group(1))
kill_wall = float(open(base + ".kill").read())
kill = kill_wall - start
prev_t, last_err_end, timeline = 0.0, None, []
for m in re.finditer(r"^progress\s+([\d.]+) s: sent \d+ .*? errors (\d+)", text, re.M):
    t, errs = float(m.group(1)), int(m.group(2))
    width = max(t - prev_t, 1e-9)
    timeline.append((t - kill, errs / width))
    if errs and t > kill:
        last_err_end = t
    prev_t = t
with open(base + ".dat", "w") as f:
    for t, rate in timeline:
        f.write(f"{t:.3f} {rate:.1f}\n")
m = re.search(r"^errors (\d+):", text, re.M)
failed = int(m.group(1)) if m else -1
m = re.search(r"^scheduled (\d+)\s+sent (\d+)\s+completed (\d+)\s+ok (\d+)", text, re.M)
ok = int(m.group(4)) if m else -1
recovery = max(last_err_end - kill, 0.0) if last_err_end is not None else 0.0
print(f"failover,{label},{rnd},recovery_s,{recovery:.3f}")
print(f"failover,{label},{rnd},failed_requests,{failed}")
print(f"failover,{label},{rnd},ok_requests,{ok}")
# out_s: b2 taken out; out_missed: a checker that had not taken it out by
# the time the script stopped waiting (no figure for xlb-static).
out = out_wall(kill_wall)
if out is not None:
    print(f"failover,{label},{rnd},out_s,{out - kill_wall:.3f}")
elif os.environ.get("FAIL_OUT_KIND", "none") != "none":
    print(f"failover,{label},{rnd},out_missed,1")
