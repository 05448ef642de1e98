/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of the maps (at most 15 characters: the kernel's limit). Each is also
 * the file name of its pin under the pin directory. bpf/maps.h defines the
 * maps under these same names; a BPF test checks that every name resolves.
 */
#ifndef XLB_MAPS_H
#define XLB_MAPS_H

/* Array[1] of struct xlb_meta: magic, layout version, load-time limits. */
#define XLB_MAP_META "xlb_meta"
/* Array[1] of struct xlb_config: UDP idle timeout, hash seed, insert budget. */
#define XLB_MAP_CONFIG "xlb_config"
/* Array[1] of struct xlb_prefilter: lets non-VIP traffic pass before any hash. */
#define XLB_MAP_PREFILTER "xlb_prefilter"
/*
 * The program's data section that reads xlb_prefilter in place: loaders
 * hand libbpf the pinned map for it (bpf_map__reuse_fd), so it is not a map
 * of its own.
 */
#define XLB_PREFILTER_SECTION ".data.prefilter"
/* Hash struct xlb_vip_key -> struct xlb_vip. */
#define XLB_MAP_VIPS "xlb_vips"
/* Hash struct xlb_addr_key -> u32 count of VIPs on that address. */
#define XLB_MAP_VIP_ADDRS "xlb_vip_addrs"
/* Array of maps by VIP id -> Array of struct xlb_table_entry (the Maglev table). */
#define XLB_MAP_TABLES "xlb_tables"
/* Array by pair id -> struct xlb_backend. */
#define XLB_MAP_BACKENDS "xlb_backends"
/* Array by pair id -> u32 enum xlb_backend_state. */
#define XLB_MAP_BE_STATE "xlb_be_state"
/* Array by pair id -> u32 weight (read by user space to build tables). */
#define XLB_MAP_BE_WEIGHT "xlb_be_weight"
/* LRU hash struct xlb_flow_key -> struct xlb_conn. */
#define XLB_MAP_CONNS "xlb_conns"
/* Per-CPU array by pair id -> struct xlb_pair_counters. */
#define XLB_MAP_BE_STATS "xlb_be_stats"
/* Per-CPU array by VIP id -> struct xlb_vip_counters. */
#define XLB_MAP_VIP_STATS "xlb_vip_stats"
/* Per-CPU array[1] of struct xlb_global_counters. */
#define XLB_MAP_GLOBAL "xlb_global"
/*
 * Array by pair id -> struct xlb_pair_intent (xlb_intent.h): the operator's
 * base weight and state, the brain's factor and health. User space only:
 * xlb_be_weight and xlb_be_state hold what the data plane uses, computed
 * from it.
 */
#define XLB_MAP_PAIR_INTENT "xlb_pair_intent"
/*
 * Array by VIP id -> u32 digest of the pairs, weights and states the VIP's
 * current table was built from (user space only: tells a stale table).
 */
#define XLB_MAP_VIP_DIGEST "xlb_vip_digest"
/* Per-CPU array[1] of struct xlb_budget_state: the new-flow insert budget. */
#define XLB_MAP_BUDGET "xlb_budget"
/*
 * Devmap hash ifindex -> ifindex: the interfaces xlb is attached to, which
 * ipip and gue frames may be redirected to when the route to the backend
 * leaves by another interface (two-armed). Written by libxlb on attach and
 * detach.
 */
#define XLB_MAP_DEVMAP "xlb_devmap"

#define XLB_MAP_NAMES                                                    \
	XLB_MAP_META, XLB_MAP_CONFIG, XLB_MAP_PREFILTER, XLB_MAP_VIPS,   \
		XLB_MAP_VIP_ADDRS, XLB_MAP_TABLES, XLB_MAP_BACKENDS,     \
		XLB_MAP_BE_STATE, XLB_MAP_BE_WEIGHT, XLB_MAP_CONNS,      \
		XLB_MAP_BE_STATS, XLB_MAP_VIP_STATS, XLB_MAP_GLOBAL,     \
		XLB_MAP_PAIR_INTENT, XLB_MAP_VIP_DIGEST, XLB_MAP_BUDGET, \
		XLB_MAP_DEVMAP

/* Pin of the bpf_link that attaches the program to interface NAME. */
#define XLB_LINK_PIN_PREFIX "link_"

#define XLB_PIN_DIR_DEFAULT "/sys/fs/bpf/xlb"

#endif
