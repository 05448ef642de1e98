#!/usr/bin/env bash
# xlb-agent's bad input: unknown flags, a cgroup path that does not exist, a
# bad listen address or probe URL give a clear error naming what failed and a
# non-zero exit before serving anything; a node_exporter body cut mid-line is
# refused by the signal tracker (xlbd's path) with the line, and the next
# good scrape still rates against the last good one.
#
#   tests/e2e/agent_errors.sh [FILTER]
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/lib/testing.sh
. tests/lib/testing.sh

BUILD=${BUILD:-build}
AGENT=$BUILD/xlb-agent
SIGNALS=$BUILD/tests/helpers/xlb-signals
FIXTURES=tests/unit/prom
FILTER=${1:-}
TMP=$(mktemp -d /tmp/xlb-agent-errors.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

tcheck() {
	[[ -z $FILTER || $1 == *"$FILTER"* ]] || return 0
	check "$@"
}

for f in "$AGENT" "$SIGNALS"; do
	if [[ ! -x $f ]]; then
		fail agent_errors "$f is not built (make all)"
		summary
		exit 1
	fi
done

# refuses WANT-RC WANT-IN-MESSAGE ARGS...: the agent exits WANT-RC at once
# (--once, so a wrongly accepted configuration cannot start serving) with a
# message containing WANT-IN-MESSAGE.
refuses() {
	local want_rc=$1 want=$2 err rc
	shift 2
	err=$(timeout 10 "$AGENT" "$@" 2>&1 >/dev/null)
	rc=$?
	if ((rc != want_rc)) || [[ $err != *"$want"* ]]; then
		echo "xlb-agent $*: exit $rc, message '$err' (wanted $want_rc, '$want')"
		return 1
	fi
}

tcheck unknown_flag_is_refused refuses 2 "unknown option '--frobnicate'" --frobnicate
tcheck flag_without_value_is_refused refuses 2 "option '--cgroup' needs a value" --cgroup
tcheck stray_argument_is_refused refuses 2 "unexpected argument 'metrics'" metrics
tcheck bad_listen_is_refused refuses 2 "--listen '1.2.3:80'" --listen 1.2.3:80 --once
tcheck bad_listen_port_is_refused refuses 2 "--listen '0.0.0.0:99999'" --listen 0.0.0.0:99999 --once
# TEST-NET-1 is never a local address: the bind fails, nothing listens.
tcheck unbindable_listen_address_is_refused refuses 1 \
	"cannot listen on 192.0.2.1:9470: Cannot assign requested address" --listen 192.0.2.1:9470
tcheck nonexistent_cgroup_is_refused_at_start refuses 1 \
	"--cgroup /nonexistent/xlb-cgroup: No such file or directory" --cgroup /nonexistent/xlb-cgroup --once
tcheck non_cgroup_directory_is_refused refuses 1 "neither a cgroup v2 directory" --cgroup "$TMP" --once
tcheck bad_probe_scheme_is_refused refuses 1 "scheme 'ftp' is not http, https or tcp" --probe ftp://x/ --once
tcheck tcp_probe_without_port_is_refused refuses 1 "tcp:// needs a port" --probe tcp://127.0.0.1 --once
tcheck bad_probe_interval_is_refused refuses 2 "--probe-interval 'soon'" --probe-interval soon --once
tcheck unreadable_proc_is_refused refuses 1 "cannot read $TMP/stat" --proc-root "$TMP" --once

help_lists_flags() {
	local out
	out=$("$AGENT" --help) || return 1
	for f in --listen --cgroup --cgroup-cpuacct --probe --probe-interval --probe-timeout --once; do
		[[ $out == *"$f"* ]] || { echo "--help lacks $f"; return 1; }
	done
}
tcheck help_lists_every_flag help_lists_flags

# A real node_exporter body cut mid-line: refused with its line number; the
# scrape after it rates against the one before (the tracker kept its state).
truncated_body() {
	local out len
	len=$(wc -c <"$FIXTURES/node_exporter_2.txt")
	head -c $((len / 2 + 7)) "$FIXTURES/node_exporter_2.txt" >"$TMP/cut.txt"
	[[ $(tail -c 1 "$TMP/cut.txt" | od -An -c | tr -d ' ') != '\n' ]] ||
		{ echo "the cut fell on a newline"; return 1; }
	out=$("$SIGNALS" "$FIXTURES/node_exporter.txt@0" "$TMP/cut.txt@1")
	[[ $? == 1 && $out == *"error: $TMP/cut.txt: line "*": truncated"* ]] ||
		{ echo "cut body: $out"; return 1; }
	cat "$FIXTURES/node_exporter.txt" >"$TMP/good.txt"
	printf 'node_cpu_seconds_total{cpu="0",mode="idle"} 1' >>"$TMP/good.txt"
	out=$("$SIGNALS" "$FIXTURES/node_exporter.txt@0" "$TMP/good.txt@1")
	[[ $out == *"line $(($(wc -l <"$TMP/good.txt") + 1)): truncated"* ]] ||
		{ echo "body without final newline: $out"; return 1; }
}
tcheck node_exporter_body_cut_mid_line_is_refused_with_its_line truncated_body

summary
