#!/usr/bin/python3
"""The report of one scale benchmark run (tools/bench/bench-scale.sh).

Reads DIR/samples.csv (section,system,round,metric,value), DIR/env.txt,
DIR/memory.txt and DIR/tick.txt; writes DIR/report.md: every figure a median
of the rounds with min-max, each target beside it, the ratios.
"""
import csv
import os
import statistics
import sys
from collections import defaultdict

out = sys.argv[1]
env = {}
for line in open(os.path.join(out, "env.txt")):
    k, _, v = line.rstrip("\n").partition(" ")
    env[k] = v

samples = defaultdict(dict)
for row in csv.DictReader(open(os.path.join(out, "samples.csv"))):
    samples[(row["section"], row["system"], row["metric"])][int(row["round"])] = float(row["value"])


def stat(section, system, metric):
    vals = list(samples.get((section, system, metric), {}).values())
    if not vals:
        return None
    return statistics.median(vals), min(vals), max(vals), len(vals)


def one(section, system, metric):
    st = stat(section, system, metric)
    return st[0] if st else None


def fmt(st, digits=1, scale=1.0):
    if st is None:
        return "n/a"
    med, lo, hi, n = st
    if n == 1:
        return f"{med * scale:,.{digits}f}"
    return f"{med * scale:,.{digits}f} ({lo * scale:,.{digits}f}–{hi * scale:,.{digits}f})"


def spread(st):
    return 0.0 if st is None or not st[0] else (st[2] - st[1]) / abs(st[0])


def ratio(a, b):
    """Per-round ratios of two systems' established_ns (same round)."""
    ra = samples.get(("scale", a, "established_ns"), {})
    rb = samples.get(("scale", b, "established_ns"), {})
    rs = [ra[r] / rb[r] for r in ra if r in rb and rb[r] > 0]
    if not rs:
        return None
    return statistics.median(rs), min(rs), max(rs), len(rs)


vips, backends, flows = int(env["vips"]), int(env["backends"]), int(env["flows"])
lines = []
w = lines.append
w(f"# Scale benchmark, {env.get('date', '?')}")
w("")
w(
    f"On: nproc {env.get('nproc')}, kernel {env.get('kernel')}, CPU {env.get('cpu')}; "
    f"git {env.get('git')}; {'QUICK' if env.get('quick') == '1' else 'full'} run, "
    f"{env.get('rounds')} rounds. Every figure: median (min–max) over the rounds."
)
w("")
wide = []

w(f"## Configuration: {vips} VIPs × {backends} backends with `xlbctl config apply`")
w("")
w(
    f"Each round a new instance (connection table {int(env['conn_table']):,} entries), "
    f"one `xlbctl config apply` of the whole file (wall time, the process's max RSS "
    f"from /usr/bin/time), then the same file again (nothing to change), then the "
    f"kernel's memlock (`/proc/PID/fdinfo`) of every map of the instance, the "
    f"{vips} Maglev tables (65,537 slots each) included."
)
w("")
apply_s = stat("apply", "xlbctl", "apply_s")
w("| figure | measured |")
w("|---|---|")
w(f"| backends added | {fmt(stat('apply', 'xlbctl', 'backends_added'), 0)} |")
w(f"| apply, empty → {vips}×{backends}, s | {fmt(apply_s, 2)} |")
w(f"| apply again, no changes, s | {fmt(stat('apply', 'xlbctl', 'apply_again_s'), 3)} |")
w(f"| xlbctl max RSS, MiB | {fmt(stat('apply', 'xlbctl', 'xlbctl_max_rss_kb'), 1, 1 / 1024)} |")
w(f"| all maps (memlock), MiB | {fmt(stat('apply', 'xlb', 'maps_memlock_bytes'), 1, 1 / 1048576)} |")
w("")
if spread(apply_s) > 0.1:
    wide.append(f"apply time spread {spread(apply_s):.0%}")
mem_path = os.path.join(out, "memory.txt")
if os.path.exists(mem_path):
    w("Per map (the last round):")
    w("")
    w("| map | memlock bytes |")
    w("|---|---|")
    for line in open(mem_path):
        name, _, b = line.split()[0], None, line.split()[-1]
        w(f"| {name} | {int(b):,} |")
    w("")

