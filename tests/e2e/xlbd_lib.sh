# shellcheck shell=bash
# tests/e2e/xlbd_lib.sh: what the xlbd closed-loop tests share, on top of
# tests/e2e/lib.sh. Sourced, not run.
#
#   xlbd_start NAME [ARGS...]   xlbd in the LB namespace (pins of the run,
#                               state in $E2E_CASE_DIR/NAME-state); waits for
#                               its "started" line; XLBD_PID is its PID
#   xlbd_stop NAME [SIG]        stops it (TERM by default, by its PID)
#   xlbd_config FILE JSON       writes a config file
#   xlbd_metrics [PORT]         the /metrics text (Python, no curl CLI)
#   xlbd_pair NODE FIELD        a field of xlbctl --json backend list for a
#                               backend node (of the only VIP)
#   xlbd_wait_pair NODE FIELD VALUE TIMEOUT_S   polls every 20 ms
#   xlbd_decisions NAME         the decision log's path
#   xlbd_metric TEXT NAME       one unlabelled sample's value from /metrics text

XLBD_BIN=${XLBD:-$E2E_REPO/$E2E_BUILD/xlbd}
XLBD_PID=
XLBD_METRICS_PORT=9469
XLBD_ENV=() # NAME=VALUE for xlbd's environment (NOTIFY_SOCKET)

xlbd_need() {
	if [[ ! -x $XLBD_BIN ]]; then
		fail "$E2E_SCRIPT" "$XLBD_BIN is not built (make)"
		summary
		exit 1
	fi
}

xlbd_config() { printf '%s\n' "$2" >"$1"; }

xlbd_decisions() { echo "$E2E_CASE_DIR/$1-state/decisions.jsonl"; }

xlbd_start() {
	local name=$1 i
	shift
	mkdir -p "$E2E_CASE_DIR/$name-state"
	XLBD_PID=$(topo_start "$name" lb env "${XLBD_ENV[@]}" "$XLBD_BIN" --pin-dir "$TOPO_PIN_DIR" \
		--state-dir "$E2E_CASE_DIR/$name-state" \
		--metrics-listen "127.0.0.1:$XLBD_METRICS_PORT" --foreground "$@")
	for ((i = 0; i < 100; i++)); do
		grep -qs 'started' "$TOPO_RESULTS/proc/$name.log" && return 0
		_topo_pid_alive "$XLBD_PID" || break
		sleep 0.05
	done
	e2e_problem "xlbd $name did not start: $(tail -n 2 "$TOPO_RESULTS/proc/$name.log")"
	return 1
}

xlbd_log() { cat "$TOPO_RESULTS/proc/$1.log" 2>/dev/null; }

xlbd_stop() { topo_stop "$1" "${2:-TERM}" 2>/dev/null; }

xlbd_metrics() {
	topo_exec lb "$E2E_PY" -c '
import sys, urllib.request
with urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=2) as f:
    sys.stdout.write(f.read().decode())' "${1:-$XLBD_METRICS_PORT}"
}

xlbd_pair() {
	xlbctl --json backend list | "$E2E_PY" -c '
import json, sys
for p in json.load(sys.stdin):
    if p["address"] == sys.argv[1]:
        print(p[sys.argv[2]])' "$(e2e_node_addr "$TOPO_VIP4" "$1")" "$2"
}

xlbd_wait_pair() {
	local node=$1 field=$2 want=$3 timeout=$4 end
	end=$(($(date +%s%N) + ${timeout%.*} * 1000000000))
	while (($(date +%s%N) < end)); do
		[[ $(xlbd_pair "$node" "$field") == "$want" ]] && return 0
		sleep 0.02
	done
	return 1
}

xlbd_metric() { awk -v n="$2" '$1 == n { print $2 }' <<<"$1"; }
