// SPDX-License-Identifier: GPL-2.0
/*
 * xlb: the XDP balancer. Per packet, top to bottom:
 *   own MAC -> parse (prefilter on the destination address) ->
 *   connection table -> VIP lookup -> Maglev table pick -> remember the
 *   flow -> forward -> count.
 * ICMP to a VIP address leaves the parser for icmp.h (echo replies, errors
 * sent to the backend of the flow they quote).
 *
 * An established flow is found by its 5-tuple before the VIP is looked up:
 * its connection entry names the pair, and the pair names the VIP, so the
 * common case costs one hash lookup. A TCP SYN skips the connection table and
 * always picks afresh, so a reused 5-tuple never lands on a draining backend.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "maps.h"
#include "parse.h"
#include "backend.h"
#include "conn.h"
#include "pick.h"
#include "forward.h"
#include "l2.h"
#include "counters.h"
#include "icmp.h"

/*
 * The layout this object was built for, read from its BTF by xlbctl upgrade:
 * map shapes alone cannot tell two layouts apart when a struct's fields move.
 */
const volatile __u32 xlb_layout_version = XLB_LAYOUT_VERSION;

static __always_inline struct xlb_vip *vip_lookup(const struct packet *pkt)
{
	struct xlb_vip_key key = {
		.addr = pkt->key.daddr,
		.port = pkt->key.dport,
		.proto = pkt->key.proto,
		.family = pkt->key.family,
	};

	return bpf_map_lookup_elem(&xlb_vips, &key);
}

static __always_inline int balance(struct xdp_md *ctx, struct packet *pkt,
				   struct xlb_global_counters *global)
{
	enum xlb_drop_reason reason;
	bool syn = is_tcp_syn(pkt);
	struct xlb_backend *be;
	struct xlb_vip *vip;
	__u32 pair = 0;

	if (!syn) {
		be = conn_lookup(pkt, global, &pair);
		if (be) {
			global->conn_hits++;
			global->forwarded++;
			count_forwarded(pair, be->vip_id, pkt->frame_len, false,
					pkt->tcp_flags);
			return forward(ctx, be, pkt, global);
		}
	}

	vip = vip_lookup(pkt);
	if (!vip) {
		global->passed++;
		return XDP_PASS;
	}
	if (!syn) {
		global->conn_misses++;
		if (pkt->key.proto == IPPROTO_TCP)
			global->nonsyn_misses++;
	}

	be = table_pick(vip, pkt, &pair, &reason);
	if (!be) {
		count_vip_drop(vip->id);
		return drop(global, reason);
	}
	conn_insert(pkt, pair, be, global);
	global->forwarded++;
	count_forwarded(pair, vip->id, pkt->frame_len, true, pkt->tcp_flags);
	return forward(ctx, be, pkt, global);
}

SEC("xdp")
int xlb_xdp(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct xlb_global_counters *global;
	struct packet pkt = {};

	global = global_counters();
	if (!global)
		return XDP_PASS;

	switch (l2_destination(data, data_end)) {
	case L2_OURS:
		break;
	case L2_GROUP:
		global->passed++;
		return XDP_PASS;
	case L2_OTHER_HOST:
		/* Untouched: the kernel drops it as PACKET_OTHERHOST. */
		global->not_for_us++;
		return XDP_PASS;
	}

	switch (parse_packet(data, data_end, &pkt)) {
	case PARSED:
		return balance(ctx, &pkt, global);
	case PARSED_ICMP:
		return xlb_icmp(ctx, pkt.l4_off);
	case MALFORMED:
		/* The prefilter may collide: drop only what is truly a VIP's. */
		if (is_vip_address(&pkt.key))
			return drop(global, pkt.drop_reason);
		break;
	case NOT_VIP:
		break;
	}
	global->passed++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
