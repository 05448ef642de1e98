// SPDX-License-Identifier: GPL-2.0
/*
 * XDP_PASS, for the bridge's ports. A frame a node sends with XDP_TX (the
 * balancer) waits in the peer's ring until that peer's NAPI runs; veth wakes
 * the peer after XDP_TX only if the peer has an XDP program (GRO enables
 * NAPI but not the wake-up), so without this the frames stall.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
