#!/usr/bin/env bash
# Closed-loop test 8 of issue 14: bad input never stops or slows the loop.
#   - config files with an unknown key, a bad value, a constraint broken, a
#     JSON syntax error, a --config that does not exist: refused with the
#     file, line and key, exit 1, the maps untouched;
#   - SIGHUP with a broken file: a clear log line, the old config runs on,
#     the ticks keep their period; a fixed file then reloads;
#   - agents serving garbage, 10 MB, or accepting and never answering, and a
#     probe target that accepts and never answers: each logged once, the
#     hanging target down by probe timeouts, the others up, the tick
#     lateness reported in /metrics and small (< half a period).
#
#   tests/e2e/xlbd_bad_input.sh [FILTER]
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/xlbd_lib.sh
. "$(dirname "$0")/xlbd_lib.sh"

CONFIG_CASE=xlbd_bad_config_refused_with_file_line_and_key
HUP_CASE=xlbd_sighup_with_broken_file_keeps_old_config_and_period
AGENT_CASE=xlbd_garbage_huge_and_hanging_targets_never_block_the_loop
FAKE_AGENT=$E2E_REPO/tests/e2e/xlbd_fake_agent.py

e2e_want "$CONFIG_CASE" || e2e_want "$HUP_CASE" || e2e_want "$AGENT_CASE" || {
	summary
	exit 0
}
xlbd_need
e2e_setup --backends 4
vip="$TOPO_VIP4:$E2E_HTTP_PORT/tcp"
e2e_attach native && e2e_vip_up "$vip" b1=100 b2=100 b3=100 b4=100

# expect_refused NAME JSON PATTERN: xlbd --once on that file exits 1 and
# says PATTERN (a regex) on stderr; the maps are as they were.
expect_refused() {
	local name=$1 json=$2 want=$3 out rc before after
	printf '%s\n' "$json" >"$E2E_CASE_DIR/$name.conf"
	before=$(xlbctl --json backend list)
	out=$(topo_exec lb "$XLBD_BIN" --pin-dir "$TOPO_PIN_DIR" --once \
		--config "$E2E_CASE_DIR/$name.conf" 2>&1 >/dev/null)
	rc=$?
	after=$(xlbctl --json backend list)
	printf '%s: rc %d: %s\n' "$name" "$rc" "$out" >>"$E2E_CASE_DIR/refusals.txt"
	((rc == 1)) || e2e_problem "$name: exit $rc, want 1 ($out)"
	[[ $out =~ $want ]] || e2e_problem "$name: said \"$out\", want /$want/"
	[[ $before == "$after" ]] || e2e_problem "$name: the maps changed"
}

if e2e_want "$CONFIG_CASE"; then
	e2e_case_begin "$CONFIG_CASE"
	expect_refused unknown_key $'{\n  "brain": {\n    "anomaly_q": 3\n  }\n}' \
		'unknown_key.conf:3: brain.anomaly_q: unknown key'
	expect_refused bad_value $'{\n  "probe": { "interval_s": 0.1 },\n  "brain": { "anomaly_k": "three" }\n}' \
		'bad_value.conf:3: brain.anomaly_k: "three" is not a number'
	expect_refused out_of_range $'{ "brain": {\n "max_ejection_percent": 140 } }' \
		'out_of_range.conf:2: brain.max_ejection_percent: 140 is out of range'
	expect_refused k_over_m $'{ "brain": { "anomaly_k": 6,\n "anomaly_m": 5 } }' \
		'k_over_m.conf:[0-9]+: brain.anomaly_'
	expect_refused bad_kind $'{ "vips": { "'"$vip"$'": {\n "probe": { "kind": "icmp" } } } }' \
		'bad_kind.conf:2: vips.'"$TOPO_VIP4"':80/tcp.probe.kind: "icmp" is not tcp, http, udp or none'
	expect_refused syntax $'{\n "brain": {\n  "tick_s": 1,,\n }\n}' \
		'syntax.conf:3: not valid JSON'
	out=$(topo_exec lb "$XLBD_BIN" --pin-dir "$TOPO_PIN_DIR" --once \
		--config "$E2E_CASE_DIR/absent.conf" 2>&1 >/dev/null)
	rc=$?
	((rc == 1)) && [[ $out == *"absent.conf: No such file"* ]] ||
		e2e_problem "a missing --config: exit $rc, said \"$out\""
	e2e_note "$(wc -l <"$E2E_CASE_DIR/refusals.txt") bad files refused, e.g. $(head -n 1 "$E2E_CASE_DIR/refusals.txt")"
	e2e_case_end
fi

