/* SPDX-License-Identifier: GPL-2.0 */
/* Placing a new flow: the VIP's Maglev table, by flow hash. */
#ifndef XLB_BPF_PICK_H
#define XLB_BPF_PICK_H

#include "maps.h"
#include "backend.h"
#include "conn.h"
#include "xlb_hash.h"

enum slot_verdict {
	SLOT_SKIP = -1,	 /* the slot's backend takes no new flows: probe on */
	SLOT_EMPTY = -2, /* the table has no active backend at all */
	SLOT_NO_TABLE = -3, /* the table is missing or smaller than its size */
};

/*
 * The pair in one slot of a VIP's table if it takes new flows, else a
 * slot_verdict.
 */
static __always_inline int slot_pair(__u32 vip_id, __u32 slot)
{
	struct xlb_table_entry *entry;
	struct xlb_backend *be;
	__u32 index = slot / XLB_SLOTS_PER_ENTRY;
	__u16 pair;
	void *table;

	table = bpf_map_lookup_elem(&xlb_tables, &vip_id);
	if (!table)
		return SLOT_NO_TABLE;
	entry = bpf_map_lookup_elem(table, &index);
	if (!entry)
		return SLOT_NO_TABLE;
	pair = entry->pair[slot % XLB_SLOTS_PER_ENTRY];
	if (pair == XLB_PAIR_NONE)
		return SLOT_EMPTY; /* tables hold none only when all are */
	be = pair_lookup(pair);
	if (!be || be->vip_id != vip_id || pair_state(pair) != XLB_STATE_ACTIVE)
		return SLOT_SKIP;
	return pair;
}

/*
 * slot_pair as a global function, for the probe loop: the verifier checks
 * it once on its own, not once per probe and per path into the loop, which
 * would grow exponentially with the probe limit.
 */
__noinline int table_slot_pair(__u32 vip_id, __u32 slot)
{
	return slot_pair(vip_id, slot);
}

/*
 * The first pair that takes new flows among XLB_PROBE_LIMIT slots from
 * slot on, less the tried ones the caller probed before slot (0 or 1),
 * else a slot_verdict. Global too: the loop is verified once, not once per
 * path a packet can take to reach it.
 */
__noinline int table_probe(__u32 vip_id, __u32 size, __u32 slot, __u32 tried)
{
	int pair = SLOT_SKIP;

	for (int i = tried ? 1 : 0; i < XLB_PROBE_LIMIT && pair == SLOT_SKIP;
	     i++) {
		pair = table_slot_pair(vip_id, slot);
		if (++slot >= size)
			slot = 0;
	}
	return pair;
}

/*
 * The pair in the slot the flow hash names or, when that pair is not active
 * (a state changed by hand, or a table not yet rebuilt), in one of the next
 * slots. NULL with *reason set when there is none.
 *
 * hot (a constant): the hashed slot inline and the probe only past it, for
 * the packet path, where a call's return is a mispredicted branch on this
 * kernel (SRSO safe RET, a few nanoseconds each) and most flows need no
 * probe. The ICMP path probes every slot through the call: the inline
 * slot's stack would take its combined stack past 512 bytes.
 */
static __always_inline struct xlb_backend *
table_pick_slot(const struct xlb_vip *vip, const struct packet *pkt,
		__u32 *pair_out, enum xlb_drop_reason *reason, const bool hot)
{
	struct xlb_config *cfg = runtime_config();
	__u32 seed = cfg ? cfg->hash_seed : 0, slot, tried = 0;
	int pair = SLOT_SKIP;

	slot = xlb_hash_to_slot(xlb_flow_hash(&pkt->key, seed),
				vip->table_size);
	if (hot) {
		pair = slot_pair(vip->id, slot);
		if (++slot >= vip->table_size)
			slot = 0;
		tried = 1;
	}
	if (pair == SLOT_SKIP)
		pair = table_probe(vip->id, vip->table_size, slot, tried);
	if (pair < 0) {
		*reason = pair == SLOT_NO_TABLE ? XLB_DROP_NO_TABLE
						: XLB_DROP_NO_BACKEND;
		return NULL;
	}
	*pair_out = pair;
	return pair_lookup(pair);
}

static __always_inline struct xlb_backend *
table_pick(const struct xlb_vip *vip, const struct packet *pkt, __u32 *pair_out,
	   enum xlb_drop_reason *reason)
{
	return table_pick_slot(vip, pkt, pair_out, reason, true);
}

/* table_pick for the ICMP path (its stack, see table_pick_slot). */
static __always_inline struct xlb_backend *
table_pick_cold(const struct xlb_vip *vip, const struct packet *pkt,
		__u32 *pair_out, enum xlb_drop_reason *reason)
{
	return table_pick_slot(vip, pkt, pair_out, reason, false);
}

#endif
