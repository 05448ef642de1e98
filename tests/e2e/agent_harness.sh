#!/usr/bin/env bash
# xlb-agent in the namespace harness: an agent per backend namespace bound to
# the backend's cgroup and probing its service; its HTTP paths; promtool on a
# live scrape; a backend throttled to 10% reads saturated within 2 scrapes
# (through libxlbprom's signal tracker, xlbd's code path); the agent and a
# real prometheus-node-exporter agree on CPU utilisation within 5 points; a
# real Prometheus server scrapes every agent, its API has each series and
# xlb_promql_parse_vector reads it; every Grafana dashboard panel's query
# finds data (xlbd's panels: tests/e2e/agent_prometheus_source.sh).
#
#   tests/e2e/agent_harness.sh [FILTER]   run the checks whose name has FILTER
# shellcheck disable=SC2119 # topo_down takes an optional prefix, unused here
# shellcheck disable=SC2016 # the Python and awk programs are single-quoted
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/lib/testing.sh
. tests/lib/testing.sh
# shellcheck source=tools/topo.sh
. tools/topo.sh

BUILD=${BUILD:-build}
AGENT=$BUILD/xlb-agent
SIGNALS=$BUILD/tests/helpers/xlb-signals
PY=/usr/bin/python3
FILTER=${1:-}
SRV_PORT=8080
PROM_PORT=9090
TMP=""
LOAD_PID=""

cleanup() {
	[[ -n $LOAD_PID ]] && kill "$LOAD_PID" 2>/dev/null
	topo_down
	[[ -n $TMP ]] && rm -rf "$TMP"
}
trap cleanup EXIT

wanted() { [[ -z $FILTER || $1 == *"$FILTER"* ]]; }
tcheck() {
	wanted "$1" || return 0
	check "$@"
}

if ((EUID != 0)); then
	skip agent_harness "needs root (namespaces, cgroups)"
	summary
	exit 0
fi
for f in "$AGENT" "$SIGNALS" "$BUILD/xlb-backend" "$BUILD/xlb-load"; do
	if [[ ! -x $f ]]; then
		fail agent_harness "$f is not built (make all)"
		summary
		exit 1
	fi
done
TMP=$(mktemp -d /tmp/xlb-agent-e2e.XXXXXX)

# fetch NODE URL FILE: GET from inside NODE's namespace; prints the status.
FETCH_PY='
import sys, urllib.request, urllib.error
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    r = opener.open(sys.argv[1], timeout=5)
    status, body = r.status, r.read()
except urllib.error.HTTPError as e:
    status, body = e.code, e.read()
open(sys.argv[2], "wb").write(body)
print(status)
'
fetch() { topo_exec "$1" "$PY" -c "$FETCH_PY" "$2" "$3"; }
now() { date +%s.%N; }

# scrape NODE URL FILE: fetch with its time (the middle of the request)
# appended as FILE@TIME on stdout, for xlb-signals.
scrape() {
	local t0 t1 st
	t0=$(now)
	st=$(fetch "$1" "$2" "$3") || return 1
	t1=$(now)
	[[ $st == 200 ]] || {
		echo "GET $2: status $st" >&2
		return 1
	}
	echo "$3@$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", (a + b) / 2 }')"
}

field() { # field NAME LINE
	local kv
	for kv in $2; do
		[[ $kv == "$1="* ]] && echo "${kv#*=}" && return 0
	done
	return 1
}

topo_up --backends 2 >/dev/null || {
	fail agent_harness "topo_up failed"
	summary
	exit 1
}
B1=$TOPO_B1_IP4 B2=$TOPO_B2_IP4

# A backend serving HTTP in its cgroup (2 ms of CPU per request) and an
# agent beside it (outside the cgroup: its own work must not eat the quota).
for i in 1 2; do
	ip_var=TOPO_B${i}_IP4 cg_var=TOPO_CGROUP_B$i
	topo_start --cgroup "srv-b$i" "b$i" "$BUILD/xlb-backend" --name "b$i" \
		--port "$SRV_PORT" --threads 2 --cpu-us 2000 >/dev/null
	topo_start "agent-b$i" "b$i" "$AGENT" --listen "${!ip_var}:9470" \
		--cgroup "${!cg_var}" --probe "http://127.0.0.1:$SRV_PORT/" \
		--probe-interval 0.5 --probe-timeout $((i == 2 ? 5 : 2)) >/dev/null
