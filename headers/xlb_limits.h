/* SPDX-License-Identifier: GPL-2.0 */
/* Every limit and fixed value shared by the data plane and user space. */
#ifndef XLB_LIMITS_H
#define XLB_LIMITS_H

/*
 * Version of the map layout (names, types, key and value structs). Bump it on
 * any change that would make an older xlb misread the pins; adopting pins of
 * another version is refused.
 */
#define XLB_LAYOUT_VERSION 9
#define XLB_META_MAGIC 0x584c4231 /* "XLB1" */

/* Configured VIPs; also the size of the table-of-tables and per-VIP stats. */
#define XLB_MAX_VIPS 1024
/*
 * (VIP, backend) pairs across all VIPs. Table slots hold a pair id in 16 bits
 * (four slots per 8-byte array value), so this stays below XLB_PAIR_NONE.
 */
#define XLB_MAX_BACKENDS 8192
#define XLB_PAIR_NONE 0xffff

/*
 * Maglev table size per VIP: a prime. The paper keeps every backend within 1%
 * of its share when M > 100 * N, so the default serves up to ~650 backends.
 */
#define XLB_TABLE_SIZE_DEFAULT 65537
#define XLB_TABLE_SIZE_MIN 3
#define XLB_TABLE_SIZE_MAX 1048573 /* largest prime below 2^20 */
#define XLB_SLOTS_PER_ENTRY 4

/*
 * Slots the data plane probes past one whose backend is not active, so a
 * backend marked down by hand loses its new flows before the table rebuild.
 * Slot owners are close to independent, so with a share d of the table
 * down a new flow finds no active slot with probability d^32: 2e-10 for one
 * of two backends down.
 */
#define XLB_PROBE_LIMIT 32

/* Connection table entries (LRU, preallocated at load: ~121 bytes each). */
#define XLB_CONN_TABLE_DEFAULT 524288
#define XLB_CONN_TABLE_MIN 1024
#define XLB_CONN_TABLE_MAX (64 * 1024 * 1024)

#define XLB_UDP_TIMEOUT_DEFAULT_S 30
#define XLB_UDP_TIMEOUT_MAX_S 86400

/* New-flow insert budget, per second per CPU (0 = unlimited). */
#define XLB_NEW_FLOW_BUDGET_MAX 100000000

/*
 * gue: the outer UDP destination port when none is set. GUE has no IANA
 * port; this is the one the backends' xlb-decap listens on by default.
 */
#define XLB_GUE_PORT_DEFAULT 6080
/*
 * gue: the outer UDP source port is XLB_GUE_SPORT_BASE plus the low bits of
 * the flow hash: one flow keeps one underlay path, flows spread over ECMP,
 * and the port stays in the ephemeral range (49152-65535, RFC 6335).
 */
#define XLB_GUE_SPORT_BASE 49152
#define XLB_GUE_SPORT_MASK 0x3fff

/* Interfaces that can be redirect targets (xlb_devmap). */
#define XLB_MAX_INTERFACES 256

/* Weight of a (VIP, backend) pair; 0 takes no new flows. */
#define XLB_WEIGHT_DEFAULT 100
#define XLB_WEIGHT_MAX 10000

/* Prefilter: one bit per hash of a destination address (8 KiB). */
#define XLB_PREFILTER_BITS 16
#define XLB_PREFILTER_WORDS (1 << (XLB_PREFILTER_BITS - 6))

/* IPv6 extension headers walked before giving up on finding TCP/UDP. */
#define XLB_IPV6_EXTHDR_MAX 4

/* Address families as stored in maps: readable in a bpftool dump. */
#define XLB_FAMILY_V4 4
#define XLB_FAMILY_V6 6

#endif
