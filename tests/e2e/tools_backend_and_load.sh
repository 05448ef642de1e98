#!/usr/bin/env bash
# The test tools themselves: xlb-backend answered by xlb-load over loopback,
# in a private network namespace this script makes for itself (unshare
# --net), so no packet leaves it and the namespace dies with the script.
#
#   tests/e2e/tools_backend_and_load.sh [FILTER]   run the tests whose name
#                                                 contains FILTER
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/lib/testing.sh
. tests/lib/testing.sh

BUILD=${BUILD:-build}
BACKEND=$BUILD/xlb-backend
LOAD=$BUILD/xlb-load
FILTER=${1:-}
# A filter that names this script runs all of it.
[[ -n $FILTER && $(basename "$0" .sh) == *"$FILTER"* ]] && FILTER=

# Outside: check what the tests need, then re-run inside a new namespace.
if [[ -z ${XLBTOOLS_IN_NETNS:-} ]]; then
	if ((EUID != 0)); then
		skip tools_backend_and_load "needs root for a network namespace"
		summary
		exit
	fi
	for bin in "$BACKEND" "$LOAD"; do
		if [[ ! -x $bin ]]; then
			fail tools_backend_and_load "$bin not built (run make)"
			summary
			exit
		fi
	done
	if ! unshare --net true 2>/dev/null; then
		skip tools_backend_and_load "unshare --net not permitted here"
		summary
		exit
	fi
	XLBTOOLS_IN_NETNS=1 exec unshare --net -- "$0" "$@"
fi

TMP=$(mktemp -d /tmp/xlbtools.XXXXXX)
PIDS=()

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip link set lo up
# The DSR case: an address the backend holds on lo besides its own.
ip addr add 10.99.0.1/32 dev lo
ip addr add fd00:99::1/128 dev lo nodad
# Thousands of new connections from one client in a few seconds.
sysctl -qw net.ipv4.tcp_tw_reuse=1

HTTP=8080 UDP=9000 ECHO=9001 ADMIN=9090

# admin METHOD PATH: one request to the admin port; prints the body.
admin() {
	local fd resp
	exec {fd}<>"/dev/tcp/127.0.0.1/$ADMIN" || return 1
	printf '%s %s HTTP/1.0\r\n\r\n' "$1" "$2" >&"$fd"
	resp=$(cat <&"$fd")
	exec {fd}>&-
	if [[ $resp != "HTTP/1."?" 200"* ]]; then
		echo "admin $1 $2: ${resp%%$'\r'*}" >&2
		return 1
	fi
	printf '%s\n' "${resp#*$'\r\n\r\n'}"
}

# start_backend NAME [ARGS...]: sets BPID once the admin port answers.
start_backend() {
	local name=$1 i
	shift
	"$BACKEND" --name "$name" --port $HTTP --udp-port $UDP \
		--tcp-echo-port $ECHO --admin-port $ADMIN "$@" \
		2>>"$TMP/$name.log" &
	BPID=$!
	PIDS+=("$BPID")
	for ((i = 0; i < 50; i++)); do
		admin GET /health >/dev/null 2>&1 && return 0
		kill -0 "$BPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "backend $name did not start: $(tail -n 3 "$TMP/$name.log")" >&2
	return 1
}

# stop_backend [SIGNAL]: stops BPID and sets BSTATUS to its exit status.
stop_backend() {
	kill "-${1:-TERM}" "$BPID" 2>/dev/null
	wait "$BPID"
	BSTATUS=$?
	forget "$BPID"
}

forget() {
	local pid kept=()
	for pid in "${PIDS[@]}"; do
		[[ $pid != "$1" ]] && kept+=("$pid")
	done
	PIDS=("${kept[@]}")
}

# load NAME ARGS...: xlb-load --json into $TMP/NAME.json.
load() {
	local name=$1
	shift
	if ! "$LOAD" "$@" --json >"$TMP/$name.json" 2>"$TMP/$name.err"; then
		echo "xlb-load $*: failed: $(tail -n 3 "$TMP/$name.err")"
		return 1
	fi
}

# expect NAME PYTHON-CONDITION: the condition on the report d holds;
# otherwise says which figures made it false.
expect() {
	python3 - "$TMP/$1.json" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ok = eval("(" + sys.argv[2] + ")", {"d": d})
if not ok:
    brief = {k: d.get(k) for k in ("sent", "completed", "ok", "errors",
             "backends", "latency_ms", "flows_one_backend",
             "flows_several_backends", "connections_not_ok",
             "connection_ends", "max_gap_ms", "other_detail")
             if k in d}
    print("not true:", sys.argv[2], "with", json.dumps(brief))
sys.exit(0 if ok else 1)
EOF
}

