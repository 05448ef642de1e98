/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What bpf/decap.bpf.c (on a backend) and its loader share: the VIPs whose
 * encapsulated packets it strips, and its counters.
 */
#ifndef XLB_DECAP_H
#define XLB_DECAP_H

#include "xlb_structs.h"

/* Hash struct xlb_addr_key -> __u32 (1): the VIPs this backend serves. */
#define XLB_DECAP_MAP_VIPS "xlb_decap_vips"
/* Per-CPU array[1] of struct xlb_decap_counters. */
#define XLB_DECAP_MAP_STATS "xlb_decap_stats"
#define XLB_DECAP_MAX_VIPS 1024

struct xlb_decap_counters {
	/* IP-in-IP (4 or 41 in an outer IPv4/IPv6 header) to a VIP: stripped. */
	__u64 decapsulated;
	/* IP-in-IP or GUE to another inner address: passed untouched. */
	__u64 not_vip;
	/*
	 * Anything else, or an outer header with options or fragmented, or
	 * UDP to the GUE port that is not a GUE variant we take.
	 */
	__u64 passed;
	/* GUE (UDP to the GUE port, variant 1 or 0) to a VIP: stripped. */
	__u64 gue_decapsulated;
};

XLB_ASSERT_SIZE(struct xlb_decap_counters, 32);

#endif
