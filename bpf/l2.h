/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whose frame is this? Only unicast frames addressed to the interface's own
 * MAC are balanced. A bridge floods unknown unicast to every port: without
 * this test every LB host on the segment would forward the same frame.
 */
#ifndef XLB_BPF_L2_H
#define XLB_BPF_L2_H

#include "forward.h"

enum l2_dest {
	L2_OURS,       /* unicast to lb_mac, or too short to tell (parser) */
	L2_GROUP,      /* broadcast or multicast: ARP, ND, ... for the stack */
	L2_OTHER_HOST, /* unicast to another MAC: the kernel drops it */
};

static __always_inline enum l2_dest l2_destination(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct mac_words ours;

	if ((void *)(eth + 1) > data_end)
		return L2_OURS; /* the parser passes what has no header */
	if (eth->h_dest[0] & 1) /* the I/G bit */
		return L2_GROUP;
	/*
	 * Two word compares, not six byte ones: this runs on every frame (a
	 * 4-byte load at a 2-byte boundary is fine for XDP on x86).
	 */
	ours = lb_mac_words();
	if (*(__u32 *)(void *)eth->h_dest != ours.lo ||
	    *(__u16 *)(void *)(eth->h_dest + 4) != ours.hi)
		return L2_OTHER_HOST;
	return L2_OURS;
}

#endif
