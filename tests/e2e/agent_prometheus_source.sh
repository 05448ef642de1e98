#!/usr/bin/env bash
# Issue 8's real Prometheus stack: a Debian `prometheus` server (started
# here in the LB namespace on 127.0.0.1:9091, generated config, 1 s scrape
# interval, its TSDB in the case's directory, stopped after) scrapes xlbd's
# /metrics and the xlb-agent of each of three backends; its API has each
# series. Then one scenario twice in the same run: three backends at 20% CPU
# quota (1 ms of CPU a request) under open-loop load, and b3's quota cut to
# 2%. First xlbd scrapes the agents itself, then xlbd reads the same signals
# through the Prometheus source (prometheus.url, one PromQL per signal, no
# direct scrapes). The first cutting decision after the fault must be the
# same in both: same backend (b3), same rule, same direction; and xlbd's
# view of the agents' signals 1-5 s into the fault the same: b3 saturated
# (the most cpu_util read >= 0.8 of its quota: drained within it, b3 idles
# once its backlog is served), the others not (their median reading <=
# 0.6), fresh. While xlbd
# runs, every Grafana dashboard panel's query (xlbd's panels included) finds
# data on the server.
#
#   tests/e2e/agent_prometheus_source.sh [FILTER]
# shellcheck disable=SC2016,SC2119 # Python and PromQL single-quoted; xlbd_metrics takes an optional port
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/xlbd_lib.sh
. "$(dirname "$0")/xlbd_lib.sh"
# shellcheck source=tests/e2e/brain_lib.sh
. "$(dirname "$0")/brain_lib.sh"

SERIES_CASE=prometheus_scrapes_xlbd_and_every_agent_api_has_each_series
DECIDE_CASE=prometheus_source_makes_the_same_decision_as_direct_scrapes
PANELS_CASE=grafana_dashboard_every_panel_finds_data_with_xlbd
PROM_PORT=9091
RATE=150 # 50/s a backend: 25% of a 20% quota; 2.5x what 2% can serve
QUOTA=20% THROTTLED=2%
DASHBOARD=$E2E_REPO/tools/grafana/xlb-dashboard.json

e2e_want "$SERIES_CASE" || e2e_want "$DECIDE_CASE" || e2e_want "$PANELS_CASE" || {
	summary
	exit 0
}
if ! command -v prometheus >/dev/null; then
	for c in "$SERIES_CASE" "$DECIDE_CASE" "$PANELS_CASE"; do
		skip "$c" "prometheus is not installed (make deps)"
	done
	summary
	exit 0
fi
brain_need_agent "$SERIES_CASE"
xlbd_need
e2e_setup --backends 3
vip="$TOPO_VIP4:$E2E_HTTP_PORT/tcp" url="http://$TOPO_VIP4:$E2E_HTTP_PORT/"
PROM_DIR="$TOPO_RESULTS/prometheus"
mkdir -p "$PROM_DIR"
# the TSDB is scratch: evidence keeps the config and the log only
trap 'rm -rf "$PROM_DIR/tsdb"; _e2e_teardown' EXIT

# promq QUERY: the API's instant vector, one "labels value" line a sample
# (labels sorted, k=v comma separated); non-zero when the query fails.
PROMQ_PY='
import json, sys, urllib.parse, urllib.request
u = "http://127.0.0.1:%s/api/v1/query?query=%s" % (sys.argv[1], urllib.parse.quote(sys.argv[2]))
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
d = json.load(opener.open(u, timeout=5))
if d.get("status") != "success":
    sys.exit("query failed: %s" % d)
r = d["data"]["result"]
if d["data"]["resultType"] == "scalar":
    r = [{"metric": {}, "value": r}]
for s in r:
    print(",".join("%s=%s" % kv for kv in sorted(s["metric"].items())), s["value"][1])
'
promq() { topo_exec lb "$E2E_PY" -c "$PROMQ_PY" "$PROM_PORT" "$1"; }

