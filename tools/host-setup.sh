#!/usr/bin/env bash
# Prepares the host for xlb and its tests: a BPF filesystem at /sys/fs/bpf
# (pins live there) and an unlimited memlock for older kernels that still
# charge BPF maps to RLIMIT_MEMLOCK. Idempotent.
set -euo pipefail

if ! mountpoint -q /sys/fs/bpf; then
	mkdir -p /sys/fs/bpf
	mount -t bpf bpf /sys/fs/bpf
fi
