/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Weighted Maglev tables (Eisenbud et al., NSDI 2016), pure computation: no
 * maps, no BPF. A backend's permutation comes from its address and the VIP,
 * and backends are taken in address order, so every LB host with the same
 * configuration builds the same table whatever order backends were added in.
 */
#ifndef XLB_MAGLEV_H
#define XLB_MAGLEV_H

#include <stdbool.h>
#include <stddef.h>

#include "xlb_structs.h"

struct xlb_maglev_backend {
	union xlb_addr addr;
	__u8 family;
	__u32 weight; /* 0: no slots */
	__u16 pair;   /* what the slots hold */
};

/*
 * Fills table[0, size) with pair ids in proportion to the weights; all slots
 * XLB_PAIR_NONE when no backend has a weight. Sorts backends in place.
 * Returns 0, or -EINVAL for a size that is not a prime of the allowed range.
 */
int xlb_maglev_build(const struct xlb_vip_key *vip,
		     struct xlb_maglev_backend *backends, size_t n, __u32 size,
		     __u16 *table);

bool xlb_is_prime(__u32 n);

#endif
