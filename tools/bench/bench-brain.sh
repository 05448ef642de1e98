#!/usr/bin/env bash
# The brain on a fleet of 1,000 pairs over 4 VIPs: the functional core alone
# (build/bench/brain-tick-bench), then xlbd's whole tick on pinned maps
# (build/bench/xlbd-tick-bench: counter reads, brain, map writes and table
# rebuilds, the RCU wait apart; the Maglev build at 1,000 backends; RSS).
# The decisions xlbd logs go to a file, not the report.
set -uo pipefail
cd "$(dirname "$0")/../.."
build/bench/brain-tick-bench "$@" || exit 1
if ((EUID != 0)); then
	echo "xlbd tick: SKIP: needs root to create maps"
	exit 0
fi
log=$(mktemp /tmp/xlbd-tick-bench.XXXXXX.log)
build/bench/xlbd-tick-bench 1000 4 60 2>"$log" || {
	tail -n 3 "$log"
	rm -f "$log"
	exit 1
}
rm -f "$log"
