#!/usr/bin/env bash
# Runs every benchmark: each executable tools/bench/bench-*.sh prints its own
# figures, and the seconds each took. Benchmarks are not tests: they report,
# they do not pass or fail.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
[[ $EUID -eq 0 ]] && tools/host-setup.sh
rc=0
start=$SECONDS
for b in tools/bench/bench-*.sh; do
	[[ -x $b ]] || continue
	echo "==== $b"
	t=$SECONDS
	"$b" || { echo "bench: $b exited with status $?"; rc=1; }
	echo "==== $b: $((SECONDS - t)) s"
done
echo "==== make bench: $((SECONDS - start)) s in all"
exit $rc
