/* SPDX-License-Identifier: GPL-2.0 */
/* The connection table: keeps an established flow on its backend. */
#ifndef XLB_BPF_CONN_H
#define XLB_BPF_CONN_H

#include "maps.h"
#include "backend.h"
#include "clock.h"
#include "parse.h"

static __always_inline struct xlb_config *runtime_config(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&xlb_config, &zero);
}

/*
 * A UDP flow lives while packets keep coming within the idle timeout. The
 * entry's time is refreshed only every eighth of the timeout: a write per
 * packet would bounce its cache line between CPUs.
 */
static __always_inline bool udp_conn_alive(struct xlb_conn *conn,
					   struct xlb_global_counters *global)
{
	struct xlb_config *cfg = runtime_config();
	__u64 now = coarse_ns();
	__s64 idle = now - conn->last_seen_ns;

	if (!cfg)
		return true;
	if (idle > (__s64)cfg->udp_timeout_ns) {
		global->udp_expired++;
		return false;
	}
	if (idle > (__s64)(cfg->udp_timeout_ns >> 3))
		conn->last_seen_ns = now;
	return true;
}

/*
 * The pair an established flow is pinned to, or NULL when the flow has no
 * live entry: none yet, its pair deleted or reused since, its backend down
 * (such flows move at once), or a UDP flow idle past the timeout. Draining
 * backends keep their flows.
 */
static __always_inline struct xlb_backend *
conn_lookup(const struct packet *pkt, struct xlb_global_counters *global,
	    __u32 *pair_out)
{
	struct xlb_conn *conn;
	struct xlb_backend *be;
	__u32 pair;

	conn = bpf_map_lookup_elem(&xlb_conns, &pkt->key);
	if (!conn)
		return NULL;
	pair = conn->pair;
	be = pair_lookup(pair);
	if (!be || be->gen != conn->gen || pair_state(pair) == XLB_STATE_DOWN)
		return NULL;
	if (pkt->key.proto == IPPROTO_UDP && !udp_conn_alive(conn, global))
		return NULL;
	*pair_out = pair;
	return be;
}

/*
 * May this CPU insert one more flow? A token bucket on the coarse clock: the
 * credit grows by budget per second of elapsed time, up to one second's
 * budget (the burst), and an insert spends one. Kept in nano-tokens so that
 * no division runs per packet. Per-CPU state, so no atomics. False counts a
 * bypass: the flow is forwarded by the table but not remembered, and its
 * next packet tries again.
 */
static __always_inline bool insert_allowed(struct xlb_global_counters *global)
{
	struct xlb_config *cfg = runtime_config();
	struct xlb_budget_state *st;
	__u64 now, elapsed, credit, cap;
	__u32 zero = 0, budget;

	budget = cfg ? cfg->new_flow_budget : 0;
	if (!budget)
		return true;
	st = bpf_map_lookup_elem(&xlb_budget, &zero);
	if (!st)
		return true;
	now = coarse_ns();
	elapsed = now > st->last_ns ? now - st->last_ns : 0;
	if (elapsed > XLB_NSEC)
		elapsed = XLB_NSEC;
	cap = (__u64)budget * XLB_NSEC;
	credit = st->credit + elapsed * budget;
	if (credit > cap)
		credit = cap;
	st->last_ns = now;
	if (credit < XLB_NSEC) {
		st->credit = credit;
		global->lru_bypass++;
		return false;
	}
	st->credit = credit - XLB_NSEC;
	return true;
}

/*
 * Remembers a new flow. Other packets come here after conn_lookup missed; a
 * SYN has not looked its 5-tuple up: the update replaces any old entry, and
 * only a bypassed SYN looks for one to delete. A lookup before every insert
 * cost more than it saved here, where every call's return mispredicts
 * (SRSO safe RET): the SYN path 1.30x -> 1.24x the insert floor without it.
 */
static __always_inline void conn_insert(const struct packet *pkt, __u32 pair,
					const struct xlb_backend *be,
					struct xlb_global_counters *global)
{
	struct xlb_conn conn = {
		.pair = pair,
		.gen = be->gen,
	};

	if (!insert_allowed(global)) {
		/*
		 * A SYN reusing a remembered 5-tuple went where the table
		 * says: its old entry must not pull the next packets back.
		 */
		if (is_tcp_syn(pkt) &&
		    bpf_map_lookup_elem(&xlb_conns, &pkt->key))
			bpf_map_delete_elem(&xlb_conns, &pkt->key);
		return;
	}
	if (pkt->key.proto == IPPROTO_UDP)
		conn.last_seen_ns = coarse_ns();
	/* A full LRU evicts its oldest entry: this cannot fail for lack of room. */
	bpf_map_update_elem(&xlb_conns, &pkt->key, &conn, BPF_ANY);
}

#endif
