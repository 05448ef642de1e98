#!/usr/bin/env bash
# Prepares the host for xlb and its tests: a BPF filesystem at /sys/fs/bpf
# (pins live there) and an unlimited memlock for older kernels that still
# charge BPF maps to RLIMIT_MEMLOCK. Idempotent.
#
# bpffs is mounted mode 0700: only root may create pin directories there
# (its default, 1777, lets any user make the directory root's xlb would
# adopt; libxlb refuses such directories anyway). An existing mount is left
# as it is: other tools on this host may rely on its mode.
set -euo pipefail

if ! mountpoint -q /sys/fs/bpf; then
	mkdir -p /sys/fs/bpf
	mount -t bpf -o mode=0700 bpf /sys/fs/bpf
fi