agents=()
for n in b1 b2 b3; do agents+=("'$(e2e_node_addr "$TOPO_VIP4" "$n"):9470'"); done
targets=$(
	IFS=,
	echo "${agents[*]}"
)
cat >"$PROM_DIR/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: xlbd
    static_configs:
      - targets: ['127.0.0.1:$XLBD_METRICS_PORT']
  - job_name: xlb-agent
    static_configs:
      - targets: [$targets]
EOF

prometheus_up() {
	local i
	topo_start prometheus lb prometheus --config.file="$PROM_DIR/prometheus.yml" \
		--storage.tsdb.path="$PROM_DIR/tsdb" --storage.tsdb.retention.time=1h \
		--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >/dev/null || return 1
	for ((i = 0; i < 100; i++)); do
		[[ $(promq 'sum(up{job="xlb-agent"})' 2>/dev/null | awk '{ print $NF }') == 3 ]] && return 0
		sleep 0.2
	done
	echo "the agents are not all up in Prometheus after 20 s: $(promq 'up' 2>&1 | tr '\n' ' ')"
	return 1
}

# The PromQL per signal that gives xlbd what its own scrapes of the agent
# give (user/prom/node_signals.c): counters rated between the last two
# scrapes (irate), CPU relative to the agent's capacity (the quota).
prom_cfg() {
	local j='{job=\"xlb-agent\"}' jm='{job=\"xlb-agent\",mode=\"idle\"}'
	cat <<EOF
{ "log": { "format": "json" },
  "prometheus": { "url": "http://127.0.0.1:$PROM_PORT", "queries": {
    "cpu_util": "clamp_max(irate(xlb_agent_cpu_usage_seconds_total${j}[5s]) / xlb_agent_cpu_capacity_cores$j, 1)",
    "mem_util": "1 - node_memory_MemAvailable_bytes$j / node_memory_MemTotal_bytes$j",
    "load1": "node_load1$j / on (instance) count by (instance) (node_cpu_seconds_total$jm)",
    "service_latency_s": "irate(xlb_agent_service_probe_duration_seconds_sum${j}[5s]) / irate(xlb_agent_service_probe_duration_seconds_count${j}[5s])",
    "service_latency_last_s": "xlb_agent_service_probe_last_duration_seconds$j",
    "service_fail_ratio": "irate(xlb_agent_service_probe_failures_total${j}[5s]) / irate(xlb_agent_service_probes_total${j}[5s])"
  } } }
EOF
}

# scenario NAME: xlbd NAME on fresh weights, 10 s of load to learn the
# fleet, then b3's quota cut to 2% 0.5 s into 12 s of load; the fault's time
# in NAME-fault_t. xlbd keeps running (stopped by the caller).
scenario() {
	local name=$1
	e2e_vip_up "$vip" b1=100 b2=100 b3=100 || {
		e2e_problem "$name: VIP not set up"
		return 1
	}
	xlbd_start "$name" --config "$E2E_CASE_DIR/$name.conf" || {
		e2e_problem "$name: xlbd did not start"
		return 1
	}
	# At least 10 s of load to learn, then until no decision for 4 s (30 s
	# at most): the fault must meet a settled fleet, or the first cut after
	# it may be the tail of the learning. Through Prometheus, whose samples
	# lag, the learning's equalise steps came 3-4 s apart: an equalise of
	# b2 0.5 s after the fault once, of b1 (1.250 -> 1.119) 0.4 s after it
	# on 2026-12-08, each after 2 s without a decision.
	e2e_load_bg "$name-warm" http "$url" --new-conn --rate "$RATE" --duration 30
	local warm_pid=$E2E_BG_PID k
	sleep 10
	for ((k = 0; k < 40; k++)); do
		"$E2E_PY" -c '
import json, sys, time
last = [json.loads(l)["time"] for l in open(sys.argv[1]) if l.strip()][-1:]
sys.exit(0 if not last or time.time() - last[0] >= 4 else 1)' "$(xlbd_decisions "$name")" 2>/dev/null && break
		sleep 0.5
	done
	((k < 40)) || e2e_note "$name: the brain still deciding after 30 s of learning"
	e2e_load_bg_interrupt "$warm_pid"
	e2e_load_bg "$name-during" http "$url" --new-conn --rate "$RATE" --duration 12
	sleep 0.5
	date +%s.%N >"$E2E_CASE_DIR/$name-fault_t"
	topo_cgroup_quota b3 "$THROTTLED" >/dev/null || e2e_problem "$name: quota $THROTTLED not set"
	# xlbd's view of the agents' signals every 0.5 s from 1 s to 5 s into
	# the fault: b3 is drained within it, and a drained b3 idles once its
	# backlog is served, so its saturation is the most it read
	sleep 0.5
	for ((k = 0; k < 9; k++)); do
		sleep 0.5
		topo_exec lb "$E2E_PY" -c '
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
sys.stdout.write(opener.open("http://127.0.0.1:%s/status.json" % sys.argv[1], timeout=2).read().decode())' \
			"$XLBD_METRICS_PORT" >"$E2E_CASE_DIR/$name-status-$k.json" 2>&1
	done
	wait "$E2E_BG_PID"
	topo_cgroup_quota b3 "$QUOTA" >/dev/null || e2e_problem "$name: quota $QUOTA not restored"
}

