#!/usr/bin/python3
"""tools/demo/summary.py: the demo's summary, self-checks and plot.

Reads the run's files in --state (PHASE.load.json of every phase, the ramp's
ramp.N.load.json of each step and ramp.jsonl, the client's progress.log, the
monitor's samples.jsonl, events.jsonl and xlbd's decision log), prints the
phases' requests, errors and latency, the ramp step by step with the
standby's activation and its lead, each event
with the decisions that answered it and their lead time, one "check ok:" or
"check FAILED:" line per claim the demo makes, and draws OUT/demo.png with
gnuplot. Exit status 1 when a check failed.
"""
import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys

PROGRESS = re.compile(r'^progress +([\d.]+) s: sent (\d+) \(([\d.]+)/s\) completed (\d+) '
                      r'\(([\d.]+)/s\) errors (\d+) +p50 ([\d.]+) p99 ([\d.]+) max ([\d.]+) ms')
ROUTINE = ("equalise", "slow_start", "hot")  # folded, a line per backend and rule
FAILOVER_GRACE_S = 1.0  # requests in flight when the backend went down
DOWN_BOUND_S = 5.0      # kill -> down, generous for a busy 2-core machine


def brain_cut(d):
    """A decision that cuts its backend: a hot halving, a drain, down; not
    the equaliser's or slow start's routine steps (demo.sh's settle waits
    on these too)."""
    return d.get("rule") not in ("equalise", "slow_start") and (
        d["new_factor"] < d["old_factor"] or d["new_health"] not in (d["old_health"], "ok"))


def finite(x):
    return isinstance(x, (int, float)) and math.isfinite(x)


def lines(path):
    try:
        with open(path) as f:
            return [json.loads(l) for l in f if l.strip()]
    except OSError:
        return []


TAGGED = re.compile(r'^\[(\S+)\] (.*)$')


def progress(path):
    """[(t_end, interval_s, ok_per_s, errors, p99_ms, phase)] on the wall
    clock, in time order: each load starts with a "start NAME EPOCH" line;
    its lines follow untagged, or tagged "[NAME] progress ..." (the ramp's
    steps overlap: one finishes its answers while the next sends)."""
    out, starts, last, phase = [], {}, {}, None
    for line in open(path):
        if line.startswith("start "):
            phase = line.split()[1]
            starts[phase], last[phase] = float(line.split()[2]), 0.0
            continue
        name, tag = phase, TAGGED.match(line)
        if tag:
            name, line = tag.group(1), tag.group(2)
        m = PROGRESS.match(line)
        if m and name in starts:
            t = float(m.group(1))
            out.append((starts[name] + t, t - last[name], float(m.group(5)), int(m.group(6)),
                        float(m.group(8)), name))
            last[name] = t
    return sorted(out)


def forecast_pairs(samples):
    """[(t, demand at t, forecast made about 1 s before t)]."""
    out = []
    for s1, s2 in zip(samples, samples[1:]):
        if (0.5 < s2["t"] - s1["t"] < 1.5 and finite(s1.get("forecast")) and
                finite(s2.get("demand"))):
            out.append((s2["t"], s2["demand"], s1["forecast"]))
    return out


