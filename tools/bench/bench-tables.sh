#!/usr/bin/env bash
# Table rebuilds of 100 VIPs (build/bench/tables_bench): one batched swap
# against one swap per VIP. Needs root; removes its pins however it ends.
set -uo pipefail
cd "$(dirname "$0")/../.."
if ((EUID != 0)); then
	echo "bench-tables: SKIP: needs root to create maps"
	exit 0
fi
build/bench/tables_bench "$@" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf /sys/fs/bpf/xlbbench-$pid-*' EXIT
wait $pid
