/* SPDX-License-Identifier: GPL-2.0 */
/* Sending the frame on to its backend. */
#ifndef XLB_BPF_FORWARD_H
#define XLB_BPF_FORWARD_H

#include "xlb_structs.h"
#include "backend.h"
#include "encap.h"

/* Set per attachment at load time: the MAC of the interface we run on. */
const volatile __u8 lb_mac[6] = {};

/*
 * l2dsr: the backend holds the VIP on its loopback, so only the Ethernet
 * header changes; the frame leaves through the interface it came in on and
 * the backend answers the client directly.
 */
static __always_inline int forward_l2dsr(void *data, void *data_end,
					 const __u8 *mac)
{
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(eth->h_dest, mac, sizeof(eth->h_dest));
	/* Byte by byte: a memcpy would let clang fold the initial zeros in. */
	for (int i = 0; i < 6; i++)
		eth->h_source[i] = lb_mac[i];
	return XDP_TX;
}

/*
 * The pair carries its VIP's mode: one test of a byte already loaded keeps
 * l2dsr's cost; every other mode is off the common path. Mode and MAC come
 * from one load of the pair's word, so a change of either is atomic.
 */
static __always_inline int forward(struct xdp_md *ctx,
				   const struct xlb_backend *be,
				   const struct packet *pkt,
				   struct xlb_global_counters *global)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct xlb_backend w __attribute__((aligned(8)));

	pair_word_load(be, &w);
	if (w.flags & XLB_VIP_MODE_MASK)
		return forward_encap(ctx, be, pkt, global,
				     (w.flags & XLB_VIP_MODE_MASK) ==
					     XLB_FORWARD_GUE
						     << XLB_VIP_MODE_SHIFT);
	return forward_l2dsr(data, data_end, w.mac);
}

#endif