def ramp_reports(state):
    """[(step, report)] of the ramp's loads, and the phase's report made of
    them: requests and errors summed, latency the worst step's (percentiles
    of separate loads do not add up)."""
    steps = {s["step"]: s for s in lines(os.path.join(state, "ramp.jsonl"))}
    out = []
    for n in sorted(steps):
        try:
            r = json.load(open(os.path.join(state, "ramp.%d.load.json" % n)))
        except (OSError, ValueError):
            continue
        out.append((steps[n], r))
    if not out:
        return steps, out, None
    total = {"completed": sum(r["completed"] for _, r in out),
             "errors": {"total": sum(r["errors"]["total"] for _, r in out)},
             "elapsed_s": sum(r.get("elapsed_s", 0) for _, r in out),
             "planned": sum(st["rate"] * r.get("elapsed_s", st["seconds"]) for st, r in out),
             "latency_ms": {k: max(r.get("latency_ms", {}).get(k, 0) for _, r in out)
                            for k in ("p50", "p99", "max")},
             "backends": {}}
    for _, r in out:
        for n, c in r.get("backends", {}).items():
            total["backends"][n] = total["backends"].get(n, 0) + c
    return steps, out, total


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--state", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--t0", type=float, required=True)
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--degraded", required=True)
    p.add_argument("--killed", required=True)
    p.add_argument("--standby", default="")
    p.add_argument("--fast", type=int, default=0)
    p.add_argument("--settled", type=float, default=2.0,
                   help="seconds the degraded backend must be uncut before its degradation")
    p.add_argument("--actives-capacity", type=float, default=0, help="requests/s the actives' quotas allow")
    p.add_argument("--capacity-high", type=float, default=0)
    p.add_argument("--backend", action="append", default=[], help="NAME=ADDR=QUOTA%%")
    p.add_argument("phases", nargs="+")
    a = p.parse_args()
    t0 = a.t0
    addr = {n: ad for n, ad, _ in (b.split("=") for b in a.backend)}
    quota = {n: float(q) for n, _, q in (b.split("=") for b in a.backend)}
    name_of = {ad: n for n, ad in addr.items()}
    events = {e["name"]: e for e in lines(os.path.join(a.state, "events.jsonl"))}
    decisions = [d for d in lines(os.path.join(a.state, "xlbd-state", "decisions.jsonl"))
                 if d.get("applied", True)]
    samples = lines(os.path.join(a.state, "samples.jsonl"))
    prog = progress(os.path.join(a.state, "progress.log"))
    checks = []

    def check(ok, what):
        checks.append((bool(ok), what))

    def rel(t):
        return t - t0

    # Phases: requests, errors, latency.
    print("  %-8s %9s %7s %9s %9s %9s" % ("phase", "requests", "errors", "p50 ms", "p99 ms", "max ms"))
    reports, requests, errors = {}, 0, 0
    ramp_steps, ramp, ramp_total = ramp_reports(a.state)
    for ph in a.phases:
        try:
            r = ramp_total if ph == "ramp" else json.load(open(os.path.join(a.state, ph + ".load.json")))
        except (OSError, ValueError):
            r = None
        if not r:
            print("  %-8s (no report)" % ph)
            continue
        reports[ph] = r
        lat = r.get("latency_ms", {})
        requests += r["completed"]
        errors += r["errors"]["total"]
        print("  %-8s %9d %7d %9.2f %9.2f %9.2f" % (ph, r["completed"], r["errors"]["total"],
                                                  lat.get("p50", 0), lat.get("p99", 0), lat.get("max", 0)))
    print("  total    %9d %7d" % (requests, errors))
    if ramp_total:
        print("  (ramp: %d steps, its latency the worst step's; step by step below)" % len(ramp))
    flowed = [ph for ph in a.phases if ph in reports and reports[ph]["completed"] >=
              0.5 * reports[ph].get("planned", a.rate * reports[ph].get("elapsed_s", 1))]
    learn = reports.get(a.phases[0], {}).get("backends", {})
    active = [n for n in sorted(addr) if n != a.standby]
    check(len(flowed) == len(a.phases) and all(learn.get(n) for n in active),
          "traffic flowed: %d requests, every phase at least half the planned rate (%s), "
          "every backend answered while learning (%s)"
          % (requests, ", ".join(flowed), ", ".join("%s %d" % (n, learn.get(n, 0)) for n in active)))

    # Learned capacity: effective weights at the end of learning against the quotas.
    t_learned = events.get("learned", {}).get("t")
    at = [s for s in samples if t_learned and s["t"] <= t_learned]
    if at:
        w = {n: at[-1]["backends"][n]["weight"] for n in active}
        tw, tq = sum(w.values()) or 1, sum(quota[n] for n in active)
        print("  learned capacity (+%.0f s): effective weight share %s; quota share %s"
              % (rel(at[-1]["t"]), ", ".join("%s %.0f%%" % (n, 100 * w[n] / tw) for n in sorted(w)),
                 ", ".join("%s %.0f%%" % (n, 100 * quota[n] / tq) for n in active)))

    def first_error_in(phase, t):
        """Start of the phase's first progress interval with errors that ends
        after t (each phase has a load of its own: no interval straddles two)."""
        for t_end, span, _, err, _, ph in prog:
            if ph == phase and t_end > t and err:
                return t_end - span
        return None

    def p99s(before, after):
        def p(ph):
            r = reports.get(ph)
            return "%.1f ms" % r["latency_ms"]["p99"] if r and "p99" in r.get("latency_ms", {}) else "-"
        return "p99 before %s (%s), after %s (%s)" % (p(before), before, p(after), after)

    def next_event(e):
        return min([x["t"] for x in events.values() if x["t"] > e["t"]] or [float("inf")])

    shown = set()  # the decisions listed under an event (by id)

    def listing(ds, most=6):
        """Decisions, the routine ones (equalise, slow start, hot) folded
        into a line per backend and rule, the others one line each."""
        out, folded = [], {}
        for d in ds:
            shown.add(id(d))
            if d.get("rule") in ROUTINE:
                folded.setdefault((d["backend"], d["rule"]), []).append(d)
            elif len(out) < most:
                out.append("    decision " + show(d))
        for (backend, rule), fs in folded.items():
            out.append("    decision +%.1f..+%.1f s %s %s x%d: factor %.2f -> %.2f (last: %s)"
                       % (rel(fs[0]["time"]), rel(fs[-1]["time"]), name_of.get(backend, backend), rule,
                          len(fs), fs[0]["old_factor"], fs[-1]["new_factor"], fs[-1].get("reason", "")[:90]))
        return out

    def show(d):
        return "+%.1f s %s %s: %s" % (rel(d["time"]), name_of.get(d["backend"], d["backend"]),
                                       d.get("rule"), d.get("reason", "")[:160])

    # The ramp: demand past the actives' capacity, answered by the standby
    # pool before the offered rate passed that capacity.
    rmp = events.get("ramp")
    if rmp and ramp:
        last_st, last_r = ramp[-1]
        t_end = last_st["t"] + last_r.get("elapsed_s", last_st["seconds"])
        sb = addr.get(a.standby)
        acts = [d for d in decisions if d["backend"] == sb and d.get("rule") == "capacity_up"
                and rmp["t"] <= d["time"] < t_end]
        over = [st for st, _ in ramp if a.actives_capacity and st["rate"] > a.actives_capacity]
        t_over = over[0]["t"] if over else None
        lat0 = reports.get(a.phases[0], {}).get("latency_ms", {}).get("p99")
        print("\n  event +%.1f s: %s; p99 before %s (%s)"
              % (rel(rmp["t"]), rmp["text"], "%.1f ms" % lat0 if lat0 is not None else "-", a.phases[0]))
        print("    %4s %6s %6s %6s %7s %7s %8s %8s %6s  %s"
              % ("step", "rate/s", "ok/s", "errors", "p50 ms", "p99 ms", "demand/s", "forecast",
                 "util", "%s (state, weight, share)" % a.standby))
        at_step, p99_first, doubled = None, None, None
        for st, r in ramp:
            t1 = st["t"] + r.get("elapsed_s", st["seconds"])
            ss = [x for x in samples if st["t"] <= x["t"] < t1]

            def mean(key):
                v = [x[key] for x in ss if finite(x.get(key))]
                return "%.0f" % (sum(v) / len(v)) if v else "-"
            utils = [x["util"] for x in ss if finite(x.get("util"))]
            b = ss[-1]["backends"].get(a.standby, {}) if ss else {}
            share = [x["backends"][a.standby]["share"] for x in ss if a.standby in x["backends"]]
            lat = r.get("latency_ms", {})
            print("    %4d %6d %6.0f %6d %7.2f %7.2f %8s %8s %6s  %s, %s, %.0f%%"
                  % (st["step"], st["rate"], r["completed"] / max(r.get("elapsed_s", 1), 1e-3),
                     r["errors"]["total"], lat.get("p50", 0), lat.get("p99", 0), mean("demand"),
                     mean("forecast"), "%.2f" % max(utils) if utils else "-", b.get("op_state", "?"),
                     b.get("weight", 0), sum(share) / len(share) if share else 0))
            if acts and at_step is None and st["t"] <= acts[0]["time"] < t1:
                at_step = st
            if p99_first is None:
                p99_first = lat.get("p99")
            elif doubled is None and p99_first and lat.get("p99", 0) > 2 * p99_first:
                doubled = st
        mine = [d for d in decisions if rmp["t"] <= d["time"] < t_end]
        print("\n".join(listing([d for d in mine if d.get("rule") not in ("equalise", "slow_start")] +
                                [d for d in mine if d["backend"] == sb and d.get("rule") == "slow_start"])))
        shown.update(id(d) for d in mine)
        if acts:
            d = acts[0]
            print("    => %s activated %.1f s into the ramp, %s (predicted utilisation %.2f above %.2f), %s"
                  % (a.standby, d["time"] - rmp["t"],
                     "in step %d (%d/s)" % (at_step["step"], at_step["rate"]) if at_step else "between steps",
                     d.get("predicted_util", float("nan")), a.capacity_high,
                     "%.1f s before the offered rate passed the actives' %.0f/s" % (t_over - d["time"],
                                                                                    a.actives_capacity)
                     if t_over and d["time"] < t_over else "after the offered rate passed the actives' %.0f/s"
                     % a.actives_capacity))
        else:
            print("    => %s not activated during the ramp" % a.standby)
        print("    => p99 %s" % ("first above twice the first step's (%.1f ms) in step %d (%d/s)"
                                 % (p99_first, doubled["step"], doubled["rate"]) if doubled
                                 else "never above twice the first step's (%.1f ms)" % (p99_first or 0)))
        check(acts and t_over and acts[0]["time"] < t_over,
              "ramp: standby %s activated before the offered rate passed the actives' capacity (%.0f/s): %s"
              % (a.standby, a.actives_capacity,
                 "+%.1f s, %.1f s ahead" % (rel(acts[0]["time"]), t_over - acts[0]["time"])
                 if acts and t_over else "activated at +%.1f s" % rel(acts[0]["time"]) if acts
                 else "never during the ramp"))
        ramp_errors = sum(r["errors"]["total"] for _, r in ramp)
        check(ramp_errors == 0, "ramp: no client errors (%d requests in %d steps up to %d/s%s)"
              % (sum(r["completed"] for _, r in ramp), len(ramp), max(st["rate"] for st, _ in ramp),
                 "" if not ramp_errors else "; %d errors" % ramp_errors))

    # The gray failure: the degraded backend cut (factor halved) or drained
    # before the first client error after its quota began to fall.
    deg = events.get("degrade")
    if deg:
        mine = [d for d in decisions if d["backend"] == addr[a.degraded] and
                deg["t"] <= d["time"] < next_event(deg)]
        before = [d for d in decisions if d["backend"] == addr[a.degraded] and d["time"] < deg["t"]]
        f0 = before[-1]["new_factor"] if before else 1.0
        # The cut must answer the degradation, not the ramp's tail: the
        # backend meets it healthy and not cut for a.settled seconds.
        h0 = before[-1]["new_health"] if before else "ok"
        tail = [d for d in before if d["time"] >= deg["t"] - a.settled and brain_cut(d)]
        check(h0 == "ok" and not tail,
              "degraded %s met its degradation settled: health %s, %s"
              % (a.degraded, h0, "no cut in the %g s before" % a.settled if not tail else
                 "cut %.1f s before (%s): the ramp's tail" % (deg["t"] - tail[-1]["time"], tail[-1].get("rule"))))
        # a cut: drained, a hot halving, or a factor halved from where it began
        cut = [d for d in mine if d["new_health"] != "ok" or d.get("rule") == "hot" or
               d["new_factor"] <= 0.5 * f0]
        t_err = first_error_in("degrade", deg["t"])
        print("\n  event +%.1f s: %s; %s" % (rel(deg["t"]), deg["text"], p99s("learn", "degrade")))
        print("\n".join(listing(mine)))
        if cut:
            lead = ("%.1f s before the first client error" % (t_err - cut[0]["time"]) if t_err
                    else "no client error during the degradation")
            print("    => cut %.1f s after its quota began to fall, %s" % (cut[0]["time"] - deg["t"], lead))
        check(cut and (t_err is None or cut[0]["time"] < t_err),
              "degraded %s: weight cut or drained %s, before the first client error (%s)"
              % (a.degraded, "%.1f s into its quota ramp" % (cut[0]["time"] - deg["t"]) if cut else "never",
                 "+%.1f s" % rel(t_err) if t_err else "none during the degradation"))

    # The hard failure: down within DOWN_BOUND_S, no errors after.
    kill = events.get("kill")
    t_down = None
    if kill:
        mine = [d for d in decisions if d["backend"] == addr[a.killed] and
                kill["t"] <= d["time"] < next_event(kill)]
        down = [d for d in mine if d["new_health"] == "down"]
        print("\n  event +%.1f s: %s; %s" % (rel(kill["t"]), kill["text"], p99s("degrade", "kill")))
        print("\n".join(listing(mine, 3)))
        if down:
            t_down = down[0]["time"]
            print("    => down %.2f s after the kill" % (t_down - kill["t"]))
        check(down and t_down - kill["t"] <= DOWN_BOUND_S,
              "killed %s went down %s after the kill (bound %g s)"
              % (a.killed, "%.2f s" % (t_down - kill["t"]) if down else "never", DOWN_BOUND_S))
        if t_down:
            during = sum(e for t_end, span, _, e, _, _ in prog if t_end > kill["t"] and
                         t_end - span < t_down + FAILOVER_GRACE_S)
            after = [(t_end, e) for t_end, span, _, e, _, _ in prog
                     if t_end - span >= t_down + FAILOVER_GRACE_S and e]
            print("    => %d client errors between the kill and %g s after failover" % (during, FAILOVER_GRACE_S))
            check(not after, "no client errors after failover (from %g s after %s went down to the end)%s"
                  % (FAILOVER_GRACE_S, a.killed,
                     "" if not after else ": %d at +%.1f s" % (after[0][1], rel(after[0][0]))))

    # The return: healthy again, then slow start.
    res = events.get("restore")
    if res:
        mine = [d for d in decisions if d["time"] >= res["t"] and
                d["backend"] in (addr[a.killed], addr[a.degraded])]
        print("\n  event +%.1f s: %s; %s" % (rel(res["t"]), res["text"], p99s("kill", "restore")))
        print("\n".join(listing(mine)))
        back = [d for d in mine if d["backend"] == addr[a.killed] and d["new_health"] == "ok"]
        ramp = [(rel(s["t"]), s["backends"][a.killed]["weight"]) for s in samples if s["t"] >= res["t"]]
        if ramp:
            print("    => %s's effective weight since: %s" % (
                a.killed, " ".join("%d" % w for _, w in ramp[::max(1, len(ramp) // 10)])))
        check(back, "restored %s healthy again %s after its restart"
              % (a.killed, "%.1f s" % (back[0]["time"] - res["t"]) if back else "never"))

    # The standby pool: no traffic before the capacity plan activates it
    # (predicted short after the losses, if the prediction crosses the mark).
    if a.standby:
        sb = addr[a.standby]
        acts = [d for d in decisions if d["backend"] == sb and d.get("old_op_state") == "standby"
                and d.get("new_op_state") == "active"]
        t_act = acts[0]["time"] if acts else float("inf")
        early = [(rel(s["t"]), s["backends"][a.standby]["new_per_s"]) for s in samples
                 if s["t"] < t_act - 1.5 and s["backends"][a.standby]["new_per_s"] > 0]
        print("\n  standby pool: %s" % ("%s activated at +%.1f s: %s" % (a.standby, rel(t_act), acts[0]["reason"][:160])
                                       if acts else "%s never activated (the prediction stayed below the mark)"
                                       % a.standby))
        check(not early and not learn.get(a.standby),
              "standby %s took no new connection before the brain activated it%s"
              % (a.standby, "" if not early else ": %d/s at +%.1f s" % (early[0][1], early[0][0])))

    # What the brain did beyond the events' answers (a drain of another
    # backend, a guardrail, ...), so that nothing it decided goes unsaid.
    others = [d for d in decisions if id(d) not in shown and d.get("rule") not in ROUTINE]
    if others:
        print("\n  other decisions (not the answer to an event above):")
        print("\n".join("    decision " + show(d) for d in others[:8]))
        if len(others) > 8:
            print("    ... %d more in the decision log" % (len(others) - 8))

    # Forecast against the measured demand: xlbd_vip_forecast_per_second is
    # the next tick's (1 s ahead), so each sample's forecast is held against
    # the demand of the sample a second later (the same instant it would
    # equal the demand whenever the model "last" is selected).
    fc = [(d, f) for _, d, f in forecast_pairs(samples) if d > 0]
    if fc:
        err = sum(abs(f - d) / d for d, f in fc) / len(fc)
        print("\n  demand forecast: mean absolute error %.1f%% over %d samples (xlbd_vip_forecast_per_second, "
              "the next second's, against the VIP's rate measured a second later)" % (100 * err, len(fc)))
    print("  decisions: %d (xlbctl decisions --state-dir ...; the log is copied to %s)"
          % (len(decisions), os.path.join(a.out, "decisions.jsonl")))

    plot(a, samples, prog, events, t0)
    print()
    for ok, what in checks:
        print("  check %s: %s" % ("ok" if ok else "FAILED", what))
    sys.exit(0 if checks and all(ok for ok, _ in checks) else 1)


def plot(a, samples, prog, events, t0):
    if not shutil.which("gnuplot"):
        print("  plot: gnuplot not installed (make deps), none drawn")
        return
    names = sorted(samples[0]["backends"]) if samples else []
    with open(os.path.join(a.out, "share.dat"), "w") as f:
        for s in samples:
            f.write("%.2f %s\n" % (s["t"] - t0, " ".join("%.2f %d" % (s["backends"][n]["share"],
                                                                      s["backends"][n]["weight"])
                                                         for n in names)))
    with open(os.path.join(a.out, "client.dat"), "w") as f:
        for t_end, _, ok, err, p99, _ in prog:
            f.write("%.2f %.1f %d %.3f\n" % (t_end - t0, ok, err, max(p99, 0.01)))
    with open(os.path.join(a.out, "forecast.dat"), "w") as f:
        for t, d, fc in forecast_pairs(samples):
            f.write("%.2f %.2f %.2f\n" % (t - t0, d, fc))
    with open(os.path.join(a.out, "capacity.dat"), "w") as f:
        for s in samples:
            if finite(s.get("util")):
                f.write("%.2f %.3f %s\n" % (s["t"] - t0, s["util"],
                                            "%.0f" % s["active_n"] if finite(s.get("active_n")) else "NaN"))
    arrows = "".join("set arrow from %.1f, graph 0 to %.1f, graph 1 nohead dt 2 lc rgb 'gray40'\n"
                     "set label '%s' at %.1f, graph 0.95 offset 0.3,0 font ',8'\n"
                     % (e["t"] - t0, e["t"] - t0, e["name"], e["t"] - t0)
                     for e in events.values() if e["name"] != "learned")
    xmax = max([s["t"] - t0 for s in samples] + [t_end - t0 for t_end, *_ in prog] + [1])
    share = ", ".join("'share.dat' using 1:%d with lines lw 2 title '%s'" % (2 + 2 * i, n)
                      for i, n in enumerate(names))
    script = """set terminal pngcairo size 1100,1150 font ',10'
set output 'demo.png'
set multiplot layout 4,1 title 'xlb demo: the brain at work (events dashed)'
set grid
set key outside right width 2
set lmargin 10
set rmargin 28
set xrange [0:%.0f]
set xlabel 'seconds'
%s
set ylabel 'share of new flows %%'
set yrange [0:*]
plot %s
set ylabel 'client p99 ms'
set logscale y
set yrange [*:*]
plot 'client.dat' using 1:4 with lines lw 2 title 'p99 (0.2 s)', 'client.dat' using 1:($3 > 0 ? 1000 : 1/0) with impulses lc rgb 'red' title 'errors'
unset logscale y
set ylabel 'requests/s'
set yrange [0:*]
plot 'forecast.dat' using 1:2 with lines lw 2 title 'demand (measured)', 'forecast.dat' using 1:3 with lines lw 2 dt 2 title 'forecast (made 1 s before)', 'client.dat' using 1:2 with lines lw 1 title 'client ok/s'
set ylabel 'capacity plan'
set y2label 'active backends'
set y2range [0:6]
set y2tics 1
plot 'capacity.dat' using 1:2 with lines lw 2 title 'predicted utilisation', %s with lines dt 3 lc rgb 'red' title 'capacity high', 'capacity.dat' using 1:3 axes x1y2 with steps lw 1 title 'active backends'
unset multiplot
""" % (xmax, arrows, share, a.capacity_high or "NaN")
    with open(os.path.join(a.out, "demo.gp"), "w") as f:
        f.write(script)
    r = subprocess.run(["gnuplot", "demo.gp"], cwd=a.out, capture_output=True, text=True)
    if r.returncode:
        print("  plot: gnuplot failed: %s" % r.stderr.strip()[:300])
    else:
        print("  plot: %s (per-backend share, client p99, demand against forecast, the capacity plan)"
              % os.path.join(a.out, "demo.png"))


if __name__ == "__main__":
    main()