done
# On b2 also a host-wide agent and node_exporter, to compare the two, and an
# agent probing a closed port.
topo_start agent-host-b2 b2 "$AGENT" --listen "$B2:9471" >/dev/null
topo_start agent-closed-b2 b2 "$AGENT" --listen "$B2:9472" \
	--probe tcp://127.0.0.1:1 --probe-interval 0.2 >/dev/null
if command -v prometheus-node-exporter >/dev/null; then
	topo_start node-exporter-b2 b2 prometheus-node-exporter \
		--web.listen-address="$B2:9100" >/dev/null
fi

wait_up() {
	local url=$1 i
	for ((i = 0; i < 50; i++)); do
		[[ $(fetch cl "$url" "$TMP/up" 2>/dev/null) == 200 ]] && return 0
		sleep 0.1
	done
	echo "$url did not answer in 5 s"
	return 1
}

agents_start() {
	wait_up "http://$B1:9470/healthz" && wait_up "http://$B2:9470/healthz" &&
		wait_up "http://$B2:9471/healthz" && wait_up "http://$B2:9472/healthz"
}
check agents_start_in_each_backend_namespace agents_start

agent_http_paths() {
	local st
	st=$(fetch cl "http://$B1:9470/metrics" "$TMP/m") || return 1
	[[ $st == 200 ]] || { echo "/metrics: $st"; return 1; }
	grep -q '^xlb_agent_cgroup_cpu_usage_seconds_total ' "$TMP/m" ||
		{ echo "no cgroup series in /metrics"; return 1; }
	st=$(fetch cl "http://$B1:9470/healthz" "$TMP/h") || return 1
	[[ $st == 200 && $(cat "$TMP/h") == ok ]] || { echo "/healthz: $st"; return 1; }
	st=$(fetch cl "http://$B1:9470/nope" "$TMP/n") || return 1
	[[ $st == 404 ]] || { echo "/nope: $st, expected 404"; return 1; }
}
tcheck agent_http_paths_metrics_healthz_and_404 agent_http_paths

# value NAME FILE: the value of an unlabelled series in a scrape.
value() { awk -v n="$1" '$1 == n { print $2 }' "$2"; }

# The probe's results: successes in the histogram, the tracker's latency, and
# a closed port's failures.
probe_results() {
	local s0 s1 out lat
	s0=$(scrape cl "http://$B1:9470/metrics" "$TMP/p0") || return 1
	sleep 1.2
	s1=$(scrape cl "http://$B1:9470/metrics" "$TMP/p1") || return 1
	out=$("$SIGNALS" "$s0" "$s1" | tail -n 1) || { echo "$out"; return 1; }
	lat=$(field latency_s "$out")
	if [[ $lat == nan ]] || ! awk -v l="$lat" 'BEGIN { exit !(l > 0 && l < 1) }'; then
		echo "b1 latency through the tracker: $out"
		return 1
	fi
	[[ $(field fail "$out") == 0.0000 ]] || { echo "b1 failures: $out"; return 1; }
	(($(value xlb_agent_service_probe_duration_seconds_count "$TMP/p1") >= 2)) ||
		{ echo "fewer than 2 successful probes"; return 1; }
	[[ $(value xlb_agent_service_probe_up "$TMP/p1") == 1 ]] || { echo "b1 probe not up"; return 1; }
	[[ $(fetch cl "http://$B2:9472/metrics" "$TMP/c") == 200 ]] || return 1
	(($(value xlb_agent_service_probe_failures_total "$TMP/c") >= 2)) ||
		{ echo "closed port: $(grep '^xlb_agent_service_probe' "$TMP/c" | tr '\n' ' ')"; return 1; }
	[[ $(value xlb_agent_service_probe_up "$TMP/c") == 0 ]] || { echo "closed port reads up"; return 1; }
	echo "b1 probe latency $lat s" >>"$TMP/figures"
}
tcheck service_probe_latency_and_failures probe_results

