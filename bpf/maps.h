/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The data plane's maps, one comment each. Names match headers/xlb_maps.h;
 * all are pinned by name so that xlbctl, xlbd and bpftool find them and a
 * restarted control plane adopts them.
 */
#ifndef XLB_BPF_MAPS_H
#define XLB_BPF_MAPS_H

#include "xlb_structs.h"
#include "xlb_intent.h"
#include "conn_table.h"

/* Magic, layout version and load-time limits: checked before adopting pins. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_meta);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_meta SEC(".maps");

/* Run-time settings: UDP idle timeout, flow-hash seed, insert budget. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_config SEC(".maps");

/*
 * One bit per destination-address hash. The program reads it in place
 * (prefilter.h), so non-VIP traffic pays a load and a bit test, not a hash.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_prefilter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_prefilter SEC(".maps");

/* The configured VIPs. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XLB_MAX_VIPS);
	__type(key, struct xlb_vip_key);
	__type(value, struct xlb_vip);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_vips SEC(".maps");

/*
 * Addresses used by at least one VIP: the exact test for packets whose ports
 * cannot be read (fragments, truncated or malformed headers), and whether
 * the LB answers ICMP echo to the address.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XLB_MAX_VIPS);
	__type(key, struct xlb_addr_key);
	__type(value, struct xlb_vip_addr);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_vip_addrs SEC(".maps");

/*
 * A VIP's Maglev table. Created by user space per VIP, sized to the VIP's
 * table (BPF_F_INNER_MAP lets sizes differ), filled through mmap and swapped
 * in whole: a packet sees the old table or the new one, never a mix.
 */
struct xlb_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	/*
	 * Really struct xlb_table_entry: clang 14 emits only a forward
	 * declaration for a struct named inside an inner-map definition, and
	 * libbpf then cannot size the value. The array has the same layout.
	 */
	__type(value, __u16[XLB_SLOTS_PER_ENTRY]);
};

_Static_assert(sizeof(__u16[XLB_SLOTS_PER_ENTRY]) ==
		       sizeof(struct xlb_table_entry),
	       "table value layout");

/* VIP id -> its table; empty for ids no VIP uses (nothing preallocated). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, XLB_MAX_VIPS);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct xlb_table);
} xlb_tables SEC(".maps");

/* Pair id -> the (VIP, backend) pair: address, MAC, generation. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct xlb_backend);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_backends SEC(".maps");

/* Pair id -> enum xlb_backend_state; read on every packet. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_be_state SEC(".maps");

/* Pair id -> weight; only user space reads it, to build tables. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_be_weight SEC(".maps");

/* 5-tuple -> pair: see conn_table.h. */
struct {
	XLB_CONN_TABLE_DEFINITION;
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_conns SEC(".maps");

/* Per-CPU counters per pair, per VIP and global; user space sums them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct xlb_pair_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_be_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct xlb_vip_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_vip_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_global_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_global SEC(".maps");

/* Per CPU: the token bucket of connection-table inserts (conn.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_budget_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_budget SEC(".maps");

/*
 * ifindex -> ifindex of each interface xlb is attached to (libxlb keeps it):
 * the redirect targets of ipip and gue when the FIB names another interface.
 * Only interfaces with xlb on them: a native redirect needs an XDP program
 * on the target (and on veth, NAPI on its peer).
 */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, XLB_MAX_INTERFACES);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_devmap SEC(".maps");

/*
 * User space only, never read by the program: created and pinned with the
 * others so that every instance has them. Pair id -> the operator's intent
 * and the brain's opinion (xlb_intent.h); xlb_be_weight and xlb_be_state
 * hold their composition.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct xlb_pair_intent);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_pair_intent SEC(".maps");

/* VIP id -> digest of what its table was built from (user space only). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_MAX_VIPS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_vip_digest SEC(".maps");

#endif
