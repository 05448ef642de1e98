#!/usr/bin/env bash
# xlb-sim on a short scenario (20 backends, 10 simulated minutes, a kill, a
# flap and a throttle from a fault file, a gzipped CSV trace), every policy
# including the experimental bandit: the report conserves requests, reports
# one held-apart window (eval.csv) consistently for every policy, the
# bandit's learned table sends load from hot to cold backends, it fails
# requests only where the schedule puts faults, is byte-identical for the
# same seed and differs for another; bad input is refused with a message
# naming it. No namespaces, no root needed.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/testing.sh

BUILD=${BUILD:-build}
SIM=$BUILD/xlb-sim
if [[ ! -x $SIM ]]; then
	fail sim_report_invariants "$SIM not built (make)"
	summary
	exit
fi
T=$(mktemp -d /tmp/xlb-sim-test.XXXXXX)
trap 'rm -rf "$T"' EXIT

# A trace with a slow wave, as CSV "second,requests", gzipped.
awk 'BEGIN { print "second,requests"; for (i = 0; i < 700; i++)
	printf "%d,%d\n", i, 100 + 40 * sin(i / 60) + (i * 7919 % 13) }' | gzip >"$T/trace.csv.gz"
cat >"$T/faults.csv" <<'F'
backend,kind,start_s,duration_s,param
3,kill,100,100,0
5,flap,250,100,10
7,throttle,400,100,0.5
F

sim() {
	"$SIM" --backends 20 --duration 600 --max-cores 2 --peak-util 0.3 \
		--trace "$T/trace.csv.gz" --faults "$T/faults.csv" --no-plot --quiet "$@"
}

if ! sim --seed 7 --out "$T/a" 2>"$T/a.err"; then
	fail sim_runs "exit status $?: $(head -c 300 "$T/a.err")"
	summary
	exit
fi
pass sim_runs
sim --seed 7 --out "$T/b" 2>/dev/null
sim --seed 8 --out "$T/c" 2>/dev/null

# column NAME FILE: the named column of report.csv, one line per policy
column() {
	awk -F, -v name="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
		{ print $1 "=" $c }' "$2"
}

rows=$(($(wc -l <"$T/a/report.csv") - 1))
if ((rows == 5)); then
	pass sim_reports_every_policy
else
	fail sim_reports_every_policy "report.csv has $rows policy rows, want 5"
fi
if grep -q '^| bandit (experimental) |' "$T/a/report.md"; then
	pass sim_bandit_labelled_experimental
else
	fail sim_bandit_labelled_experimental "report.md has no \"bandit (experimental)\" row"
fi

