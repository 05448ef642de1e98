#!/usr/bin/python3
"""Gray-failure figures of one run of tools/bench/bench-side-by-side.sh.

Reads BASE.txt (xlb-load progress lines, one a second), BASE.start,
BASE.end and BASE.throttle (wall-clock seconds). An interval's p99 counts its failed
requests as the slowest (an interval where 1% or more failed has the
timeout, TIMEOUT_MS, as its p99): a balancer whose overloaded backend's
requests time out must not look fast by their absence. The fleet p99 before
the throttle is the baseline; recovery is the time from the throttle until the p99 of every later
interval stays under twice the baseline (the rest of the run if it never
does); p99 after: the median interval p99 of the run's last third. Prints CSV
sample lines and writes BASE.dat (seconds from the throttle, p99 ms).
"""
import os
import re
import statistics
import sys

base = sys.argv[1]
label, rnd = os.environ["GRAY_LABEL"], os.environ["GRAY_ROUND"]
text = open(base + ".txt").read()
start = float(open(base + ".start").read())
# xlb-load's clock starts after its own setup, which can take a good part of
# a second on a loaded machine: anchor it at its end instead (the wall time
# after it exited, minus the elapsed time it reports).
m = re.search(r"^scheduled .* in ([\d.]+) s$", text, re.M)
if m and os.path.exists(base + ".end"):
    start = float(open(base + ".end").read()) - float(m.group(1))
throttle = float(open(base + ".throttle").read()) - start
timeout_ms = float(os.environ.get("TIMEOUT_MS", "2000"))


def p99_with_failures(completed, errors, p99):
    return timeout_ms if errors and errors >= 0.01 * (completed + errors) else p99


points = [
    (float(m.group(1)) - throttle,
     p99_with_failures(int(m.group(2)), int(m.group(3)), float(m.group(4))))
    for m in re.finditer(
        r"^progress\s+([\d.]+) s: .*? completed (\d+) .*? errors (\d+)\s+.*? p99 ([\d.]+) ",
        text, re.M)
    if int(m.group(2)) + int(m.group(3)) > 0
]
with open(base + ".dat", "w") as f:
    for t, p99 in points:
        f.write(f"{t:.3f} {p99:.3f}\n")
before = [p for t, p in points if t <= 0]
after = [(t, p) for t, p in points if t > 0]
if not before or not after:
    sys.exit(0)
baseline = statistics.median(before)
recovery = after[-1][0]
for i, (t, _) in enumerate(after):
    if all(p <= 2 * baseline for _, p in after[i:]):
        recovery = max(t - 1.0, 0.0)  # the interval ending at t began 1 s before
        break
tail = [p for t, p in after if t >= after[-1][0] * 2 / 3]
m = re.search(r"^errors (\d+):", text, re.M)
print(f"gray,{label},{rnd},baseline_p99_ms,{baseline:.3f}")
print(f"gray,{label},{rnd},recovery_s,{recovery:.3f}")
print(f"gray,{label},{rnd},p99_after_ms,{statistics.median(tail):.3f}")
print(f"gray,{label},{rnd},failed_requests,{int(m.group(1)) if m else -1}")
