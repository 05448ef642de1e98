#!/usr/bin/env bash
# xlbd's UDP probe (probe.kind udp on a UDP VIP): a datagram to each
# backend's address at the VIP's port every 100 ms, any reply within the
# timeout a success. b1's server killed: the closed port's ICMP port
# unreachable fails its probes at once, so its pair is down within 1 s
# while b2's stays ok; the server back: b1 ok again. Before, a UDP VIP had
# no probe at all (kind none), so a dead UDP server stayed in the table.
#
#   tests/e2e/xlbd_udp_probe.sh [FILTER]
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/xlbd_lib.sh
. "$(dirname "$0")/xlbd_lib.sh"

NAME=xlbd_udp_probe_takes_a_dead_udp_server_down_then_back
DOWN_BOUND_S=1

e2e_want "$NAME" || {
	summary
	exit 0
}
xlbd_need
e2e_setup --backends 2
e2e_case_begin "$NAME"
vip="$TOPO_VIP4:$E2E_UDP_PORT/udp"
cfg="$E2E_CASE_DIR/xlbd.conf"
xlbd_config "$cfg" "{ \"scrape\": { \"enabled\": false },
  \"vips\": { \"$vip\": { \"probe\": { \"kind\": \"udp\" } } } }"
probes_ok() { # NODE: its pair's successful probes so far
	xlbd_metrics | awk -v b="backend=\"$(e2e_node_addr "$TOPO_VIP4" "$1")\"" \
		'$1 ~ /^xlbd_pair_probes_ok_total/ && index($1, b) { print $2 }'
}
if e2e_attach native && e2e_vip_up "$vip" b1=100 b2=100 &&
	xlbd_start xlbd --config "$cfg"; then
	sleep 1.2 # a tick: /metrics is rendered once a tick
	ok1=$(probes_ok b1)
	((${ok1:-0} > 0)) || e2e_problem "no successful UDP probe of b1 after 1.2 s (probes_ok ${ok1:-none})"
	kill_t=$(date +%s.%N)
	topo_stop srv-b1 KILL 2>/dev/null
	xlbd_wait_pair b1 health down 2 || e2e_problem "b1 not down 2 s after its UDP server was killed"
	down_t=$(date +%s.%N)
	[[ $(xlbd_pair b2 health) == ok ]] || e2e_problem "b2 is $(xlbd_pair b2 health), not ok"
	topo_start --cgroup srv-b1 b1 "$E2E_BACKEND" --name b1 \
		--port "$E2E_HTTP_PORT" --udp-port "$E2E_UDP_PORT" \
		--tcp-echo-port "$E2E_ECHO_PORT" --admin-port "$E2E_ADMIN_PORT" \
		--threads 1 >/dev/null
	xlbd_wait_pair b1 health ok 3 || e2e_problem "b1 not ok 3 s after its server came back"
	up_t=$(date +%s.%N)
	dl=$(grep -h '"new_health":"down"' "$(xlbd_decisions xlbd)" | tail -1)
	e2e_note "b1's UDP server killed: down in the maps $(echo "$down_t - $kill_t" | bc) s after (decision: $(echo "$dl" | "$E2E_PY" -c 'import json,sys; print(json.loads(sys.stdin.read() or "{}").get("reason"))')); back: ok after $(echo "$up_t - $down_t" | bc) s"
	(($(echo "$down_t - $kill_t > $DOWN_BOUND_S" | bc))) && e2e_problem "down only $(echo "$down_t - $kill_t" | bc) s after the kill (bound $DOWN_BOUND_S s)"
	xlbd_stop xlbd
fi
e2e_case_end "$vip"
summary
