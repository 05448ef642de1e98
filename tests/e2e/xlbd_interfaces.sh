#!/usr/bin/env bash
# xlbd's interfaces (issue 14): /metrics is valid Prometheus text
# (`promtool check metrics`, no lint problems) with every family the issue
# lists; under systemd's Type=notify protocol (a NOTIFY_SOCKET listener
# standing in for PID 1) it says READY=1 once it runs, READY=1 again after a
# SIGHUP reload, and STOPPING=1 on SIGTERM; --once prints its decisions as
# a JSON array and --dry-run writes nothing; with prometheus.url its
# instant queries feed the backends their instance labels name.
#
#   tests/e2e/xlbd_interfaces.sh [FILTER]
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/xlbd_lib.sh
. "$(dirname "$0")/xlbd_lib.sh"

METRICS_CASE=xlbd_metrics_pass_promtool_check_metrics
NOTIFY_CASE=xlbd_type_notify_ready_reload_stopping
ONCE_CASE=xlbd_once_prints_decisions_and_dry_run_writes_nothing
PROM_CASE=xlbd_prometheus_server_queries_feed_every_backend
LISTENER=$E2E_REPO/tests/e2e/xlbd_notify_listener.py

e2e_want "$METRICS_CASE" || e2e_want "$NOTIFY_CASE" || e2e_want "$ONCE_CASE" || e2e_want "$PROM_CASE" || {
	summary
	exit 0
}
xlbd_need
e2e_setup --backends 2
vip="$TOPO_VIP4:$E2E_HTTP_PORT/tcp"
e2e_attach native && e2e_vip_up "$vip" b1=100 b2=100

if e2e_want "$METRICS_CASE"; then
	e2e_case_begin "$METRICS_CASE"
	cfg="$E2E_CASE_DIR/xlbd.conf"
	xlbd_config "$cfg" '{ "scrape": { "enabled": false } }'
	if ! command -v promtool >/dev/null; then
		e2e_problem "promtool is not installed (make deps: prometheus)"
	elif xlbd_start xlbd --config "$cfg"; then
		sleep 2.5
		xlbd_metrics >"$E2E_CASE_DIR/metrics.txt" 2>&1
		out=$(promtool check metrics <"$E2E_CASE_DIR/metrics.txt" 2>&1) ||
			e2e_problem "promtool check metrics: $(head -n 3 <<<"$out" | tr '\n' ' ')"
		[[ -z $out ]] || e2e_problem "promtool lint: $(head -n 3 <<<"$out" | tr '\n' ' ')"
		for f in xlbd_pair_effective_weight xlbd_pair_base_weight \
			xlbd_pair_health_state xlbd_pair_anomaly_score \
			xlbd_vip_forecast_per_second xlbd_vip_forecast_error \
			xlbd_pair_probe_latency_seconds xlbd_pair_probes_failed_total \
			xlbd_pair_scrape_age_seconds xlbd_tick_stage_seconds \
			xlbd_tick_lateness_seconds xlbd_decisions_total; do
			grep -q "^# TYPE $f " "$E2E_CASE_DIR/metrics.txt" ||
				e2e_problem "no $f family"
		done
		grep -q "^xlbd_pair_effective_weight{vip=\"$vip\",backend=\"$TOPO_B1_IP4\"} 100$" \
			"$E2E_CASE_DIR/metrics.txt" || e2e_problem "no effective weight 100 for b1"
		e2e_note "$(grep -vc '^#' "$E2E_CASE_DIR/metrics.txt") samples in $(grep -c '^# TYPE' "$E2E_CASE_DIR/metrics.txt") families pass promtool"
	fi
	xlbd_stop xlbd
	e2e_case_end
fi