# A hung service (xlb-backend's SIGUSR1): b2's probe (5 s timeout) is stuck
# on its thread 2.5 s in; a scrape answers at once with the last result, whose
# age shows how stale it is.
hung_service() {
	local pid t0 t1 age
	pid=$(topo_pid srv-b2) || return 1
	kill -USR1 "$pid" || return 1
	sleep 2.5
	t0=$(now)
	[[ $(fetch cl "http://$B2:9470/metrics" "$TMP/hung") == 200 ]] || { kill -USR1 "$pid"; return 1; }
	t1=$(now)
	kill -USR1 "$pid"
	age=$(value xlb_agent_service_probe_age_seconds "$TMP/hung")
	awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 0.9) }' ||
		{ echo "scrape took $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s while the probe hangs"; return 1; }
	awk -v a="$age" 'BEGIN { exit !(a >= 1.5) }' ||
		{ echo "probe age $age s while the probe hangs"; return 1; }
	echo "hung service: scrape $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') s, probe age $age s" >>"$TMP/figures"
}
tcheck scrape_never_waits_for_a_hung_probe hung_service

# promtool lints node_exporter's own meminfo names (node_memory_MemTotal_bytes)
# as camelCase; the agent keeps them on purpose (same names as node_exporter),
# so exactly that lint is allowed and nothing else.
promtool_live() {
	local out
	command -v promtool >/dev/null || { echo "promtool missing (make deps)"; return 1; }
	[[ $(fetch cl "http://$B1:9470/metrics" "$TMP/p") == 200 ]] || return 1
	out=$(promtool check metrics <"$TMP/p" 2>&1 |
		grep -vE "^node_memory_[A-Za-z0-9_]+ metric names should be written in 'snake_case' not 'camelCase'$")
	[[ -z $out ]] || { echo "promtool: $out"; return 1; }
	grep -q '^# TYPE xlb_agent_service_probe_duration_seconds histogram' "$TMP/p" ||
		{ echo "no probe histogram"; return 1; }
}
tcheck promtool_check_metrics_on_a_live_scrape promtool_live

# b1 capped at 10% of a core, then loaded with ~0.4 core of demand (200
# requests/s x 2 ms): the agent's quota-relative utilisation, read through
# the tracker, is saturated within 2 scrapes of the load.
throttle_shows() {
	local s0 s1 s2 out idle_util util i
	topo_cgroup_quota b1 10% || return 1
	s0=$(scrape cl "http://$B1:9470/metrics" "$TMP/t0") || return 1
	sleep 1
	s1=$(scrape cl "http://$B1:9470/metrics" "$TMP/t1") || return 1
	out=$("$SIGNALS" "$s0" "$s1") || { echo "$out"; return 1; }
	idle_util=$(field cpu_util "$(echo "$out" | tail -n 1)")
	topo_exec cl "$BUILD/xlb-load" http "http://$B1:$SRV_PORT/" --rate 200 \
		--duration 6 --max-inflight 64 --timeout 3000 >"$TMP/load.out" 2>&1 &
	LOAD_PID=$!
	s0=$(scrape cl "http://$B1:9470/metrics" "$TMP/l0") || return 1
	sleep 1
	s1=$(scrape cl "http://$B1:9470/metrics" "$TMP/l1") || return 1
	sleep 1
	s2=$(scrape cl "http://$B1:9470/metrics" "$TMP/l2") || return 1
	out=$("$SIGNALS" "$s0" "$s1" "$s2") || { echo "$out"; return 1; }
	kill "$LOAD_PID" 2>/dev/null
	wait "$LOAD_PID" 2>/dev/null
	LOAD_PID=""
	topo_cgroup_quota_clear b1
	util=$(field cpu_util "$(echo "$out" | tail -n 1)")
	echo "throttled b1: idle cpu_util $idle_util; loaded, per scrape: $(grep -o 'cpu_util=[^ ]*' <<<"$out" | tr '\n' ' ')" | tee -a "$TMP/figures"
	[[ $idle_util != nan && $util != nan ]] || { echo "no utilisation read"; return 1; }
	awk -v i="$idle_util" 'BEGIN { exit !(i < 0.5) }' ||
		{ echo "idle backend reads $idle_util"; return 1; }
	awk -v u="$util" 'BEGIN { exit !(u >= 0.8) }' ||
		{ echo "throttled backend reads $util after 2 scrapes"; return 1; }
	i=$(grep -c 'throttled' "$TMP/l2")
	((i > 0)) || { echo "no throttling series"; return 1; }
}
tcheck throttle_to_10_percent_reads_saturated_within_2_scrapes throttle_shows