# The held-apart window (eval.csv): the last 30% from a minute boundary
# (600 s -> 420-600), the same for every policy; the same demand, so the
# same requests; a window's requests and failures within the whole run's.
bad=$(awk -F, 'NR == FNR { if (FNR > 1) { req[$1] = $2; fail[$1] = $4 } next }
	FNR == 1 { next }
	{ n++; if ($2 != 420 || $3 != 600) print $1 ": window " $2 "-" $3 ", want 420-600"
	  if (n > 1 && $4 != r0) print $1 ": " $4 " requests in the window, " r0 " for the first policy"
	  r0 = $4
	  if (!($4 > 0) || $4 > req[$1] || $5 > fail[$1] || $10 != 3)
		print $1 ": window requests " $4 " failed " $5 " minutes " $10 " vs run " req[$1] " " fail[$1] }
	END { if (n != 5) print n " window rows, want 5" }' "$T/a/report.csv" "$T/a/eval.csv")
if [[ -z $bad ]]; then
	pass sim_eval_window_consistent
else
	fail sim_eval_window_consistent "$bad"
fi

# What the bandit learned (report.md, per bucket of CPU / fleet mean,
# lowest first): more load below the mean, less above, never more for a
# hotter bucket; it explored in training only a part of its choices.
bad=$(awk -F'|' '/^\| CPU \/ mean below/ { on = 1; next } on && /^\|---/ { next }
	on && /^\|/ { c = $3; gsub(/[ x]/, "", c); ch[n++] = c + 0; next }
	on { on = 0 }
	/choices, .* exploring/ { split($0, w, " "); dec = w[1]; xp = w[3] }
	END { if (n != 5) { print n " bucket rows, want 5"; exit 0 }
	      if (!(ch[0] > 1)) print "coldest bucket x" ch[0] ", want above x1"
	      if (!(ch[4] < 1)) print "hottest bucket x" ch[4] ", want below x1"
	      for (k = 1; k < n; k++) if (ch[k] > ch[k - 1]) print "bucket " k " x" ch[k] " above bucket " k - 1 " x" ch[k - 1]
	      if (!(xp > 0 && xp < 0.2 * dec)) print xp " of " dec " choices exploring" }' "$T/a/report.md") || bad="awk failed on report.md"
if [[ -z $bad ]]; then
	pass sim_bandit_learns_to_balance
else
	fail sim_bandit_learns_to_balance "$bad"
fi

bad=$(awk -F, 'NR > 1 { d = $2 - ($3 + $4 + $9); if (d < 0) d = -d;
	if (d > 1e-6 * $2 + 0.01 || $2 <= 0) print $1 ": requests " $2 " vs " $3 "+" $4 "+" $9 }' "$T/a/report.csv")
if [[ -z $bad ]]; then
	pass sim_requests_conserved
else
	fail sim_requests_conserved "$bad"
fi

bad=$(awk -F, 'NR > 1 && ($8 != 0 || $4 <= 0) { print $1 ": failed " $4 ", outside faults " $8 }' "$T/a/report.csv")
if [[ -z $bad ]]; then
	pass sim_failures_only_where_faults_are
else
	fail sim_failures_only_where_faults_are "$bad"
fi

bad=$(awk -F, 'NR > 1 && $17 != 2 { print $1 ": " $17 " of 2 hard faults detected" }' "$T/a/report.csv")
if [[ -z $bad ]]; then
	pass sim_hard_faults_detected_by_every_policy
else
	fail sim_hard_faults_detected_by_every_policy "$bad"
fi

same=1
for f in report.md report.csv eval.csv faults.csv drains.csv timeline-xlb.csv timeline-reactive.csv timeline-bandit.csv; do
	cmp -s "$T/a/$f" "$T/b/$f" || { same=0; fail sim_same_seed_same_report "$f differs"; }
done
((same)) && pass sim_same_seed_same_report

if cmp -s "$T/a/report.csv" "$T/c/report.csv"; then
	fail sim_other_seed_other_report "seeds 7 and 8 gave the same report.csv"
else
	pass sim_other_seed_other_report
fi

# expect_refusal NAME PATTERN ARGS...: non-zero exit, PATTERN on stderr
expect_refusal() {
	local name=$1 pattern=$2 rc
	shift 2
	"$SIM" --no-plot --quiet --out "$T/bad" "$@" >/dev/null 2>"$T/err"
	rc=$?
	if ((rc == 0)); then
		fail "$name" "exit status 0"
	elif ! grep -qF -- "$pattern" "$T/err"; then
		fail "$name" "stderr lacks \"$pattern\": $(head -c 200 "$T/err")"
	else
		pass "$name"
	fi
}
echo "3,explode,10,10,0" >"$T/badfaults.csv"
expect_refusal sim_refuses_unknown_fault_kind "line 1: unknown kind" --backends 10 --duration 60 --faults "$T/badfaults.csv"
expect_refusal sim_refuses_zero_backends "--backends" --backends 0
expect_refusal sim_refuses_short_trace "needed" --duration 5000 --trace "$T/trace.csv.gz"
printf 'requests\n12\nabc\n' >"$T/badtrace.txt"
expect_refusal sim_refuses_bad_trace_line "line 3" --duration 2 --trace "$T/badtrace.txt"
expect_refusal sim_refuses_unknown_policy "unknown policy" --policies static-equal,magic
expect_refusal sim_refuses_standby_of_whole_fleet "at least one" --backends 10 --standby 10
summary
