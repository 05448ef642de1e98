/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ICMP to a VIP address, off the TCP/UDP path: the parser hands over every
 * ICMP or ICMPv6 packet whose destination passed the prefilter.
 *
 * - Echo request: answered here (XDP_TX, addresses swapped) unless every VIP
 *   on the address has XLB_VIP_F_NO_ICMP_ECHO; then it passes to the stack.
 * - Destination unreachable (fragmentation needed among them) and IPv6
 *   packet too big: the quoted packet is a backend's reply (VIP -> client,
 *   DSR), so the reversed tuple names the flow; the message goes to that
 *   flow's backend like its packets do (l2dsr, or encapsulated for an ipip
 *   VIP: the backend's decap finds the VIP as the inner destination), and
 *   path MTU discovery works through the balancer (as in Katran and Maglev).
 * - Anything else, and errors quoting no VIP flow: passed untouched.
 */
#ifndef XLB_BPF_ICMP_H
#define XLB_BPF_ICMP_H

#include "maps.h"
#include "parse.h"
#include "backend.h"
#include "pick.h"
#include "forward.h"
#include "counters.h"

#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO 8
#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_PKT_TOOBIG 2
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129

#define ICMP_HDR_LEN 8 /* type, code, checksum and 4 bytes: both families */
#define ICMP_QUOTED_L4 \
	8 /* RFC 792: the quote holds 8 bytes past the IP header */
#define XLB_ICMP_REPLY_TTL 64
/*
 * ICMP behind more extension-header bytes than this is passed; the offset is
 * masked too: the verifier loses the bound of clang's 32-bit test.
 */
#define XLB_ICMP_L4_OFF_MAX 511
#define XLB_ICMP_L4_OFF_MASK 0x1ff

/*
 * RFC 1624, eqn. 3: the checksum after one 16-bit word changed from old to
 * new, HC' = ~(~HC + ~m + m'). Byte order does not matter as long as all
 * three are in the same one.
 */