# run NAME FUNCTION: in this shell, not a subshell, so that the backends a
# test starts or stops stay known to the cleanup.
run() {
	[[ -n $FILTER && $1 != *"$FILTER"* ]] && return
	local t0=$EPOCHREALTIME
	if "$2" >"$TMP/out" 2>&1; then
		pass "$1"
		[[ -n ${XLBTOOLS_TIMING:-} ]] &&
			awk "BEGIN { printf \"  took %.1f s\\n\", $EPOCHREALTIME - $t0 }"
	else
		fail "$1" "$(tail -n 5 "$TMP/out" | tr '\n' ' ')"
	fi
}

test_http_keepalive_completes_and_names_backend() {
	load ka http "http://127.0.0.1:$HTTP/" --rate 2000 --count 2000 &&
		expect ka 'd["ok"] == 2000 and d["errors"]["total"] == 0
			and d["backends"] == {"b1": 2000}'
}

time_wait_count() {
	ss -Htan state time-wait "( dport = :$HTTP or sport = :$HTTP )" | wc -l
}

test_http_new_connection_per_request() {
	local before after
	before=$(time_wait_count)
	load nc http "http://127.0.0.1:$HTTP/" --rate 1000 --count 1000 \
		--new-conn || return 1
	after=$(time_wait_count)
	expect nc 'd["ok"] == 1000 and d["backends"] == {"b1": 1000}' ||
		return 1
	# The client closes first, so each connection leaves a TIME-WAIT.
	if ((after - before < 990)); then
		echo "only $((after - before)) new TIME-WAIT sockets for 1000 requests"
		return 1
	fi
}

test_http_ipv6_both_modes() {
	load v6ka http "http://[::1]:$HTTP/" --rate 1000 --count 500 &&
		expect v6ka 'd["ok"] == 500 and d["backends"] == {"b1": 500}' &&
		load v6nc http "http://[::1]:$HTTP/" --rate 1000 --count 500 \
			--new-conn &&
		expect v6nc 'd["ok"] == 500 and d["backends"] == {"b1": 500}'
}

test_latency_injection_shows_in_percentiles() {
	admin POST '/fault?latency_ms=50' >/dev/null || return 1
	load lat http "http://127.0.0.1:$HTTP/" --rate 400 --count 400
	admin POST '/fault?latency_ms=0' >/dev/null || return 1
	expect lat 'd["ok"] == 400 and 50 <= d["latency_ms"]["p50"] < 80
		and d["latency_ms"]["min"] >= 50' || return 1
	load nolat http "http://127.0.0.1:$HTTP/" --rate 400 --count 400 &&
		expect nolat 'd["ok"] == 400 and d["latency_ms"]["p50"] < 20'
}

# 2000 requests at p = 0.5: sd = sqrt(2000 * 0.25) = 22.4, so +-112 is
# five sd (false failure below 1e-6).
test_error_rate_half_gives_half_5xx() {
	admin POST '/fault?error_rate=0.5' >/dev/null || return 1
	load err http "http://127.0.0.1:$HTTP/" --rate 2000 --count 2000
	admin POST '/fault?error_rate=0' >/dev/null || return 1
	expect err '888 <= d["errors"]["http_5xx"] <= 1112
		and d["ok"] + d["errors"]["http_5xx"] == 2000
		and d["errors"]["total"] == d["errors"]["http_5xx"]
		and d["backends"] == {"b1": 2000}'
}

test_max_inflight_excess_counts_as_overload() {
	# 250/s with 100 ms each needs 25 outstanding; 10 are allowed.
	admin POST '/fault?latency_ms=100' >/dev/null || return 1
	load over http "http://127.0.0.1:$HTTP/" --rate 250 --count 250 \
		--max-inflight 10
	admin POST '/fault?latency_ms=0' >/dev/null || return 1
	expect over 'd["errors"]["overload"] >= 100
		and d["ok"] + d["errors"]["overload"] == 250
		and d["sent"] == d["ok"] and d["scheduled"] == 250'
}

test_hang_gives_timeouts_and_sigusr1_ends_it() {
	admin POST '/fault?hang=1' >/dev/null || return 1
	load hang http "http://127.0.0.1:$HTTP/" --rate 100 --count 20 \
		--timeout 300 || return 1
	load hangu udp "127.0.0.1:$UDP" --rate 100 --count 20 \
		--timeout 300 || return 1
	kill -USR1 "$BPID"
	expect hang 'd["errors"]["timeout"] == 20 and d["completed"] == 0' &&
		expect hangu 'd["errors"]["timeout"] == 20' || return 1
	sleep 0.1
	load unhang http "http://127.0.0.1:$HTTP/" --rate 500 --count 100 &&
		expect unhang 'd["ok"] == 100' || return 1
	admin GET /stats >"$TMP/stats.json" || return 1
	expect stats 'd["http"]["hung_total"] >= 20 and not d["faults"]["hang"]'
}

