/* SPDX-License-Identifier: GPL-2.0 */
/* Sending the frame on to its backend. */
#ifndef XLB_BPF_FORWARD_H
#define XLB_BPF_FORWARD_H

#include "xlb_structs.h"
#include "backend.h"
#include "encap.h"

/*
 * Set per attachment at load time: the MAC of the interface we run on.
 * Aligned so that it reads as a 4- and a 2-byte word (lb_mac_word).
 */
const volatile __u8 lb_mac[6] __attribute__((aligned(8))) = {};

/* lb_mac as its first 4 bytes and its last 2, in memory order. */
struct mac_words {
	__u32 lo;
	__u16 hi;
};

static __always_inline struct mac_words lb_mac_words(void)
{
	/* volatile: read at run time, never folded to the zeros of the ELF. */
	struct mac_words m = {
		.lo = *(const volatile __u32 *)lb_mac,
		.hi = *(const volatile __u16 *)(lb_mac + 4),
	};

	return m;
}

/*
 * l2dsr: the backend holds the VIP on its loopback, so only the Ethernet
 * header changes; the frame leaves through the interface it came in on and
 * the backend answers the client directly.
 */
static __always_inline int forward_l2dsr(void *data, void *data_end,
					 const __u8 *mac)
{
	struct mac_words src = lb_mac_words();
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(eth->h_dest, mac, sizeof(eth->h_dest));
	__builtin_memcpy(eth->h_source, &src.lo, 4);
	__builtin_memcpy(eth->h_source + 4, &src.hi, 2);
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
