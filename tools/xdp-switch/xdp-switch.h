/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the XDP switch program and its loader share: map key and value types
 * and limits. Plain C types only; each side includes its own definitions of
 * __u8/__u32/__u64 (vmlinux.h or linux/types.h) first.
 */
#ifndef XDP_SWITCH_H
#define XDP_SWITCH_H

/* Ports of one segment: a client, the LB, backends; generous headroom. */
#define SW_MAX_PORTS 256

/* Key of sw_fdb: a unicast MAC address, padded to 8 bytes so that the key
 * has no hole the kernel would hash as garbage. */
struct sw_mac {
	__u8 addr[6];
	__u16 pad; /* always 0 */
};

/* The single per-CPU value of sw_stats; user space sums the CPUs. */
struct sw_stats {
	__u64 rx;	    /* frames seen on any port */
	__u64 forwarded;    /* unicast frames redirected to their port */
	__u64 flooded;	    /* broadcast and multicast frames flooded */
	__u64 drop_unknown; /* unicast to a MAC not in sw_fdb */
	__u64 drop_hairpin; /* unicast to the port it came in on */
	__u64 drop_short;   /* shorter than an Ethernet header */
};

_Static_assert(sizeof(struct sw_mac) == 8, "sw_mac is 8 bytes");
_Static_assert(sizeof(struct sw_stats) == 48, "sw_stats is 6 counters");

#endif /* XDP_SWITCH_H */