test_udp_echo_names_backend_per_flow() {
	load udp4 udp "127.0.0.1:$UDP" --rate 1000 --count 800 \
		--udp-flows 8 &&
		expect udp4 'd["ok"] == 800 and d["backends"] == {"b1": 800}
			and d["flows_one_backend"] == 8
			and len({f["local_port"] for f in d["flows"]}) == 8
			and all(f["sent"] == 100 and f["backends"] == {"b1": 100}
				for f in d["flows"])' &&
		load udp6 udp "[::1]:$UDP" --rate 1000 --count 200 \
			--udp-flows 2 &&
		expect udp6 'd["ok"] == 200 and d["flows_one_backend"] == 2'
}

# The client sends from 127.0.0.1 to the extra address on a connected
# socket: an answer from any source but the one it asked is dropped by the
# kernel, so every answer proves the backend replied from the VIP.
test_udp_reply_comes_from_request_destination() {
	load vip4 udp "10.99.0.1:$UDP" --bind 127.0.0.1 --rate 500 \
		--count 200 --timeout 500 &&
		expect vip4 'd["ok"] == 200' &&
		load vip6 udp "[fd00:99::1]:$UDP" --bind ::1 --rate 500 \
			--count 200 --timeout 500 &&
		expect vip6 'd["ok"] == 200'
}

test_stream_zero_resets_and_no_gaps() {
	load stream stream "127.0.0.1:$ECHO" --connections 20 --interval 20 \
		--duration 2 &&
		expect stream 'd["connections_not_ok"] == 0
			and d["gaps_over_threshold"] == 0
			and d["max_gap_ms"] < 200 and d["errors"]["total"] == 0
			and d["backends"] == {"b1": 20}
			and all(c["echoed"] == c["sent"] >= 90
				for c in d["connections"])'
}

test_cpu_cost_is_real_cpu_time() {
	local before after
	admin POST '/fault?cpu_us=2000' >/dev/null || return 1
	before=$(awk '{print $14 + $15}' "/proc/$BPID/stat")
	load cpu http "http://127.0.0.1:$HTTP/" --rate 100 --count 200
	after=$(awk '{print $14 + $15}' "/proc/$BPID/stat")
	admin POST '/fault?cpu_us=0' >/dev/null || return 1
	expect cpu 'd["ok"] == 200 and d["latency_ms"]["p50"] >= 2' ||
		return 1
	# 200 x 2 ms = 0.4 s of CPU, in clock ticks.
	if (((after - before) * 1000 / $(getconf CLK_TCK) < 350)); then
		echo "backend used $((after - before)) ticks for 0.4 s of work"
		return 1
	fi
}

test_progress_lines_and_poisson_rate() {
	"$LOAD" http "http://127.0.0.1:$HTTP/" --rate 2000 --count 2000 \
		--arrival poisson --seed 7 --interval-report 0.3 --json \
		>"$TMP/poisson.json" 2>"$TMP/poisson.err" || return 1
	if (($(grep -c '^progress ' "$TMP/poisson.err") < 2)); then
		echo "expected progress lines, got: $(cat "$TMP/poisson.err")"
		return 1
	fi
	# 2000 exponential gaps of mean 0.5 ms: sd of the sum is 2.2%.
	expect poisson 'd["ok"] == 2000 and 0.85 < d["window_s"] < 1.15'
}

test_udp_flows_see_backend_change() {
	# b1 answers, then dies; b2 takes its port: each flow saw both.
	"$LOAD" udp "127.0.0.1:$UDP" --rate 200 --duration 1.5 --udp-flows 4 \
		--timeout 300 --json >"$TMP/change.json" 2>"$TMP/change.err" &
	local lpid=$!
	PIDS+=("$lpid")
	sleep 0.5
	stop_backend TERM
	start_backend b2 || return 1
	wait "$lpid" || return 1
	forget "$lpid"
	expect change 'd["flows_several_backends"] == 4
		and set(d["backends"]) == {"b1", "b2"}'
}