if ! brain_agents_up b1=$QUOTA b2=$QUOTA b3=$QUOTA || ! e2e_attach native ||
	! e2e_vip_up "$vip" b1=100 b2=100 b3=100; then
	fail "$E2E_SCRIPT" "setup failed (agents, attach or VIP)"
	summary
	exit 1
fi

# --- the server scrapes xlbd and every agent
e2e_case_begin "$SERIES_CASE"
xlbd_config "$E2E_CASE_DIR/xlbd.conf" '{ "log": { "format": "json" } }'
if ! perr=$(prometheus_up); then
	e2e_problem "$perr"
elif xlbd_start xlbd-series --config "$E2E_CASE_DIR/xlbd.conf"; then
	for ((i = 0; i < 50; i++)); do
		[[ $(promq 'up{job="xlbd"}' 2>/dev/null | awk '{ print $NF }') == 1 ]] && break
		sleep 0.2
	done
	sleep 3 # a few scrapes, for the rates
	missing=""
	for s in xlb_agent_cpu_utilisation_ratio xlb_agent_cpu_usage_seconds_total \
		xlb_agent_cpu_capacity_cores xlb_agent_cgroup_cpu_usage_seconds_total \
		xlb_agent_cgroup_cpu_throttled_seconds_total \
		xlb_agent_service_probe_duration_seconds_bucket xlb_agent_service_probes_total \
		xlb_agent_service_probe_failures_total xlb_agent_service_probe_age_seconds \
		node_cpu_seconds_total node_memory_MemAvailable_bytes node_load1 \
		node_network_receive_bytes_total; do
		got=$(promq "count by (instance) ($s{job=\"xlb-agent\"})") || { missing+=" $s(query failed)"; continue; }
		for n in b1 b2 b3; do
			grep -q "instance=$(e2e_node_addr "$TOPO_VIP4" "$n"):9470 " <<<"$got" ||
				missing+=" $s@$n"
		done
	done
	for s in xlbd_pair_effective_weight xlbd_pair_health_state xlbd_pair_anomaly_score \
		xlbd_pair_scrape_age_seconds xlbd_tick_stage_seconds xlbd_decisions_total; do
		[[ -n $(promq "$s{job=\"xlbd\"}") ]] || missing+=" $s@xlbd"
	done
	n=$(promq 'xlbd_pair_effective_weight{job="xlbd"}' | grep -c .)
	((n == 3)) || missing+=" xlbd_pair_effective_weight: $n pairs, want 3"
	[[ -z $missing ]] && e2e_note "every agent series on each of 3 instances, xlbd's on its own; $n pairs"
	[[ -z $missing ]] || e2e_problem "missing:$missing"
fi
xlbd_stop xlbd-series
e2e_case_end

prom_running() { promq 'vector(1)' >/dev/null 2>&1; }