w(f"## Data plane: {flows:,} concurrent flows")
w("")
w(
    "BPF_PROG_TEST_RUN, repeat=1, the kernel's duration of each call, on the configured "
    f"instance: one flow a VIP opened by a SYN, then an ACK of a random one of those "
    f"flows per call ({int(env['calls']):,} calls a round); then {flows:,} flows filled "
    "by SYNs (10,000 at a time on each possible CPU in turn, as RSS spreads them: the "
    "table's LRU is per CPU), and an ACK of a random one of the filled flows per call, "
    "interleaved with an ACK of one same flow. Source addresses 100.x.y.z, ports "
    "1024–61023, the flows over every VIP. CPU 0."
)
w("")
present = one("scale", "xlb", "flows_in_table")
after = one("scale", "xlb", "flows_in_table_after")
w("| figure | measured |")
w("|---|---|")
w(f"| connection table entries (size) | {fmt(stat('scale', 'xlb', 'conn_table_size'), 0)} |")
w(f"| flows counted in the table after the fill | {fmt(stat('scale', 'xlb', 'flows_in_table'), 0)} |")
w(f"| … after the timed calls | {fmt(stat('scale', 'xlb', 'flows_in_table_after'), 0)} |")
w(f"| fill wall time, s | {fmt(stat('scale', 'xlb', 'fill_wall_s'), 2)} |")
w(f"| SYN during the fill, ns | {fmt(stat('scale', 'xlb', 'syn_ns_during_fill'), 1)} |")
e = stat("scale", "empty_each_flow", "established_ns")
f = stat("scale", "full_each_flow", "established_ns")
f1 = stat("scale", "full_one_flow", "established_ns")
w(f"| established, one flow a VIP in the table, ns | {fmt(e)} |")
w(f"| established, random flow of {flows:,}, ns | {fmt(f)} |")
w(f"| established, one same flow of a full table, ns | {fmt(f1)} |")
fe = stat("scale", "floor_empty_each_flow", "established_ns")
ff = stat("scale", "floor_full_each_flow", "established_ns")
w(f"| hit floor, one flow a VIP in its table, ns | {fmt(fe)} |")
w(f"| hit floor, random flow of {flows:,}, ns | {fmt(ff)} |")
w(f"| all maps (memlock) at the fill, MiB | {fmt(stat('scale', 'xlb', 'maps_memlock_bytes'), 1, 1 / 1048576)} |")
conns = one("scale", "xlb", "conns_memlock_bytes")
size = one("scale", "xlb", "conn_table_size")
w("")
for s, name in ((e, "empty"), (f, "full"), (f1, "full one flow"),
                (stat("scale", "floor_empty_each_flow", "established_ns"), "floor empty"),
                (stat("scale", "floor_full_each_flow", "established_ns"), "floor full")):
    if spread(s) > 0.1:
        wide.append(f"established ({name}) spread {spread(s):.0%}")

targets = []
if present is not None:
    lost = int(flows - present)
    targets.append((f"{flows:,} flows held, none evicted", "= 0 lost",
                    f"{lost:,} lost at the fill, {int(present - after):,} more after" if after is not None else f"{lost:,}",
                    "met" if lost == 0 and after == present else "MISSED"))
if conns and size:
    per = conns / size
    targets.append(("memory per tracked flow (section 1)", "≤ 128 B", f"{per:.1f} B", "met" if per <= 128 else "MISSED"))
tick = open(os.path.join(out, "tick.txt")).read() if os.path.exists(os.path.join(out, "tick.txt")) else ""
tick_line = next((l for l in tick.splitlines() if "median" in l), "")
if tick_line:
    try:
        med = float(tick_line.split("median")[1].split("ms")[0])
        targets.append((f"brain tick at {vips * backends:,} pairs, median", "≤ 5 ms (whole tick)",
                        f"{med:.3f} ms (core only)", "met" if med <= 5 else "MISSED"))
    except (IndexError, ValueError):
        pass
r_full = ratio("full_each_flow", "empty_each_flow")
r_hot = ratio("full_one_flow", "empty_each_flow")
w("Ratios (per round, the same process):")
w("")
w(f"- random flow of a full table / one flow a VIP: {fmt(r_full, 2)}x")
w(f"- one same flow of a full table / one flow a VIP: {fmt(r_hot, 2)}x")
w(f"- the hit floor, random flow of a full table / one flow a VIP: "
  f"{fmt(ratio('floor_full_each_flow', 'floor_empty_each_flow'), 2)}x")
w(f"- xlb / the hit floor, random flow of a full table: "
  f"{fmt(ratio('full_each_flow', 'floor_full_each_flow'), 2)}x; "
  f"one flow a VIP: {fmt(ratio('empty_each_flow', 'floor_empty_each_flow'), 2)}x")
w("")
w("(The established target of section 1, ≤ 1.4× the hit floor, is measured by "
  "`bench-dataplane.sh` on one hot flow; here the fill's cost: what the table's "
  "size adds to xlb and to the floor alike.)")
w("")

w(f"## The brain's tick at {vips * backends:,} pairs over {vips} VIPs")
w("")
w("build/bench/brain-tick-bench (the functional core: features, models, forest, "
  "policy, guardrails; the map side is timed by xlbd's `xlbd_tick_stage_seconds`):")
w("")
w("```")
w(tick.strip() or "not run")
w("```")
w("")

w("## Targets")
w("")
w("| figure | target | measured | |")
w("|---|---|---|---|")
for what, t, m, ok in targets:
    w(f"| {what} | {t} | {m} | {ok} |")
w("")
if wide:
    w("Spread wider than 10%: " + "; ".join(wide) + ".")
    w("")
open(os.path.join(out, "report.md"), "w").write("\n".join(lines) + "\n")
