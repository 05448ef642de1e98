#!/usr/bin/python3
"""tools/demo/monitor.py: the demo's live view and sampler, run in the LB's
network namespace (it needs the pins and xlbd's /metrics on 127.0.0.1).

Every second it reads what an operator would look at -- `xlbctl --json
backend list` (operator state, health, base and effective weight, the
brain's factor and reason), `xlbctl --json stats --interval 0` (new flows
per backend, turned into rates), xlbd's /metrics (anomaly score, probe
latency, demand and forecast), each backend's CPU quota from its cgroup, the
client's per-interval progress lines -- and appends one JSON line to the
samples file. Every --view-every seconds it prints a table of it; while a
load whose name starts with --ticker runs (the ramp's steps), a line a
second besides (offered rate, demand, forecast, the capacity plan); every
new line of xlbd's decision log is printed as it comes. Bounded by
--duration; SIGTERM or SIGINT stop it.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

STOP = False


def on_signal(_sig, _frame):
    global STOP
    STOP = True


def xlbctl_json(args, *cmd):
    out = subprocess.run([args.xlbctl, "--pin-path", args.pin_path, "--json", *cmd],
                         capture_output=True, text=True, timeout=5)
    if out.returncode:
        raise RuntimeError("xlbctl %s: %s" % (" ".join(cmd), out.stderr.strip()))
    return json.loads(out.stdout)


SAMPLE = re.compile(r'^(xlbd_[a-z_]+)\{([^}]*)\} (\S+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def metrics(url):
    """{(name, vip, backend): value} of xlbd's labelled series."""
    out = {}
    try:
        with urllib.request.urlopen(url, timeout=1) as f:
            text = f.read().decode()
    except OSError:
        return out
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if not m:
            continue
        labels = dict(LABEL.findall(m.group(2)))
        try:
            out[(m.group(1), labels.get("vip"), labels.get("backend"))] = float(m.group(3))
        except ValueError:
            pass
    return out


def quota(cgroup_dir):
    """The cgroup's CPU quota as a share of one CPU, None when unlimited."""
    try:
        if os.path.exists(os.path.join(cgroup_dir, "cpu.max")):
            q, p = open(os.path.join(cgroup_dir, "cpu.max")).read().split()
        else:
            q = open(os.path.join(cgroup_dir, "cpu.cfs_quota_us")).read().strip()
            p = open(os.path.join(cgroup_dir, "cpu.cfs_period_us")).read().strip()
        if q in ("max", "-1"):
            return None
        return int(q) / int(p)
    except (OSError, ValueError):
        return None


PROGRESS = re.compile(r'^progress +([\d.]+) s: sent (\d+) \(([\d.]+)/s\) completed (\d+) '
                      r'\(([\d.]+)/s\) errors (\d+) +p50 ([\d.]+) p99 ([\d.]+) max ([\d.]+) ms')


TAGGED = re.compile(r'^\[(\S+)\] (.*)$')


class Progress:
    """The client's progress lines; "start NAME EPOCH" lines (the demo's)
    say when each load began, so every interval gets a wall-clock time.
    Lines tagged "[NAME] " are that load's (the ramp's steps overlap); the
    latest load's are the client's now."""

    def __init__(self, path):
        self.path, self.pos, self.start, self.last, self.phase = path, 0, None, None, None

    def poll(self):
        try:
            with open(self.path) as f:
                f.seek(self.pos)
                data = f.read()
        except OSError:
            return
        cut = data.rfind("\n") + 1
        self.pos += len(data[:cut].encode())
        for line in data[:cut].splitlines():
            if line.startswith("start "):
                self.phase, self.start = line.split()[1], float(line.split()[2])
                continue
            tag = TAGGED.match(line)
            if tag:
                if tag.group(1) != self.phase:
                    continue  # an earlier step's last answers
                line = tag.group(2)
            m = PROGRESS.match(line)
            if m and self.start is not None:
                self.last = {"t": self.start + float(m.group(1)), "load": self.phase,
                             "sent_per_s": float(m.group(3)),
                             "ok_per_s": float(m.group(5)), "errors": int(m.group(6)),
                             "p99_ms": float(m.group(8))}