# --- the same scenario, direct scrapes then the Prometheus source
if e2e_want "$DECIDE_CASE" || e2e_want "$PANELS_CASE"; then
	e2e_case_begin "$DECIDE_CASE"
	if ! prom_running; then
		e2e_problem "the Prometheus server is not running"
	else
		xlbd_config "$E2E_CASE_DIR/direct.conf" '{ "log": { "format": "json" } }'
		xlbd_config "$E2E_CASE_DIR/prom.conf" "$(prom_cfg)"
		scenario direct
		xlbd_stop direct
		sleep 3 # b3's backlog drains at its full quota
		if scenario prom; then
			# every dashboard panel while this xlbd runs and the load has just ended
			"$E2E_PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
for p in d["panels"]:
    for t in p["targets"]:
        e = t["expr"].replace("$__rate_interval", "5s").replace("$instance", ".*")
        print(p["title"] + "\t" + e)' "$DASHBOARD" >"$E2E_CASE_DIR/panels.tsv"
			: >"$E2E_CASE_DIR/panels.out"
			while IFS=$'\t' read -r title expr; do
				if ! res=$(promq "$expr" 2>&1); then
					echo "FAIL	$title	query failed: $res" >>"$E2E_CASE_DIR/panels.out"
				elif [[ -z $res ]]; then
					echo "EMPTY	$title	$expr" >>"$E2E_CASE_DIR/panels.out"
				else
					echo "OK	$title	$(grep -c . <<<"$res") series" >>"$E2E_CASE_DIR/panels.out"
				fi
			done <"$E2E_CASE_DIR/panels.tsv"
			# the source fed every backend: no query failed, signals fresh
			m=$(xlbd_metrics)
			printf '%s\n' "$m" >"$E2E_CASE_DIR/prom-metrics.txt"
		fi
		xlbd_stop prom
		grep -h 'prometheus query' "$TOPO_RESULTS/proc/prom.log" 2>/dev/null |
			head -n 3 >"$E2E_CASE_DIR/prom-query-errors.txt"
		e2e_check '
d = sys.argv[1]
b3 = sys.argv[2]
# The first tick after the fault that cuts a backend: its cut of b3, or
# its first cut when b3 is not among them. A tick logs its decisions in
# pair order, milliseconds apart (ticks are 1 s apart): the equaliser
# re-splitting among the others what a hot b3 sheds comes in the same
# tick, and may come first in the log (b1 1.209 -> 1.086 beside b3 hot).
def first_cut(name):
    fault_t = float(open("%s/%s-fault_t" % (d, name)).read())
    decs = [json.loads(l) for l in open("%s/%s-state/decisions.jsonl" % (d, name)) if l.strip()]
    cuts = [x for x in decs if x["time"] >= fault_t and
            (x["new_factor"] < x["old_factor"] or (x["new_health"] != x["old_health"] and x["new_health"] != "ok"))]
    if not cuts: return None, fault_t
    tick = [x for x in cuts if x["time"] - cuts[0]["time"] < 0.3]
    cut = next((x for x in tick if x["backend"] == b3), tick[0])
    for x in tick:
        if x is not cut:
            print("info: %s: in the same tick: %s %s %.3f -> %.3f" % (
                name, x["backend"], x["rule"], x["old_factor"], x["new_factor"]))
    return cut, fault_t
def direction(x):
    return "down" if x["new_factor"] < x["old_factor"] or x["new_health"] != "ok" else "up"
got = {}
for name in ("direct", "prom"):
    c, t = first_cut(name)
    if c is None:
        print("%s: no decision cut a backend after the fault" % name); continue
    got[name] = (c["backend"], c["rule"], direction(c))
    print("info: %s: %s %s %s %.1f s after the fault (factor %.3f -> %.3f, health %s -> %s)"
          % (name, c["backend"], c["rule"], direction(c), c["time"] - t, c["old_factor"],
             c["new_factor"], c["old_health"], c["new_health"]))
    print("info: %s: reason: %s" % (name, c["reason"][:160]))
if len(got) == 2:
    if got["direct"] != got["prom"]:
        print("different decisions: direct scrapes %s, Prometheus source %s" % (got["direct"], got["prom"]))
    if got["direct"][0] != b3:
        print("the first cut is on %s, not the throttled backend %s" % (got["direct"][0], b3))
