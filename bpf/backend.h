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

/* The pair's word (struct xlb_backend), as forward() uses it. */
struct pair_word {
	__u8 mac[6];
	__u8 family;
	__u8 flags;
};

static __always_inline struct pair_word
pair_word_load(const struct xlb_backend *be)
{
	union {
		__u64 word;
		struct pair_word w;
	} u;

	/* volatile: one 8-byte load, never split or repeated by clang. */
	u.word = *(const volatile __u64 *)((const __u8 *)be +
					   XLB_PAIR_WORD_OFFSET);
	return u.w;
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