# A killed process's socket sends RST when data it never read is queued;
# hanging the echo first leaves the messages unread.
test_stream_reports_reset_when_backend_dies() {
	"$LOAD" stream "127.0.0.1:$ECHO" --connections 5 --interval 20 \
		--duration 1.5 --json >"$TMP/death.json" 2>"$TMP/death.err" &
	local lpid=$!
	PIDS+=("$lpid")
	sleep 0.5
	admin POST '/fault?hang=1' >/dev/null || return 1
	sleep 0.2
	stop_backend KILL
	wait "$lpid" || return 1
	forget "$lpid"
	expect death 'd["connections_not_ok"] == 5
		and d["errors"]["reset"] == 5 and d["errors"]["total"] == 5
		and all(c["end"] == "reset" and c["echoed"] > 10
			for c in d["connections"])'
}

# A server that resets each connection once it has read the request.
RESET_SERVER='
import socket, struct, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(128)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
'

test_http_reset_is_counted_as_reset() {
	local spid
	python3 -c "$RESET_SERVER" 8081 >"$TMP/rst.out" 2>&1 &
	spid=$!
	PIDS+=("$spid")
	for ((i = 0; i < 50; i++)); do
		grep -q ready "$TMP/rst.out" && break
		sleep 0.1
	done
	load rst http "http://127.0.0.1:8081/" --rate 100 --count 20
	kill "$spid"
	wait "$spid" 2>/dev/null
	forget "$spid"
	expect rst 'd["errors"]["reset"] == 20 and d["errors"]["total"] == 20'
}

test_crash_exits_abnormally_then_refused() {
	admin POST '/fault?crash=1' >/dev/null || return 1
	stop_backend 0
	if ((BSTATUS != 134)); then
		echo "crashed backend exited with $BSTATUS, not 134 (SIGABRT)"
		return 1
	fi
	load refka http "http://127.0.0.1:$HTTP/" --rate 200 --count 50 &&
		expect refka 'd["errors"]["refused"] == 50' &&
		load refnc http "http://127.0.0.1:$HTTP/" --rate 200 --count 50 \
			--new-conn &&
		expect refnc 'd["errors"]["refused"] == 50' &&
		load refudp udp "127.0.0.1:$UDP" --rate 200 --count 50 \
			--timeout 300 &&
		expect refudp 'd["errors"]["refused"] == 50' &&
		load refstream stream "127.0.0.1:$ECHO" --connections 3 \
			--count 2 &&
		expect refstream 'd["errors"]["refused"] == 3'
}

test_sigterm_exits_cleanly_and_removes_pidfile() {
	start_backend b3 --pidfile "$TMP/b3.pid" || return 1
	if [[ $(cat "$TMP/b3.pid") != "$BPID" ]]; then
		echo "pidfile holds '$(cat "$TMP/b3.pid")', not $BPID"
		return 1
	fi
	stop_backend TERM
	if ((BSTATUS != 0)) || [[ -e $TMP/b3.pid ]]; then
		echo "exit status $BSTATUS, pidfile left: $(ls "$TMP")"
		return 1
	fi
	grep -q 'exiting' "$TMP/b3.log" || {
		echo "no exit line in the log"
		return 1
	}
}

# rejects WHAT-IN-MESSAGE ARGS...: xlb-load refuses with a clear message.
rejects() {
	local want=$1 err rc
	shift
	err=$("$LOAD" "$@" 2>&1 >/dev/null)
	rc=$?
	if ((rc == 0)) || [[ $err != *"$want"* ]]; then
		echo "xlb-load $*: exit $rc, message '$err' (wanted '$want')"
		return 1
	fi
}