# Same backend host, same interval: the agent (no cgroup: host-wide) and
# node_exporter through the same tracker, within 5 points.
agent_vs_node_exporter() {
	local a0 n0 a1 n1 ua un
	command -v prometheus-node-exporter >/dev/null ||
		{ echo "prometheus-node-exporter missing (make deps)"; return 1; }
	wait_up "http://$B2:9100/metrics" || return 1
	a0=$(scrape b2 "http://$B2:9471/metrics" "$TMP/a0") || return 1
	n0=$(scrape b2 "http://$B2:9100/metrics" "$TMP/n0") || return 1
	# 5 s: the two intervals differ by the scrapes' own time at the ends
	sleep 5
	n1=$(scrape b2 "http://$B2:9100/metrics" "$TMP/n1") || return 1
	a1=$(scrape b2 "http://$B2:9471/metrics" "$TMP/a1") || return 1
	ua=$("$SIGNALS" "$a0" "$a1" | tail -n 1) || { echo "$ua"; return 1; }
	un=$("$SIGNALS" "$n0" "$n1" | tail -n 1) || { echo "$un"; return 1; }
	echo "b2 agent: $ua" | tee -a "$TMP/figures"
	echo "b2 node_exporter: $un" | tee -a "$TMP/figures"
	[[ $(field source "$un") == node_exporter && $(field source "$ua") == xlb-agent ]] ||
		{ echo "sources not told apart"; return 1; }
	[[ $(field cpu_util "$ua") != nan && $(field cpu_util "$un") != nan ]] ||
		{ echo "no cpu utilisation"; return 1; }
	awk -v a="$(field cpu_util "$ua")" -v n="$(field cpu_util "$un")" \
		'BEGIN { d = a - n; if (d < 0) d = -d; exit !(d <= 0.05) }' ||
		{ echo "cpu utilisation differs by more than 5 points"; return 1; }
	awk -v a="$(field mem_util "$ua")" -v n="$(field mem_util "$un")" \
		'BEGIN { d = a - n; if (d < 0) d = -d; exit !(d <= 0.05) }' ||
		{ echo "memory utilisation differs by more than 5 points"; return 1; }
}
tcheck agent_and_node_exporter_agree_within_5_points agent_vs_node_exporter

