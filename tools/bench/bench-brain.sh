#!/usr/bin/env bash
# The brain on a fleet of 1,000 pairs over 4 VIPs: the functional core alone
# (build/bench/brain-tick-bench), then xlbd's whole tick on pinned maps
# (build/bench/xlbd-tick-bench: counter reads, brain, map writes and table
# rebuilds, the RCU wait apart; the Maglev build at 1,000 backends; RSS),
# then the history store: 24 h of history at 1,000 pairs through the
# store's own tick on a simulated clock (QUICK=1: 15 min, 900 ticks, all
# whole). The last hour goes through it whole, one transaction a tick as
# in xlbd, after 600 s more of whole ticks that bring the samples table to
# its steady state, and is what the writer's per-tick figures are taken
# from; the hours before go through the same tick, writer and transactions
# with raw samples off (their per-tick rows would have aged out of the
# samples table, 600 s, long before the day ends), so the day's file holds the same rows and the
# export reads the same day (measured at 4 h: the export byte-identical,
# the file within 0.2%, the same RSS and WAL; about 2 minutes here, 6.6
# when every hour wrote its samples). Then whole ticks with the store
# writing, the file's size, the RSS holding it, and `xlbctl history export`
# over the day. The decisions xlbd logs go to a file, not the report.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
hours=24
[[ ${QUICK:-0} == 0 || -z ${QUICK:-} ]] || hours=0.25
build/bench/brain-tick-bench "$@" || exit 1
if ((EUID != 0)); then
	echo "xlbd tick: SKIP: needs root to create maps"
	exit 0
fi
log=$(mktemp /tmp/xlbd-tick-bench.XXXXXX.log)
state=$(mktemp -d /tmp/xlbd-history-bench.XXXXXX)
trap 'rm -rf "$log" "$state"' EXIT
build/bench/xlbd-tick-bench 1000 4 60 "$hours" "$state" 2>"$log" || {
	tail -n 3 "$log"
	exit 1
}
start=$(date +%s.%N)
build/xlbctl history export --csv --state-dir "$state" >"$state/export.csv" || exit 1
end=$(date +%s.%N)
awk -F, -v s="$start" -v e="$end" 'NR > 1 { gsub(/"/, "", $1); n[$1]++; all++ }
	END { printf "  xlbctl history export --csv over the history: %d rows in %.1f s (", all, e - s
	      for (r in n) printf " %s: %d", r, n[r]; print " )" }' "$state/export.csv"
