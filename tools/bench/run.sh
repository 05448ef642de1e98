#!/usr/bin/env bash
# Runs every benchmark: each executable tools/bench/bench-*.sh prints its own
# figures. Benchmarks are not tests: they report, they do not pass or fail.
set -uo pipefail
cd "$(dirname "$0")/../.."
[[ $EUID -eq 0 ]] && tools/host-setup.sh
rc=0
for b in tools/bench/bench-*.sh; do
	[[ -x $b ]] || continue
	echo "==== $b"
	"$b" || { echo "bench: $b exited with status $?"; rc=1; }
done
exit $rc
