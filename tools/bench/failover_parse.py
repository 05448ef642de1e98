#!/usr/bin/python3
"""Failover figures of one run of tools/bench/bench-side-by-side.sh.

Reads BASE.txt (xlb-load's progress lines and summary), BASE.start,
BASE.end and BASE.kill (wall-clock seconds); prints CSV sample lines (time to recovery:
from the kill to the end of the last progress interval with errors; failed
requests: the summary's error total) and writes BASE.dat, the timeline
(seconds from the kill, errors per second) for the plot.
"""
import os
import re
import sys

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
kill = float(open(base + ".kill").read()) - start
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
