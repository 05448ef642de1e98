#!/usr/bin/env bash
# Issue 10's scale section: 64 VIPs x 100 backends configured with
# `xlbctl config apply` (wall time per round on a new instance, the kernel's
# memlock of every map after it), 1,000,000 concurrent flows in the
# connection table (build/bench/scale_bench: the established path's
# per-packet cost at that fill against the table with one flow a VIP, the
# entries counted in the map, the memlock again), and the brain's tick at
# 6,400 pairs over 64 VIPs (build/bench/brain-tick-bench). QUICK=1: 8 VIPs
# x 100, 100,000 flows.
#
# Writes results/bench-scale-<UTC time>/ (report.md, samples.csv, the raw
# outputs) and prints report.md. Needs root; removes its pins however it
# ends. Benchmarks report, they do not pass or fail.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
BENCH=$BUILD/bench/scale_bench
TICK=$BUILD/bench/brain-tick-bench

if ((EUID != 0)); then
	echo "bench-scale: SKIP: needs root for BPF maps and BPF_PROG_TEST_RUN"
	exit 0
fi
for bin in "$BENCH" "$BUILD/xlbctl"; do
	if [[ ! -x $bin ]]; then
		echo "bench-scale: SKIP: $bin not built (make all)"
		exit 0
	fi
done

QUICK=${QUICK:-0}
[[ $QUICK == 0 || -z $QUICK ]] && QUICK=0 || QUICK=1
BACKENDS=100 ROUNDS=3
if ((QUICK)); then
	VIPS=8 FLOWS=100000 CALLS=100000 TICKS=100
else
	VIPS=64 FLOWS=1000000 CALLS=200000 TICKS=300
fi
# The connection table: the least power of two that holds the fill with 2%
# to spare (1M flows: 2^20; its LRU is per CPU: each CPU's share holds that
# CPU's flows, and the fill spreads them evenly); the kernel rounds hash
# buckets up to a power of two anyway, so any other size pays for buckets
# it cannot fill. The flows counted in the table show any eviction.
CONN=1024
while ((CONN < FLOWS + FLOWS / 50)); do CONN=$((CONN * 2)); done

OUT=results/bench-scale-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
CSV=$OUT/samples.csv
PIN=/sys/fs/bpf/xlbbench-$$-scale # the suite's leak check knows xlbbench-PID-*
cleanup() {
	[[ -e $PIN ]] && { "$BENCH" destroy "$PIN" >/dev/null 2>&1 || rm -rf "$PIN"; }
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "bench-scale: $*" >&2; }

echo "section,system,round,metric,value" >"$CSV"
{
	echo "date $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "nproc $(nproc)"
	echo "kernel $(uname -r)"
	echo "cpu $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "git $(git rev-parse --short HEAD 2>/dev/null)"
	echo "quick $QUICK"
	echo "vips $VIPS"
	echo "backends $BACKENDS"
	echo "flows $FLOWS"
	echo "calls $CALLS"
	echo "rounds $ROUNDS"
	echo "conn_table $CONN"
	echo "xlbctl $("$BUILD/xlbctl" version 2>/dev/null | head -n 1)"
} >"$OUT/env.txt"

# The desired state: VIPS x BACKENDS, MACs given (no neighbour lookups).
/usr/bin/python3 - "$VIPS" "$BACKENDS" >"$OUT/config.json" <<'EOF'
import json, sys
nv, nb = int(sys.argv[1]), int(sys.argv[2])
json.dump({"vips": [
    {"vip": "10.0.0.%d:80/tcp" % (v + 1),
     "backends": [{"address": "10.9.%d.%d" % (v, b + 1),
                   "mac": "02:1b:00:00:%02x:%02x" % (v, b)} for b in range(nb)]}
    for v in range(nv)]}, sys.stdout)
EOF

# --- config apply: each round on a new instance; the last one stays for
# the flows
for ((r = 1; r <= ROUNDS; r++)); do
	cleanup
	"$BENCH" create "$PIN" "$CONN" || {
		log "create $PIN failed"
		exit 1
	}
	t0=$(date +%s.%N)
	/usr/bin/time -f "%M" -o "$OUT/apply-rss.txt" \
		"$BUILD/xlbctl" --pin-path "$PIN" config apply "$OUT/config.json" \
		>"$OUT/apply.out" 2>&1 || {
		log "config apply failed: $(tail -n 2 "$OUT/apply.out")"
		exit 1
	}
	t1=$(date +%s.%N)
	t2=$(date +%s.%N)
	"$BUILD/xlbctl" --pin-path "$PIN" config apply "$OUT/config.json" >"$OUT/apply-again.out" 2>&1
	t3=$(date +%s.%N)
	"$BENCH" memory "$PIN" >"$OUT/memory.txt"
	awk -v r="$r" -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" \
		-v rss="$(tail -n 1 "$OUT/apply-rss.txt")" \
		-v mem="$(awk '$1 == "total" { print $2 }' "$OUT/memory.txt")" 'BEGIN {
		printf "apply,xlbctl,%d,apply_s,%.3f\n", r, b - a
		printf "apply,xlbctl,%d,apply_again_s,%.3f\n", r, d - c
		printf "apply,xlbctl,%d,xlbctl_max_rss_kb,%d\n", r, rss
		printf "apply,xlb,%d,maps_memlock_bytes,%d\n", r, mem
	}' >>"$CSV"
	log "round $r: $VIPS x $BACKENDS applied in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s ($(tail -n 1 "$OUT/apply.out"))"
done
grep -c '^add backend' "$OUT/apply.out" | sed 's/^/apply,xlbctl,0,backends_added,/' >>"$CSV"

# --- 1M flows on the configured instance
"$BENCH" flows "$PIN" "$FLOWS" "$VIPS" "$ROUNDS" "$CALLS" >"$OUT/flows.csv" 2>"$OUT/flows.err" ||
	log "scale_bench flows failed: $(tail -n 2 "$OUT/flows.err")"
cat "$OUT/flows.csv" >>"$CSV"
cleanup

# --- the brain's tick at that size (the core; xlbd's map writes are
# timed by xlbd's own xlbd_tick_stage_seconds)
if [[ -x $TICK ]]; then
	"$TICK" $((VIPS * BACKENDS)) "$VIPS" "$TICKS" >"$OUT/tick.txt" 2>&1 ||
		log "brain-tick-bench failed: $(tail -n 2 "$OUT/tick.txt")"
else
	echo "$TICK not built (make all)" >"$OUT/tick.txt"
fi

/usr/bin/python3 tools/bench/scale_report.py "$OUT" || log "report failed"
cat "$OUT/report.md"
