/* SPDX-License-Identifier: GPL-2.0 */
/* Placing a new flow: the VIP's Maglev table, by flow hash. */
#ifndef XLB_BPF_PICK_H
#define XLB_BPF_PICK_H

#include "maps.h"
#include "backend.h"
#include "conn.h"
#include "xlb_hash.h"

/*
 * The pair in the slot the flow hash names or, when that pair is not active
 * (a state changed by hand, or a table not yet rebuilt), in one of the next
 * XLB_PROBE_LIMIT slots. NULL with *reason set when there is none.
 */
static __always_inline struct xlb_backend *
table_pick(const struct xlb_vip *vip, const struct packet *pkt, __u32 *pair_out,
	   enum xlb_drop_reason *reason)
{
	__u32 vip_id = vip->id, size = vip->table_size, seed = 0;
	struct xlb_config *cfg = runtime_config();
	struct xlb_table_entry *entry;
	struct xlb_backend *be;
	__u32 slot, index, pair;
	void *table;

	table = bpf_map_lookup_elem(&xlb_tables, &vip_id);
	if (!table) {
		*reason = XLB_DROP_NO_TABLE;
		return NULL;
	}
	if (cfg)
		seed = cfg->hash_seed;
	slot = xlb_hash_to_slot(xlb_flow_hash(&pkt->key, seed), size);

	*reason = XLB_DROP_NO_BACKEND;
	for (int i = 0; i < XLB_PROBE_LIMIT; i++) {
		index = slot / XLB_SLOTS_PER_ENTRY;
		entry = bpf_map_lookup_elem(table, &index);
		if (!entry) {
			*reason = XLB_DROP_NO_TABLE;
			return NULL;
		}
		pair = entry->pair[slot % XLB_SLOTS_PER_ENTRY];
		if (pair == XLB_PAIR_NONE)
			return NULL; /* tables hold none only when all are */
		be = pair_lookup(pair);
		if (be && be->vip_id == vip_id &&
		    pair_state(pair) == XLB_STATE_ACTIVE) {
			*pair_out = pair;
			return be;
		}
		if (++slot >= size)
			slot = 0;
	}
	return NULL;
}

#endif