static __always_inline __u16 csum_replace16(__u16 check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~check + (__u16)~old + new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static __always_inline void swap_macs(struct ethhdr *eth)
{
	__u8 tmp[6];

	__builtin_memcpy(tmp, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, tmp, 6);
}

/* Changes the byte at p (inside the checksummed word at word) and the sum. */
static __always_inline void set_byte_csum(__u16 *word, __u8 *p, __u8 value,
					  __u16 *check)
{
	__u16 old = *word;

	*p = value;
	*check = csum_replace16(*check, old, *word);
}

/* Past the IP payload or the frame: both tests, for the verifier's sake. */
static __always_inline bool past(void *p, void *ip_end, void *data_end)
{
	return p > data_end || p > ip_end;
}

static __always_inline int icmp_pass(struct xlb_global_counters *global)
{
	global->passed++;
	return XDP_PASS;
}

static __always_inline int icmp_drop(struct xlb_global_counters *global,
				     enum xlb_icmp_drop_reason reason)
{
	global->icmp_drops[reason]++;
	return XDP_DROP;
}

/*
 * The backend of the flow a quoted packet belongs to: its connection-table
 * entry when it has a live one (UDP idle time not checked: the entry still
 * names the backend that sent the quoted reply), else the Maglev table's
 * pick, as the flow's next packet would get. *verdict is set when NULL.
 */
static __always_inline struct xlb_backend *
quoted_flow_backend(struct packet *pkt, int *verdict,
		    struct xlb_global_counters *global)
{
	struct xlb_vip_key vkey = {
		.addr = pkt->key.daddr,
		.port = pkt->key.dport,
		.proto = pkt->key.proto,
		.family = pkt->key.family,
	};
	enum xlb_drop_reason reason;
	struct xlb_backend *be;
	struct xlb_conn *conn;
	struct xlb_vip *vip;
	__u32 pair = 0;

	conn = bpf_map_lookup_elem(&xlb_conns, &pkt->key);
	if (conn) {
		pair = conn->pair;
		be = pair_lookup(pair);
		if (be && be->gen == conn->gen &&
		    pair_state(pair) != XLB_STATE_DOWN)
			return be;
	}
	vip = bpf_map_lookup_elem(&xlb_vips, &vkey);
	if (!vip) {
		*verdict = icmp_pass(global); /* not a VIP flow */
		return NULL;
	}
	be = table_pick_cold(vip, pkt, &pair, &reason);
	if (!be)
		*verdict = icmp_drop(global, XLB_ICMP_DROP_NO_BACKEND);
	return be;
}

static __always_inline int steer_error(struct xdp_md *ctx, struct packet *pkt,
				       struct xlb_global_counters *global)
{
	struct xlb_backend *be;
	int verdict = XDP_PASS;

	be = quoted_flow_backend(pkt, &verdict, global);
	if (!be)
		return verdict;
	global->icmp_errors_steered++;
	return forward(ctx, be, pkt, global); /* the flow's own mode */
}

/*
 * The quoted ports, 8 bytes checked (RFC 792 guarantees them): the quote's
 * source is the VIP and its destination the client, so they go in reversed.
 */
static __always_inline int quoted_ports(void *l4, void *ip_end, void *data_end,
					struct packet *pkt)
{
	__be16 *ports = l4;

	if (past(l4 + ICMP_QUOTED_L4, ip_end, data_end))
		return -1;
	pkt->key.sport = ports[1];
	pkt->key.dport = ports[0];
	return 0;
}

static __always_inline int icmp4(struct xdp_md *ctx, void *data, void *data_end,
				 struct iphdr *iph, __u32 l4_off,
				 struct xlb_global_counters *global)
{
	struct xlb_addr_key akey = { .family = XLB_FAMILY_V4 };
	struct packet pkt = {};
	struct xlb_vip_addr *addr;
	struct icmphdr *icmp;
	struct iphdr *inner;
	void *ip_end;
	__u32 hdr_len;

	if ((void *)(iph + 1) > data_end)
		return icmp_pass(global);
	akey.addr.v4 = iph->daddr;
	addr = bpf_map_lookup_elem(&xlb_vip_addrs, &akey);
	if (!addr)
		return icmp_pass(global); /* a prefilter collision */

	hdr_len = iph->ihl * 4;
	if (iph->version != 4 || hdr_len < sizeof(*iph) ||
	    bpf_ntohs(iph->tot_len) < hdr_len)
		return drop(global, XLB_DROP_BAD_IP_HEADER);
	ip_end = (void *)iph + bpf_ntohs(iph->tot_len);
	if (ip_end > data_end)
		return drop(global, XLB_DROP_TRUNCATED);
	/* A fragmented ping: the stack may reassemble it, as before. */
	if (iph->frag_off & bpf_htons(IPV4_FRAG_MASK))
		return icmp_pass(global);

	icmp = data + (l4_off & XLB_ICMP_L4_OFF_MASK);
	if (past((void *)icmp + ICMP_HDR_LEN, ip_end, data_end))
		return drop(global, XLB_DROP_TRUNCATED);

	if (icmp->type == ICMP_ECHO) {
		if (!(addr->flags & XLB_ADDR_F_ICMP_ECHO))
			return icmp_pass(global);
		swap_macs(data);
		akey.addr.v4 = iph->saddr;
		iph->saddr = iph->daddr;
		iph->daddr = akey.addr.v4; /* the header sum does not change */
		set_byte_csum((__u16 *)&iph->ttl, &iph->ttl, XLB_ICMP_REPLY_TTL,
			      &iph->check);
		set_byte_csum((__u16 *)icmp, &icmp->type, ICMP_ECHOREPLY,
			      &icmp->checksum);
		global->icmp_echo_replied++;
		return XDP_TX;
	}
	if (icmp->type != ICMP_DEST_UNREACH)
		return icmp_pass(global);

	inner = (void *)icmp + ICMP_HDR_LEN;
	if (past(inner + 1, ip_end, data_end))
		return icmp_drop(global, XLB_ICMP_DROP_TRUNCATED);
	if (inner->protocol != IPPROTO_TCP && inner->protocol != IPPROTO_UDP)
		return icmp_pass(global); /* e.g. about an echo reply of ours */
	hdr_len = inner->ihl * 4;
	/* A later fragment quotes no ports. */
	if (inner->version != 4 || hdr_len < sizeof(*inner) ||
	    (inner->frag_off & bpf_htons(IPV4_FRAG_MASK & ~0x2000)))
		return icmp_drop(global, XLB_ICMP_DROP_BAD_QUOTE);
	if (quoted_ports((void *)inner + hdr_len, ip_end, data_end, &pkt))
		return icmp_drop(global, XLB_ICMP_DROP_TRUNCATED);
	pkt.key.saddr.v4 = inner->daddr;
	pkt.key.daddr.v4 = inner->saddr;
	pkt.key.proto = inner->protocol;
	pkt.key.family = XLB_FAMILY_V4;
	return steer_error(ctx, &pkt, global);
}

static __always_inline int icmp6(struct xdp_md *ctx, void *data, void *data_end,
				 struct ipv6hdr *ip6, __u32 l4_off,
				 struct xlb_global_counters *global)
{
	struct xlb_addr_key akey = { .family = XLB_FAMILY_V6 };
	struct packet pkt = {};
	struct xlb_vip_addr *addr;
	struct icmp6hdr *icmp;
	struct ipv6hdr *inner;
	void *ip_end;

	if ((void *)(ip6 + 1) > data_end)
		return icmp_pass(global);
	__builtin_memcpy(&akey.addr, &ip6->daddr, 16);
	addr = bpf_map_lookup_elem(&xlb_vip_addrs, &akey);
	if (!addr)
		return icmp_pass(global);
	/* The parser checked the version and the payload length. */
	ip_end = (void *)(ip6 + 1) + bpf_ntohs(ip6->payload_len);
	if (ip_end > data_end)
		return drop(global, XLB_DROP_TRUNCATED);

	icmp = data + (l4_off & XLB_ICMP_L4_OFF_MASK);
	if (past((void *)icmp + ICMP_HDR_LEN, ip_end, data_end))
		return drop(global, XLB_DROP_TRUNCATED);

	if (icmp->icmp6_type == ICMPV6_ECHO_REQUEST) {
		/* Extension headers would be sent back: leave those to the stack. */
		if (!(addr->flags & XLB_ADDR_F_ICMP_ECHO) ||
		    ip6->nexthdr != IPPROTO_ICMPV6)
			return icmp_pass(global);
		swap_macs(data);
		__builtin_memcpy(&akey.addr, &ip6->saddr, 16);
		__builtin_memcpy(&ip6->saddr, &ip6->daddr, 16);
		/* Swapped addresses leave the pseudo-header's sum as it was. */
		__builtin_memcpy(&ip6->daddr, &akey.addr, 16);
		ip6->hop_limit = XLB_ICMP_REPLY_TTL;
		set_byte_csum((__u16 *)icmp, &icmp->icmp6_type,
			      ICMPV6_ECHO_REPLY, &icmp->icmp6_cksum);
		global->icmp_echo_replied++;
		return XDP_TX;
	}
	if (icmp->icmp6_type != ICMPV6_DEST_UNREACH &&
	    icmp->icmp6_type != ICMPV6_PKT_TOOBIG)
		return icmp_pass(global); /* neighbour discovery among them */

	inner = (void *)icmp + ICMP_HDR_LEN;
	if (past(inner + 1, ip_end, data_end))
		return icmp_drop(global, XLB_ICMP_DROP_TRUNCATED);
	if (inner->version != 6)
		return icmp_drop(global, XLB_ICMP_DROP_BAD_QUOTE);
	if (inner->nexthdr != IPPROTO_TCP && inner->nexthdr != IPPROTO_UDP)
		return icmp_pass(global);
	if (quoted_ports(inner + 1, ip_end, data_end, &pkt))
		return icmp_drop(global, XLB_ICMP_DROP_TRUNCATED);
	__builtin_memcpy(&pkt.key.saddr, &inner->daddr, 16);
	__builtin_memcpy(&pkt.key.daddr, &inner->saddr, 16);
	pkt.key.proto = inner->nexthdr;
	pkt.key.family = XLB_FAMILY_V6;
	return steer_error(ctx, &pkt, global);
}

/*
 * A global function: verified once on its own, so the ICMP paths add
 * nothing to the verifier's walk of the TCP/UDP program.
 */
__noinline int xlb_icmp(struct xdp_md *ctx, __u32 l4_off)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct xlb_global_counters *global;
	struct hdr_cursor nh = { .pos = data };
	__be16 proto;

	global = global_counters();
	if (!global)
		return XDP_PASS;
	if (l4_off > XLB_ICMP_L4_OFF_MAX)
		return icmp_pass(global);
	/* Keeps clang from dropping the mask the verifier needs. */
	asm volatile("" : "+r"(l4_off));
	proto = parse_ethernet(&nh, data_end);
	if (proto == bpf_htons(ETH_P_IP))
		return icmp4(ctx, data, data_end, nh.pos, l4_off, global);
	if (proto == bpf_htons(ETH_P_IPV6))
		return icmp6(ctx, data, data_end, nh.pos, l4_off, global);
	return icmp_pass(global);
}

#endif
