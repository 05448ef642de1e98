/* SPDX-License-Identifier: GPL-2.0 */
/* Reading a (VIP, backend) pair and its state. */
#ifndef XLB_BPF_BACKEND_H
#define XLB_BPF_BACKEND_H

#include "maps.h"

/* The pair at this index if it is in use; NULL for a free index. */
static __always_inline struct xlb_backend *pair_lookup(__u32 pair)
{
	struct xlb_backend *be = bpf_map_lookup_elem(&xlb_backends, &pair);

	if (!be || !(be->flags & XLB_BACKEND_F_IN_USE))
		return NULL;
	return be;
}

/*
 * The pair's word (mac, family, flags) into a copy of the pair, in one
 * 8-byte load: libxlb changes a live pair's word in one store, so a packet
 * uses the MAC and mode of one moment, never bytes of two.
 */
static __always_inline void pair_word_load(const struct xlb_backend *be,
					   struct xlb_backend *copy)
{
	/* volatile: one 8-byte load, never split or repeated by clang. */
	*(__u64 *)((__u8 *)copy + XLB_PAIR_WORD_OFFSET) =
		*(const volatile __u64 *)((const __u8 *)be +
					  XLB_PAIR_WORD_OFFSET);
}

/* The pair's state; a value outside the enum reads as down. */
static __always_inline __u32 pair_state(__u32 pair)
{
	__u32 *state = bpf_map_lookup_elem(&xlb_be_state, &pair);

	if (!state ||
	    (*state != XLB_STATE_ACTIVE && *state != XLB_STATE_DRAINING))
		return XLB_STATE_DOWN;
	return *state;
}

#endif