if e2e_want "$NOTIFY_CASE"; then
	e2e_case_begin "$NOTIFY_CASE"
	cfg="$E2E_CASE_DIR/xlbd.conf"
	sock="$E2E_CASE_DIR/notify.sock"
	msgs="$E2E_CASE_DIR/notify.txt"
	: >"$msgs"
	xlbd_config "$cfg" '{ "scrape": { "enabled": false } }'
	topo_start notify lb "$E2E_PY" "$LISTENER" "$sock" "$msgs" >/dev/null
	for ((i = 0; i < 50; i++)); do [[ -S $sock ]] && break; sleep 0.05; done
	XLBD_ENV=("NOTIFY_SOCKET=$sock")
	if xlbd_start xlbd --config "$cfg"; then
		sleep 0.5
		grep -q 'READY=1' "$msgs" || e2e_problem "no READY=1 after start"
		kill -HUP "$XLBD_PID"
		sleep 0.5
		(($(grep -c 'READY=1' "$msgs") >= 2)) || e2e_problem "no READY=1 after the SIGHUP reload"
		grep -q 'config reloaded' "$msgs" || e2e_problem "no reload STATUS"
		xlbd_stop xlbd
		sleep 0.3
		grep -q 'STOPPING=1' "$msgs" || e2e_problem "no STOPPING=1 on SIGTERM"
		e2e_note "messages: $(cut -d' ' -f2- "$msgs" | tr '\n' ';')"
	fi
	XLBD_ENV=()
	topo_stop notify 2>/dev/null
	e2e_case_end
fi

if e2e_want "$ONCE_CASE"; then
	e2e_case_begin "$ONCE_CASE"
	cfg="$E2E_CASE_DIR/xlbd.conf"
	xlbd_config "$cfg" '{ "scrape": { "enabled": false } }'
	before=$(xlbctl --json backend list)
	out=$(topo_exec lb "$XLBD_BIN" --pin-dir "$TOPO_PIN_DIR" --config "$cfg" \
		--once --dry-run 2>"$E2E_CASE_DIR/once.err")
	rc=$?
	((rc == 0)) || e2e_problem "--once --dry-run exited $rc: $(tail -n 1 "$E2E_CASE_DIR/once.err")"
	"$E2E_PY" -c 'import json, sys; d = json.loads(sys.argv[1]); assert isinstance(d, list)' "$out" 2>/dev/null ||
		e2e_problem "--once did not print a JSON array: $(head -c 200 <<<"$out")"
	[[ $before == "$(xlbctl --json backend list)" ]] || e2e_problem "--dry-run changed the maps"
	# No file at the default path (/etc/xlb/xlbd.conf): the defaults.
	if [[ ! -e /etc/xlb/xlbd.conf ]]; then
		out=$(topo_exec lb "$XLBD_BIN" --pin-dir "$TOPO_PIN_DIR" --once --dry-run 2>&1 >/dev/null)
		rc=$?
		((rc == 0)) || e2e_problem "--once on the defaults exited $rc: $out"
	fi
	e2e_case_end
fi
if e2e_want "$PROM_CASE"; then
	e2e_case_begin "$PROM_CASE"
	cfg="$E2E_CASE_DIR/xlbd.conf"
	xlbd_config "$cfg" '{ "prometheus": { "url": "http://127.0.0.1:9091",
	  "queries": { "cpu_util": "1 - avg by (instance) (rate(node_cpu_seconds_total{mode=\"idle\"}[30s]))" } } }'
	topo_start fakeprom lb "$E2E_PY" "$E2E_REPO/tests/e2e/xlbd_fake_prometheus.py" 9091 \
		"$TOPO_B1_IP4:9100=0.25" >/dev/null
	sleep 0.5
	if xlbd_start xlbd --config "$cfg"; then
		sleep 2.5
		m=$(xlbd_metrics)
		printf '%s\n' "$m" >"$E2E_CASE_DIR/metrics.txt"
		age1=$(awk -v b="$TOPO_B1_IP4" '$1 ~ "^xlbd_pair_scrape_age_seconds" && $1 ~ "\"" b "\"" { print $2 }' <<<"$m")
		age2=$(awk -v b="$TOPO_B2_IP4" '$1 ~ "^xlbd_pair_scrape_age_seconds" && $1 ~ "\"" b "\"" { print $2 }' <<<"$m")
		awk "BEGIN { exit !(${age1:-9} < 2) }" ||
			e2e_problem "b1's signals are ${age1:-missing} s old: the query did not feed it"
		[[ $age2 == +Inf ]] || e2e_problem "b2 (not in the result) has age $age2, want +Inf"
		grep -q "prometheus query for cpu_util" <<<"$(xlbd_log xlbd)" &&
			e2e_problem "a query failed: $(grep 'prometheus query' <<<"$(xlbd_log xlbd)" | head -n 1)"
		e2e_note "b1 fed by the Prometheus server (age ${age1}s), b2 not named (age $age2)"
	fi
	xlbd_stop xlbd
	topo_stop fakeprom 2>/dev/null
	e2e_case_end
fi
xlbctl vip del "$vip" >/dev/null 2>&1
summary
