/* SPDX-License-Identifier: GPL-2.0 */
/* Per-CPU counters: plain increments, user space sums the CPUs. */
#ifndef XLB_BPF_COUNTERS_H
#define XLB_BPF_COUNTERS_H

#include "maps.h"
#include "parse.h"

static __always_inline struct xlb_global_counters *global_counters(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&xlb_global, &zero);
}

/*
 * tcp_flags is 0 for UDP: a client's FIN and RST are counted per packet
 * (a retransmitted FIN again) without a branch of their own.
 */
static __always_inline void count_forwarded(__u32 pair, __u32 vip_id,
					    __u32 bytes, bool new_flow,
					    __u8 tcp_flags)
{
	struct xlb_pair_counters *pc =
		bpf_map_lookup_elem(&xlb_be_stats, &pair);
	struct xlb_vip_counters *vc =
		bpf_map_lookup_elem(&xlb_vip_stats, &vip_id);

	if (pc) {
		pc->packets++;
		pc->bytes += bytes;
		pc->new_flows += new_flow;
		/* Rare: a predicted branch costs less than two adds. */
		if (tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST)) {
			pc->fins += tcp_flags & TCP_FLAG_FIN;
			pc->rsts += (tcp_flags >> 2) & 1; /* TCP_FLAG_RST */
		}
	}
	if (vc) {
		vc->packets++;
		vc->bytes += bytes;
		vc->new_flows += new_flow;
	}
}

static __always_inline void count_vip_drop(__u32 vip_id)
{
	struct xlb_vip_counters *vc =
		bpf_map_lookup_elem(&xlb_vip_stats, &vip_id);

	if (vc)
		vc->dropped++;
}

static __always_inline int drop(struct xlb_global_counters *global,
				enum xlb_drop_reason reason)
{
	if (reason < XLB_DROP_REASONS)
		global->drops[reason]++;
	return XDP_DROP;
}

#endif