class Decisions:
    def __init__(self, path):
        self.path, self.pos = path, 0

    def poll(self):
        try:
            with open(self.path) as f:
                f.seek(self.pos)
                data = f.read()
        except OSError:
            return []
        cut = data.rfind("\n") + 1
        self.pos += len(data[:cut].encode())
        out = []
        for line in data[:cut].splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out


def show_decision(d, names, t0):
    name = names.get(d.get("backend"), d.get("backend"))
    change = []
    if d.get("old_factor") != d.get("new_factor"):
        change.append("factor %.2f -> %.2f" % (d.get("old_factor") or 0, d.get("new_factor") or 0))
    if d.get("old_health") != d.get("new_health"):
        change.append("health %s -> %s" % (d.get("old_health"), d.get("new_health")))
    reason = d.get("reason", "")
    if len(reason) > 150:
        reason = reason[:147] + "..."
    print("    >> decision +%5.1f s  %s  %s (rule %s): %s"
          % (d["time"] - t0, name, ", ".join(change) or "no change", d.get("rule"), reason), flush=True)


def show_table(s, t0):
    c = s.get("client") or {}
    print("\n    -- +%.0f s  client: %.0f req/s sent, %.0f ok/s, %d errors, p99 %.1f ms   "
          "VIP demand %s/s, forecast %s/s"
          % (s["t"] - t0, c.get("sent_per_s", 0), c.get("ok_per_s", 0), c.get("errors", 0),
             c.get("p99_ms", 0), fmt(s.get("demand"), "%.0f"), fmt(s.get("forecast"), "%.0f")))
    print("    capacity plan: predicted utilisation %s (high mark %s), %s active, %s in the standby pool"
          % (fmt(s.get("util"), "%.2f"), fmt(s.get("high"), "%.2f"), fmt(s.get("active_n"), "%.0f"),
             fmt(s.get("standby_n"), "%.0f")))
    print("    %-4s %6s  %-9s %-8s %5s %5s %6s %6s %6s %7s %8s"
          % ("", "quota", "operator", "health", "base", "eff", "factor", "new/s", "share",
             "anomaly", "probe"))
    for name in sorted(s["backends"]):
        b = s["backends"][name]
        print("    %-4s %6s  %-9s %-8s %5d %5d %6.2f %6.0f %5.1f%% %7s %8s"
              % (name, fmt(b["quota"], "%.0f%%", 100), b["op_state"], b["health"], b["base_weight"],
                 b["weight"], b["factor"], b["new_per_s"], b["share"], fmt(b["anomaly"], "%.2f"),
                 fmt(b["probe_s"], "%.1fms", 1000)), flush=True)


def show_ticker(s, phase, t0, standby):
    c = s.get("client") or {}
    if c.get("load") != phase:
        c = {}  # the step has only just begun: no line of its own yet
    b = s["backends"].get(standby, {})
    print("    .. +%5.1f s  %-7s sent %4s/s  demand %s/s  forecast %s/s  predicted util %s (high %s)  "
          "active %s, standby %s  %s %s %s, share %.0f%%  p99 %s ms"
          % (s["t"] - t0, phase, fmt(c.get("sent_per_s"), "%.0f"), fmt(s.get("demand"), "%.0f"),
             fmt(s.get("forecast"), "%.0f"), fmt(s.get("util"), "%.2f"), fmt(s.get("high"), "%.2f"),
             fmt(s.get("active_n"), "%.0f"), fmt(s.get("standby_n"), "%.0f"), standby,
             b.get("op_state", "?"), b.get("weight", 0), b.get("share", 0), fmt(c.get("p99_ms"), "%.1f")),
          flush=True)


