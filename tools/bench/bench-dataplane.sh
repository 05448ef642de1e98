#!/usr/bin/env bash
# The data-plane benchmark (build/bench/dataplane_bench): xlb against floor
# programs in one process. Needs root; removes its pins however it ends.
set -uo pipefail
cd "$(dirname "$0")/../.."
if ((EUID != 0)); then
	echo "bench-dataplane: SKIP: needs root for BPF_PROG_TEST_RUN"
	exit 0
fi
build/bench/dataplane_bench "$@" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf /sys/fs/bpf/xlbbench-$pid-*' EXIT
wait $pid
