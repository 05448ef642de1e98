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
 * slot_verdict. A global function: the verifier checks it once on its own,
 * not once per probe and per path into the probe loop, which would grow
 * exponentially with the probe limit.
 */
__noinline int table_slot_pair(__u32 vip_id, __u32 slot)
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
 * The first pair that takes new flows among XLB_PROBE_LIMIT slots from
 * slot on, else a slot_verdict. Global too: the loop is verified once, not
 * once per path a packet can take to reach it.
 */
__noinline int table_probe(__u32 vip_id, __u32 size, __u32 slot)
{
	int pair = SLOT_SKIP;

	for (int i = 0; i < XLB_PROBE_LIMIT && pair == SLOT_SKIP; i++) {
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
 */
static __always_inline struct xlb_backend *
table_pick(const struct xlb_vip *vip, const struct packet *pkt, __u32 *pair_out,
	   enum xlb_drop_reason *reason)
{
	struct xlb_config *cfg = runtime_config();
	__u32 seed = cfg ? cfg->hash_seed : 0, slot;
	int pair;

	slot = xlb_hash_to_slot(xlb_flow_hash(&pkt->key, seed),
				vip->table_size);
	pair = table_probe(vip->id, vip->table_size, slot);
	if (pair < 0) {
		*reason = pair == SLOT_NO_TABLE ? XLB_DROP_NO_TABLE
						: XLB_DROP_NO_BACKEND;
		return NULL;
	}
	*pair_out = pair;
	return pair_lookup(pair);
}

#endif
