#!/usr/bin/python3
"""tools/demo/summary.py: the demo's summary, self-checks and plot.

Reads the run's files in --state (PHASE.load.json of every phase, the
client's progress.log, the monitor's samples.jsonl, events.jsonl and xlbd's
decision log), prints the phases' requests, errors and latency, each event
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
FAILOVER_GRACE_S = 1.0  # requests in flight when the backend went down
DOWN_BOUND_S = 5.0      # kill -> down, generous for a busy 2-core machine


def finite(x):
    return isinstance(x, (int, float)) and math.isfinite(x)


def lines(path):
    try:
        with open(path) as f:
            return [json.loads(l) for l in f if l.strip()]
    except OSError:
        return []


def progress(path):
    """[(t_end, interval_s, ok_per_s, errors, p99_ms, phase)] on the wall
    clock: each phase's load starts after a "start PHASE EPOCH" line."""
    out, start, last, phase = [], None, 0.0, None
    for line in open(path):
        if line.startswith("start "):
            phase, start, last = line.split()[1], float(line.split()[2]), 0.0
            continue
        m = PROGRESS.match(line)
        if m and start is not None:
            t = float(m.group(1))
            out.append((start + t, t - last, float(m.group(5)), int(m.group(6)), float(m.group(8)), phase))
            last = t
    return out


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
    for ph in a.phases:
        try:
            r = json.load(open(os.path.join(a.state, ph + ".load.json")))
        except (OSError, ValueError):
            print("  %-8s (no report)" % ph)
            continue
        reports[ph] = r
        lat = r.get("latency_ms", {})
        requests += r["completed"]
        errors += r["errors"]["total"]
        print("  %-8s %9d %7d %9.2f %9.2f %9.2f" % (ph, r["completed"], r["errors"]["total"],
                                                  lat.get("p50", 0), lat.get("p99", 0), lat.get("max", 0)))
    print("  total    %9d %7d" % (requests, errors))
    flowed = [ph for ph in a.phases if ph in reports and
              reports[ph]["completed"] >= 0.5 * a.rate * reports[ph].get("elapsed_s", 1)]
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

    def listing(ds, most=6):
        """Decisions, the routine ones (equalise, slow start) folded into a
        line per backend and rule, the others one line each."""
        out, folded = [], {}
        for d in ds:
            if d.get("rule") in ("equalise", "slow_start"):
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

    # The gray failure: the degraded backend cut (factor halved) or drained
    # before the first client error after the ramp began.
    deg = events.get("degrade")
    if deg:
        mine = [d for d in decisions if d["backend"] == addr[a.degraded] and
                deg["t"] <= d["time"] < next_event(deg)]
        before = [d for d in decisions if d["backend"] == addr[a.degraded] and d["time"] < deg["t"]]
        f0 = before[-1]["new_factor"] if before else 1.0
        cut = [d for d in mine if d["new_health"] != "ok" or d["new_factor"] <= 0.5 * f0]
        t_err = first_error_in("degrade", deg["t"])
        print("\n  event +%.1f s: %s; %s" % (rel(deg["t"]), deg["text"], p99s("learn", "degrade")))
        print("\n".join(listing(mine)))
        if cut:
            lead = ("%.1f s before the first client error" % (t_err - cut[0]["time"]) if t_err
                    else "no client error during the degradation")
            print("    => cut %.1f s after the ramp began, %s" % (cut[0]["time"] - deg["t"], lead))
        check(cut and (t_err is None or cut[0]["time"] < t_err),
              "degraded %s: weight cut or drained %s, before the first client error (%s)"
              % (a.degraded, "%.1f s into the ramp" % (cut[0]["time"] - deg["t"]) if cut else "never",
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

    # Forecast against the measured demand.
    fc = [(s["demand"], s["forecast"]) for s in samples
          if finite(s.get("demand")) and finite(s.get("forecast")) and s["demand"] > 0]
    if fc:
        err = sum(abs(f - d) / d for d, f in fc) / len(fc)
        print("\n  demand forecast: mean absolute error %.1f%% over %d samples (the VIP's measured rate "
              "against xlbd_vip_forecast_per_second)" % (100 * err, len(fc)))
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
        for s in samples:
            if finite(s.get("demand")) and finite(s.get("forecast")):
                f.write("%.2f %.2f %.2f\n" % (s["t"] - t0, s["demand"], s["forecast"]))
    arrows = "".join("set arrow from %.1f, graph 0 to %.1f, graph 1 nohead dt 2 lc rgb 'gray40'\n"
                     "set label '%s' at %.1f, graph 0.95 offset 0.3,0 font ',8'\n"
                     % (e["t"] - t0, e["t"] - t0, e["name"], e["t"] - t0)
                     for e in events.values() if e["name"] != "learned")
    xmax = max([s["t"] - t0 for s in samples] + [t_end - t0 for t_end, *_ in prog] + [1])
    share = ", ".join("'share.dat' using 1:%d with lines lw 2 title '%s'" % (2 + 2 * i, n)
                      for i, n in enumerate(names))
    script = """set terminal pngcairo size 1100,900 font ',10'
set output 'demo.png'
set multiplot layout 3,1 title 'xlb demo: the brain at work (events dashed)'
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
plot 'forecast.dat' using 1:2 with lines lw 2 title 'demand (measured)', 'forecast.dat' using 1:3 with lines lw 2 dt 2 title 'forecast', 'client.dat' using 1:2 with lines lw 1 title 'client ok/s'
unset multiplot
""" % (xmax, arrows, share)
    with open(os.path.join(a.out, "demo.gp"), "w") as f:
        f.write(script)
    r = subprocess.run(["gnuplot", "demo.gp"], cwd=a.out, capture_output=True, text=True)
    if r.returncode:
        print("  plot: gnuplot failed: %s" % r.stderr.strip()[:300])
    else:
        print("  plot: %s (per-backend share, client p99, demand against forecast)"
              % os.path.join(a.out, "demo.png"))


if __name__ == "__main__":
    main()