# --header reaches the server as given, on every request: a listener that
# records each request's header lines and answers 200.
test_http_extra_headers_are_sent() {
	local port=8085 lpid i
	/usr/bin/python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(sys.argv[2], "a") as f:
            f.write("".join(f"{k}: {v}\n" for k, v in self.headers.items()))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$port" "$TMP/headers.txt" &
	lpid=$!
	PIDS+=("$lpid")
	for ((i = 0; i < 50; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		sleep 0.1
	done
	load hdr http "http://127.0.0.1:$port/" --rate 20 --count 4 \
		--header 'Accept-Encoding: gzip' --header 'X-Xlb-Test: one two' ||
		return 1
	kill "$lpid"
	forget "$lpid"
	expect hdr 'd["ok"] == 4' || return 1
	if [[ $(grep -c '^Accept-Encoding: gzip$' "$TMP/headers.txt") != 4 ||
		$(grep -c '^X-Xlb-Test: one two$' "$TMP/headers.txt") != 4 ]]; then
		echo "headers the server saw:"
		cat "$TMP/headers.txt"
		return 1
	fi
}

test_bad_cli_input_is_refused() {
	local url="http://127.0.0.1:$HTTP/"
	rejects "unbounded" http "$url" --rate 10 &&
		rejects "--rate" http "$url" --rate abc --count 1 &&
		rejects "--rate" http "$url" --rate 0 --count 1 &&
		rejects "--rate" http "$url" --rate -5 --count 1 &&
		rejects "needs --rate" http "$url" --count 1 &&
		rejects "cap" http "$url" --rate 1 --count 100000 &&
		rejects "--duration" http "$url" --rate 1 --duration 99999 &&
		rejects "only http://" http "ftp://127.0.0.1/" --rate 1 --count 1 &&
		rejects "not a valid URL" http "http://[::1" --rate 1 --count 1 &&
		rejects "no target" http --rate 1 --count 1 &&
		rejects "unknown mode" tcp "$url" --rate 1 --count 1 &&
		rejects "ADDR:PORT" udp 127.0.0.1 --rate 1 --count 1 &&
		rejects "not an IPv4 or IPv6" udp "nohost:53" --rate 1 --count 1 &&
		rejects "does not apply" udp "127.0.0.1:53" --new-conn --rate 1 \
			--count 1 &&
		rejects "does not apply" stream "127.0.0.1:53" --rate 1 \
			--count 1 &&
		rejects "--bind" http "$url" --bind nothere --rate 1 --count 1 &&
		rejects "NAME: VALUE" http "$url" --header NoColon --rate 1 \
			--count 1 &&
		rejects "NAME: VALUE" http "$url" --header 'Two words: v' \
			--rate 1 --count 1 &&
		rejects "line breaks" http "$url" --header $'A: b\r\nX: y' \
			--rate 1 --count 1 &&
		rejects "does not apply" udp "127.0.0.1:53" --header 'A: b' \
			--rate 1 --count 1 &&
		rejects "same address family" http "$url" --bind ::1 --rate 1 \
			--count 1 &&
		rejects "same address family" udp "[::1]:53" --bind 127.0.0.1 \
			--rate 1 --count 1 ||
		return 1
	# The backend refuses bad input too.
	local err
	if err=$("$BACKEND" --port 1 2>&1) || [[ $err != *"--name is required"* ]]; then
		echo "xlb-backend without --name: '$err'"
		return 1
	fi
	if err=$("$BACKEND" --name 'a b' 2>&1) || [[ $err != *"--name"* ]]; then
		echo "xlb-backend --name 'a b': '$err'"
		return 1
	fi
	if err=$("$BACKEND" --name x --port 70000 2>&1) || [[ $err != *"--port"* ]]; then
		echo "xlb-backend --port 70000: '$err'"
		return 1
	fi
}

start_backend b1 --threads 2 || {
	fail tools_backend_and_load "backend did not start"
	summary
	exit
}
run http_keepalive_completes_and_names_backend \
	test_http_keepalive_completes_and_names_backend
run http_new_connection_per_request test_http_new_connection_per_request
run http_ipv6_both_modes test_http_ipv6_both_modes
run latency_injection_shows_in_percentiles \
	test_latency_injection_shows_in_percentiles
run error_rate_half_gives_half_5xx test_error_rate_half_gives_half_5xx
run max_inflight_excess_counts_as_overload \
	test_max_inflight_excess_counts_as_overload
run hang_gives_timeouts_and_sigusr1_ends_it \
	test_hang_gives_timeouts_and_sigusr1_ends_it
run udp_echo_names_backend_per_flow test_udp_echo_names_backend_per_flow
run udp_reply_comes_from_request_destination \
	test_udp_reply_comes_from_request_destination
run stream_zero_resets_and_no_gaps test_stream_zero_resets_and_no_gaps
run cpu_cost_is_real_cpu_time test_cpu_cost_is_real_cpu_time
run progress_lines_and_poisson_rate test_progress_lines_and_poisson_rate
run bad_cli_input_is_refused test_bad_cli_input_is_refused
run http_extra_headers_are_sent test_http_extra_headers_are_sent
run http_reset_is_counted_as_reset test_http_reset_is_counted_as_reset
# These replace the backend: b1 -> b2 -> killed -> b2 again -> crashed.
run udp_flows_see_backend_change test_udp_flows_see_backend_change
run stream_reports_reset_when_backend_dies \
	test_stream_reports_reset_when_backend_dies
start_backend b2 >/dev/null 2>&1
run crash_exits_abnormally_then_refused \
	test_crash_exits_abnormally_then_refused
run sigterm_exits_cleanly_and_removes_pidfile \
	test_sigterm_exits_cleanly_and_removes_pidfile
summary