# promql NAME QUERY: the API's answer for QUERY, read by
# xlb_promql_parse_vector, into $TMP/NAME.txt.
promql() {
	local q
	q=$($PY -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$2")
	[[ $(fetch cl "http://127.0.0.1:$PROM_PORT/api/v1/query?query=$q" "$TMP/$1.json") == 200 ]] ||
		{ echo "query $2 failed: $(head -c 300 "$TMP/$1.json")"; return 1; }
	"$SIGNALS" --promql "$TMP/$1.json" >"$TMP/$1.txt"
}

prometheus_start() {
	command -v prometheus >/dev/null || { echo "prometheus missing (make deps)"; return 1; }
	cat >"$TMP/prometheus.yml" <<-EOF
		global:
		  scrape_interval: 1s
		  evaluation_interval: 1s
		scrape_configs:
		  - job_name: xlb-agent
		    static_configs:
		      - targets: ['$B1:9470', '$B2:9470', '$B2:9471', '$B2:9472']
		  - job_name: node
		    static_configs:
		      - targets: ['$B2:9100']
	EOF
	topo_start prometheus cl prometheus --config.file="$TMP/prometheus.yml" \
		--storage.tsdb.path="$TMP/tsdb" --web.listen-address="127.0.0.1:$PROM_PORT" \
		--log.level=warn >/dev/null || return 1
	wait_up "http://127.0.0.1:$PROM_PORT/-/ready" || sleep 5
	wait_up "http://127.0.0.1:$PROM_PORT/-/ready" || return 1
	# every target up, and a few scrapes in, so rate() has two points
	local i
	for ((i = 0; i < 30; i++)); do
		promql up 'sum(up)' && [[ $(awk '{ print $NF }' "$TMP/up.txt") == 5 ]] && break
		sleep 0.5
	done
	[[ $(awk '{ print $NF }' "$TMP/up.txt") == 5 ]] ||
		{ echo "targets up: $(cat "$TMP/up.txt")"; return 1; }
	sleep 4
}
# The checks after this one query the server: it starts when any is chosen.
if wanted prometheus_scrapes_every_agent || wanted prometheus_api_has_each_agent_series ||
	wanted grafana_dashboard_agent_panels_find_data; then
	check prometheus_scrapes_every_agent prometheus_start
fi

prometheus_has_each_series() {
	local s inst missing=""
	for s in node_cpu_seconds_total node_memory_MemAvailable_bytes node_load1 \
		node_network_receive_bytes_total node_tcp_connection_states \
		xlb_agent_cpu_utilisation_ratio xlb_agent_cpu_usage_seconds_total \
		xlb_agent_cgroup_cpu_usage_seconds_total xlb_agent_cgroup_cpu_throttled_seconds_total \
		xlb_agent_service_probe_duration_seconds_bucket \
		xlb_agent_service_probe_failures_total xlb_agent_service_probe_age_seconds; do
		promql series "count by (instance) ($s{job=\"xlb-agent\"})" || return 1
		for inst in "$B1:9470" "$B2:9470"; do
			grep -q "instance=$inst " "$TMP/series.txt" || missing+=" $s@$inst"
		done
	done
	[[ -z $missing ]] || { echo "missing:$missing"; return 1; }
	# the Prometheus source in xlbd's form: one PromQL per signal, by instance
	promql util 'xlb_agent_cpu_utilisation_ratio' || return 1
	[[ $(grep -c 'job=xlb-agent' "$TMP/util.txt") == 4 ]] ||
		{ echo "utilisation vector: $(cat "$TMP/util.txt")"; return 1; }
}
tcheck prometheus_api_has_each_agent_series prometheus_has_each_series

# Every panel of the dashboard, Grafana's variables given their "All" value.
# PANELS lists "title<TAB>expr" lines; the xlbd ones need a running xlbd.
PANELS=$($PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
for p in d["panels"]:
    for t in p["targets"]:
        e = t["expr"].replace("$__rate_interval", "5s").replace("$instance", ".*")
        print(p["title"] + "\t" + e)
' tools/grafana/xlb-dashboard.json)

dashboard_queries() {
	local expr title n=0 empty=""
	while IFS=$'\t' read -r title expr; do
		[[ $expr == *xlbd_* ]] && continue
		promql panel "$expr" || return 1
		[[ -s $TMP/panel.txt ]] || empty+=" '$title'"
		n=$((n + 1))
	done <<<"$PANELS"
	((n > 0)) || { echo "no agent panels"; return 1; }
	[[ -z $empty ]] || { echo "no data for:$empty"; return 1; }
	echo "$n agent panels have data"
}
tcheck grafana_dashboard_agent_panels_find_data dashboard_queries
# The xlbd panels (and every other one) are checked against a real
# Prometheus scraping a running xlbd by agent_prometheus_source.sh.

[[ -s $TMP/figures ]] && sed 's/^/# /' "$TMP/figures"
summary