def fmt(v, f, scale=1):
    return "-" if v is None or v != v else f % (v * scale)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--xlbctl", required=True)
    p.add_argument("--pin-path", required=True)
    p.add_argument("--metrics", required=True)
    p.add_argument("--decisions", required=True)
    p.add_argument("--progress", required=True)
    p.add_argument("--vip", required=True)
    p.add_argument("--backend", action="append", default=[], help="NAME=ADDR=CGROUP_DIR")
    p.add_argument("--samples", required=True)
    p.add_argument("--view-every", type=float, default=3)
    p.add_argument("--duration", type=float, default=600)
    p.add_argument("--t0", type=float, default=time.time())
    p.add_argument("--ticker", default="", help="a line a second while a load of this prefix runs")
    p.add_argument("--standby", default="", help="the backend the ticker follows")
    p.add_argument("--capacity-high", type=float)
    args = p.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    backends = [b.split("=", 2) for b in args.backend]
    names = {addr: name for name, addr, _ in backends}
    progress, decisions = Progress(args.progress), Decisions(args.decisions)
    prev_flows, prev_t, last_view = {}, None, 0.0
    end = time.time() + args.duration
    with open(args.samples, "a") as out:
        while not STOP and time.time() < end:
            tick = time.time()
            try:
                pairs = {p["address"]: p for p in xlbctl_json(args, "backend", "list", args.vip)}
                stats = xlbctl_json(args, "stats", "--interval", "0")
            except (OSError, RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
                print("    monitor: %s" % e, file=sys.stderr, flush=True)
                time.sleep(1)
                continue
            now = time.time()
            flows = {b["address"]: b["new_flows"] for v in stats["vips"] if v["vip"] == args.vip
                     for b in v["backends"]}
            m = metrics(args.metrics)
            progress.poll()
            s = {"t": now, "client": progress.last, "backends": {},
                 "demand": m.get(("xlbd_vip_demand_per_second", args.vip, None)),
                 "forecast": m.get(("xlbd_vip_forecast_per_second", args.vip, None)),
                 "util": m.get(("xlbd_vip_capacity_predicted_utilisation", args.vip, None)),
                 "high": args.capacity_high,
                 "active_n": m.get(("xlbd_vip_capacity_active_backends", args.vip, None)),
                 "standby_n": m.get(("xlbd_vip_capacity_standby_backends", args.vip, None))}
            dt = now - prev_t if prev_t else None
            rates = {a: (flows[a] - prev_flows.get(a, flows[a])) / dt if dt else 0.0 for a in flows}
            total = sum(rates.values())
            for name, addr, cg in backends:
                pr = pairs.get(addr, {})
                s["backends"][name] = {
                    "quota": quota(cg), "op_state": pr.get("op_state", pr.get("state", "?")),
                    "health": pr.get("health", "?"), "base_weight": pr.get("base_weight", 0),
                    "weight": pr.get("weight", 0), "factor": pr.get("factor", 1.0),
                    "reason": pr.get("reason", ""), "new_per_s": rates.get(addr, 0.0),
                    "share": 100.0 * rates.get(addr, 0.0) / total if total else 0.0,
                    "anomaly": m.get(("xlbd_pair_anomaly_score", args.vip, addr)),
                    "probe_s": m.get(("xlbd_pair_probe_latency_seconds", args.vip, addr))}
            prev_flows, prev_t = flows, now
            out.write(json.dumps(s) + "\n")
            out.flush()
            for d in decisions.poll():
                show_decision(d, names, args.t0)
            if now - last_view >= args.view_every - 0.05 and dt:
                show_table(s, args.t0)
                last_view = now
            elif args.ticker and (progress.phase or "").startswith(args.ticker) and dt:
                show_ticker(s, progress.phase, args.t0, args.standby)
            time.sleep(max(0.0, 1.0 - (time.time() - tick)))
    for d in decisions.poll():
        show_decision(d, names, args.t0)


if __name__ == "__main__":
    main()