if e2e_want "$HUP_CASE"; then
	e2e_case_begin "$HUP_CASE"
	cfg="$E2E_CASE_DIR/xlbd.conf"
	xlbd_config "$cfg" '{ "scrape": { "enabled": false } }'
	if xlbd_start xlbd --config "$cfg"; then
		sleep 1.5
		t1=$(xlbd_metric "$(xlbd_metrics)" xlbd_ticks_total)
		printf '{ "brain": { "tick_s": 1 }, "bogus": 1 }\n' >"$cfg"
		kill -HUP "$XLBD_PID"
		sleep 3
		m=$(xlbd_metrics)
		t2=$(xlbd_metric "$m" xlbd_ticks_total)
		late=$(xlbd_metric "$m" xlbd_tick_lateness_max_seconds)
		errs=$(xlbd_metric "$m" xlbd_config_reload_errors_total)
		log=$(xlbd_log xlbd)
		grep -q 'xlbd.conf:1: bogus: unknown key' <<<"$log" ||
			e2e_problem "no log line names the broken key"
		grep -q 'reload refused' <<<"$log" || e2e_problem "no 'reload refused' line"
		_topo_pid_alive "$XLBD_PID" || e2e_problem "xlbd died on a broken reload"
		((${t2:-0} - ${t1:-0} >= 2)) ||
			e2e_problem "ticks $t1 -> $t2 in 3 s after the HUP: the loop stalled"
		[[ $errs == 1 ]] || e2e_problem "xlbd_config_reload_errors_total is $errs, want 1"
		awk "BEGIN { exit !(${late:-9} < 0.5) }" ||
			e2e_problem "tick lateness max $late s"
		e2e_note "ticks $t1 -> $t2 across a broken reload, lateness max ${late}s"
		xlbd_config "$cfg" '{ "scrape": { "enabled": false }, "probe": { "interval_s": 0.2 } }'
		kill -HUP "$XLBD_PID"
		sleep 0.5
		grep -q 'info: reloaded' <<<"$(xlbd_log xlbd)" || e2e_problem "the fixed file did not reload"
	fi
	xlbd_stop xlbd
	e2e_case_end
fi

if e2e_want "$AGENT_CASE"; then
	e2e_case_begin "$AGENT_CASE"
	cfg="$E2E_CASE_DIR/xlbd.conf"
	xlbd_config "$cfg" '{ "probe": { "kind": "http", "timeout_s": 0.2 },
	  "scrape": { "timeout_s": 0.3, "max_bytes": 1048576 } }'
	topo_start agent-b1 b1 "$E2E_PY" "$FAKE_AGENT" garbage 9470 >/dev/null
	topo_start agent-b2 b2 "$E2E_PY" "$FAKE_AGENT" huge 9470 >/dev/null
	topo_start agent-b3 b3 "$E2E_PY" "$FAKE_AGENT" hang 9470 >/dev/null
	# b4's HTTP server replaced by one that accepts and never answers.
	topo_stop srv-b4 KILL 2>/dev/null
	topo_start hang-b4 b4 "$E2E_PY" "$FAKE_AGENT" hang "$E2E_HTTP_PORT" >/dev/null
	sleep 0.5
	if xlbd_start xlbd --config "$cfg"; then
		sleep 5
		m=$(xlbd_metrics)
		printf '%s\n' "$m" >"$E2E_CASE_DIR/metrics.txt"
		log=$(xlbd_log xlbd)
		late=$(xlbd_metric "$m" xlbd_tick_lateness_max_seconds)
		ticks=$(xlbd_metric "$m" xlbd_ticks_total)
		for node in b1 b2 b3; do
			addr=$(e2e_node_addr "$vip" "$node")
			grep -q "scrape of $addr: " <<<"$log" ||
				e2e_problem "no log line for the scrape of $node"
		done
		grep -q "scrape of $TOPO_B2_IP4: body over scrape.max_bytes" <<<"$log" ||
			e2e_problem "the 10 MB body is not reported as too big"
		grep -Eq "scrape of $TOPO_B3_IP4: .*(Timeout|timed out)" <<<"$log" ||
			e2e_problem "the hanging agent is not reported as timed out"
		[[ $(xlbd_pair b4 health) == down ]] ||
			e2e_problem "b4 (accepts, never answers) is $(xlbd_pair b4 health), want down"
		for node in b1 b2 b3; do
			[[ $(xlbd_pair "$node" health) == ok ]] ||
				e2e_problem "$node is $(xlbd_pair "$node" health), want ok"
		done
		awk "BEGIN { exit !(${late:-9} < 0.5) }" ||
			e2e_problem "tick lateness max $late s: the loop was blocked"
		((${ticks:-0} >= 4)) || e2e_problem "$ticks ticks in 5 s"
		e2e_note "$ticks ticks in 5 s, lateness max ${late}s; $(grep -c 'scrape of' <<<"$log") scrape log lines"
	fi
	xlbd_stop xlbd
	for p in agent-b1 agent-b2 agent-b3 hang-b4; do topo_stop "$p" 2>/dev/null; done
	e2e_case_end
fi
xlbctl vip del "$vip" >/dev/null 2>&1
summary