# The first cut (the hot rule) reads the data plane in-flight count as much
# as the agent signals; that the source feeds xlbd what direct scrapes feed
# it is checked on its own: b3 saturated at its 2% quota, the others not,
# fresh, by both sources.
def pairs(o, out):
    if isinstance(o, dict):
        if "address" in o and "cpu_util" in o:
            out[o["address"]] = o
        for v in o.values(): pairs(v, out)
    elif isinstance(o, list):
        for v in o: pairs(v, out)
    return out
import glob
num = lambda x: isinstance(x, (int, float))
last_missing = set()  # (source, address) without the last probe latency
for name in ("direct", "prom"):
    view = {}  # address -> (cpu_util readings, oldest scrape age)
    for f in sorted(glob.glob("%s/%s-status-*.json" % (d, name))):
        try:
            ps = pairs(json.load(open(f)), {})
        except ValueError as e:
            print("%s: no status.json in %s: %s" % (name, f, e)); continue
        for a, p in ps.items():
            u, g = p.get("cpu_util"), p.get("scrape_age_s")
            if not num(p.get("service_latency_last_s")):
                last_missing.add((name, a))
            us, mg = view.get(a, ([], 0))
            if not num(u) or not num(g):
                view[a] = (us, float("inf")); continue
            view[a] = (us + [u], max(mg, g))
    print("info: %s: cpu_util read 1-5 s into the fault (oldest scrape age s): %s" % (name, "; ".join(
        "%s %s (%.1f)" % (a, " ".join("%.2f" % u for u in us), g) for a, (us, g) in sorted(view.items()))))
    for a, (us, g) in view.items():
        if not us or g > 3:
            print("%s: %s has no fresh cpu_util (%s, age %s)" % (name, a, us, g)); continue
        # b3 idles once drained: the most it read says it saturated; the
        # others carry a steady share: their median is their level (one
        # Prometheus irate over a second of burst read 0.68 once)
        most, median = max(us), sorted(us)[len(us) // 2]
        if a == b3 and most < 0.8: print("%s: throttled %s read cpu_util %.2f at most, want >= 0.8" % (name, a, most))
        if a != b3 and median > 0.6: print("%s: %s read cpu_util %.2f (median), want <= 0.6" % (name, a, median))
    if b3 not in view: print("%s: no pair %s in status.json" % (name, b3))
for name, a in sorted(last_missing):
    print("%s: %s had no service_latency_last_s in a status.json" % (name, a))
errs = open(d + "/prom-query-errors.txt").read().strip()
if errs: print("Prometheus source queries failed: %s" % errs[:300])
' "$E2E_CASE_DIR" "$TOPO_B3_IP4"
		ages=$(awk '$1 ~ /^xlbd_pair_scrape_age_seconds/ { print $2 }' "$E2E_CASE_DIR/prom-metrics.txt" 2>/dev/null | tr '\n' ' ')
		awk -v a="$ages" 'BEGIN { n = split(a, v, " "); ok = n == 3
			for (i = 1; i <= n; i++) if (!(v[i] + 0 < 3)) ok = 0; exit !ok }' ||
			e2e_problem "the Prometheus source did not feed every backend: scrape ages $ages"
	fi
	e2e_case_end "$vip"

	e2e_case_begin "$PANELS_CASE"
	dir="$TOPO_RESULTS/$DECIDE_CASE"
	if [[ ! -s $dir/panels.out ]]; then
		e2e_problem "no panel was queried (the Prometheus-source xlbd did not run)"
	else
		cp "$dir/panels.out" "$E2E_CASE_DIR/"
		bad=$(grep -v '^OK' "$dir/panels.out" | cut -f 1,2 | tr '\t\n' ': ')
		[[ -z $bad ]] || e2e_problem "panels without data: $bad"
		e2e_note "$(grep -c '^OK' "$dir/panels.out") of $(grep -c . "$dir/panels.out") panels have data" \
			"($(grep -c 'xlbd_' "$dir/panels.tsv") read xlbd)"
	fi
	e2e_case_end
fi
topo_stop prometheus 2>/dev/null
brain_agents_down
summary
