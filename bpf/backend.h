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
