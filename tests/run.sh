#!/usr/bin/env bash
# Runs every test layer (unit, bpf, e2e, readme) and sums their results into
# one closing line "N passed, N failed, N skipped". Exits non-zero when any
# test failed. A layer or test can be chosen: tests/run.sh [LAYER [FILTER]].
set -uo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
layers=(unit bpf e2e readme cluster)
[[ $# -ge 1 ]] && layers=("$1")
filter=${2:-}

total_pass=0 total_fail=0 total_skip=0
failed_names=()

if ((EUID == 0)); then
	tools/host-setup.sh || echo "run: host setup failed; bpf and e2e tests will report it" >&2
fi

run_one() {
	local prog=$1 out rc p f s start=$SECONDS
	echo "== $prog"
	out=$(mktemp)
	"$prog" $filter 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	# how long each program took: the suite must stay under 20 minutes
	echo "-- $prog: $((SECONDS - start)) s"
	p=$(grep -c '^PASS ' "$out")
	f=$(grep -c '^FAIL ' "$out")
	s=$(grep -c '^SKIP ' "$out")
	while read -r line; do failed_names+=("$line"); done < <(grep '^FAIL ' "$out" | cut -c1-160)
	if ((rc != 0 && f == 0)); then
		echo "FAIL $prog: exited with status $rc"
		failed_names+=("FAIL $prog: exited with status $rc")
		f=1
	fi
	rm -f "$out"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
}

for layer in "${layers[@]}"; do
	progs=()
	for p in "$BUILD"/tests/"$layer"/* tests/"$layer"/*.sh; do
		[[ -f $p && -x $p ]] && progs+=("$p")
	done
	echo "==== layer $layer: ${#progs[@]} programs"
	for p in "${progs[@]}"; do
		run_one "$p"
	done
done

# After a full run nothing of ours may be left: namespaces, cgroups, pins,
# processes of topologies whose owner is gone, and pins of BPF tests.
leak_check() {
	local out=""
	out+=$(tools/topo.sh leak-check 2>&1)
	for dir in /sys/fs/bpf/xlbtest-bpf-* /sys/fs/bpf/xlbbench-*; do
		[[ -e $dir ]] || continue
		pid=${dir#*-bpf-}
		pid=${pid#*xlbbench-}
		pid=${pid%%-*}
		kill -0 "$pid" 2>/dev/null || out+=$'\n'"leak: $dir"
	done
	if [[ -n ${out//[$'\n ']/} ]]; then
		echo "FAIL suite_leaves_nothing_behind: $(echo "$out" | head -5 | tr '\n' ' ')"
		failed_names+=("FAIL suite_leaves_nothing_behind")
		total_fail=$((total_fail + 1))
	else
		echo "PASS suite_leaves_nothing_behind"
		total_pass=$((total_pass + 1))
	fi
}
if ((EUID == 0)) && [[ $# -eq 0 ]]; then
	echo "==== leak check"
	leak_check
fi

if ((${#failed_names[@]})); then
	echo "==== failures"
	printf '%s\n' "${failed_names[@]}"
fi
echo "suite time: $((SECONDS / 60)) min $((SECONDS % 60)) s"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
((total_fail == 0))
