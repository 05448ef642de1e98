/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Header parsing for the balancer: Ethernet with at most one 802.1Q tag,
 * IPv4 (any IHL) or IPv6 (hop-by-hop and destination options skipped), then
 * TCP or UDP. Each step advances a cursor and never reads past data_end.
 *
 * The destination address goes through the prefilter as soon as it is known,
 * so traffic that cannot be for a VIP leaves before any further work.
 */
#ifndef XLB_BPF_PARSE_H
#define XLB_BPF_PARSE_H

#include "xlb_structs.h"
#include "prefilter.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100

#define IPV4_FRAG_MASK 0x3fff /* more-fragments flag and fragment offset */

#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif

#define IPV6_NEXTHDR_HOP 0
#define IPV6_NEXTHDR_ROUTING 43
#define IPV6_NEXTHDR_FRAGMENT 44
#define IPV6_NEXTHDR_DEST 60

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

enum parse_verdict {
	PARSED,	     /* a TCP or UDP packet that may be for a VIP */
	NOT_VIP,     /* cannot be for a VIP: pass it untouched */
	MALFORMED,   /* bad or cut short; dropped if its address is a VIP's */
	PARSED_ICMP, /* ICMP or ICMPv6 to what may be a VIP address */
};

struct packet {
	struct xlb_flow_key key;
	__u8 tcp_flags;	  /* 0 for UDP */
	__u8 drop_reason; /* enum xlb_drop_reason, when MALFORMED */
	__u16 l4_off; /* PARSED_ICMP: offset of the ICMP header in the frame */
	__u32 frame_len;
} __attribute__((aligned(8))); /* the key's addresses take 8-byte stores */

/*
 * An IPv6 address in two 8-byte loads and stores: clang would read the
 * header (4-byte aligned) in four words and pair them with shifts. Packet
 * loads need no alignment on x86; the key sits at the aligned struct's start.
 */
static __always_inline void copy_addr6(union xlb_addr *to, const void *from)
{
	((__u64 *)(void *)to)[0] = ((const __u64 *)from)[0];
	((__u64 *)(void *)to)[1] = ((const __u64 *)from)[1];
}

struct hdr_cursor {
	void *pos;
};

static __always_inline enum parse_verdict malformed(struct packet *pkt,
						    enum xlb_drop_reason reason)
{
	pkt->drop_reason = reason;
	return MALFORMED;
}

/* Returns the EtherType in network order, or 0 when the frame is too short. */
static __always_inline __be16 parse_ethernet(struct hdr_cursor *nh,
					     void *data_end)
{
	struct ethhdr *eth = nh->pos;
	struct vlan_hdr *vlan;
	__be16 proto;

	if ((void *)(eth + 1) > data_end)
		return 0;
	nh->pos = eth + 1;
	proto = eth->h_proto;
	if (proto != bpf_htons(ETH_P_8021Q))
		return proto;

	vlan = nh->pos;
	if ((void *)(vlan + 1) > data_end)
		return 0;
	nh->pos = vlan + 1;
	return vlan->h_vlan_encapsulated_proto;
}

static __always_inline enum parse_verdict parse_ipv4(struct hdr_cursor *nh,
						     void *data_end,
						     struct packet *pkt,
						     void **ip_end)
{
	struct iphdr *iph = nh->pos;
	__u32 hdr_len, total_len;
	__u8 proto;

	if ((void *)(iph + 1) > data_end)
		return NOT_VIP; /* no destination to tell a VIP by */
	if (!prefilter_may_be_vip4(iph->daddr))
		return NOT_VIP;
	pkt->key.saddr.v4 = iph->saddr;
	pkt->key.daddr.v4 = iph->daddr;
	pkt->key.family = XLB_FAMILY_V4;

	proto = iph->protocol;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) {
		if (proto != IPPROTO_ICMP)
			return NOT_VIP;
		/* icmp.h checks the rest of the header: off the hot path. */
		pkt->key.proto = IPPROTO_ICMP;
		nh->pos = (void *)iph + iph->ihl * 4;
		return PARSED_ICMP;
	}
	pkt->key.proto = proto;

	hdr_len = iph->ihl * 4;
	total_len = bpf_ntohs(iph->tot_len);
	if (iph->version != 4 || hdr_len < sizeof(*iph) || total_len < hdr_len)
		return malformed(pkt, XLB_DROP_BAD_IP_HEADER);
	if ((void *)iph + total_len > data_end)
		return malformed(pkt, XLB_DROP_TRUNCATED);
	/* Later fragments carry no ports: no fragment can be balanced. */
	if (iph->frag_off & bpf_htons(IPV4_FRAG_MASK))
		return malformed(pkt, XLB_DROP_FRAGMENT);

	nh->pos = (void *)iph + hdr_len;
	*ip_end = (void *)iph + total_len;
	return PARSED;
}

static __always_inline enum parse_verdict parse_ipv6(struct hdr_cursor *nh,
						     void *data_end,
						     struct packet *pkt,
						     void **ip_end)
{
	struct ipv6hdr *ip6 = nh->pos;
	struct ipv6_opt_hdr *opt;
	__u8 nexthdr;

	if ((void *)(ip6 + 1) > data_end)
		return NOT_VIP;
	/* Before the key is written: other traffic leaves without a store. */
	if (!prefilter_may_be_vip_words(ip6->daddr.in6_u.u6_addr32))
		return NOT_VIP;
	copy_addr6(&pkt->key.saddr, &ip6->saddr);
	copy_addr6(&pkt->key.daddr, &ip6->daddr);
	pkt->key.family = XLB_FAMILY_V6;

	if (ip6->version != 6)
		return malformed(pkt, XLB_DROP_BAD_IP_HEADER);
	*ip_end = (void *)(ip6 + 1) + bpf_ntohs(ip6->payload_len);
	if (*ip_end > data_end)
		return malformed(pkt, XLB_DROP_TRUNCATED);

	nh->pos = ip6 + 1;
	nexthdr = ip6->nexthdr;
	for (int i = 0; i <= XLB_IPV6_EXTHDR_MAX; i++) {
		switch (nexthdr) {
		case IPPROTO_TCP:
		case IPPROTO_UDP:
			pkt->key.proto = nexthdr;
			return PARSED;
		case IPV6_NEXTHDR_HOP:
		case IPV6_NEXTHDR_DEST:
			if (i == XLB_IPV6_EXTHDR_MAX)
				return malformed(pkt, XLB_DROP_IPV6_EXTHDR);
			opt = nh->pos;
			if ((void *)(opt + 1) > data_end ||
			    (void *)(opt + 1) > *ip_end)
				return malformed(pkt, XLB_DROP_TRUNCATED);
			nexthdr = opt->nexthdr;
			nh->pos += (opt->hdrlen + 1) * 8;
			break;
		case IPV6_NEXTHDR_FRAGMENT:
			return malformed(pkt, XLB_DROP_FRAGMENT);
		case IPV6_NEXTHDR_ROUTING:
			/* The real destination is elsewhere: never ours. */
			return malformed(pkt, XLB_DROP_IPV6_EXTHDR);
		case IPPROTO_ICMPV6:
			pkt->key.proto = nexthdr;
			return PARSED_ICMP;
		default:
			return NOT_VIP; /* ESP, AH, ...: not TCP/UDP */
		}
	}
	return malformed(pkt, XLB_DROP_IPV6_EXTHDR);
}

static __always_inline enum parse_verdict parse_l4(struct hdr_cursor *nh,
						   void *data_end, void *ip_end,
						   struct packet *pkt)
{
	if (pkt->key.proto == IPPROTO_TCP) {
		struct tcphdr *th = nh->pos;

		if ((void *)(th + 1) > data_end || (void *)(th + 1) > ip_end)
			return malformed(pkt, XLB_DROP_TRUNCATED);
		if (th->doff < 5)
			return malformed(pkt, XLB_DROP_BAD_L4_HEADER);
		if (nh->pos + th->doff * 4 > ip_end)
			return malformed(pkt, XLB_DROP_TRUNCATED);
		pkt->key.sport = th->source;
		pkt->key.dport = th->dest;
		pkt->tcp_flags = ((__u8 *)th)[13];
	} else {
		struct udphdr *uh = nh->pos;
		__u32 udp_len;

		if ((void *)(uh + 1) > data_end || (void *)(uh + 1) > ip_end)
			return malformed(pkt, XLB_DROP_TRUNCATED);
		udp_len = bpf_ntohs(uh->len);
		if (udp_len < sizeof(*uh) || nh->pos + udp_len > ip_end)
			return malformed(pkt, XLB_DROP_BAD_L4_HEADER);
		pkt->key.sport = uh->source;
		pkt->key.dport = uh->dest;
	}
	return PARSED;
}

static __always_inline enum parse_verdict
parse_packet(void *data, void *data_end, struct packet *pkt)
{
	struct hdr_cursor nh = { .pos = data };
	enum parse_verdict verdict;
	void *ip_end = data_end;
	__be16 proto;

	pkt->frame_len = data_end - data;
	proto = parse_ethernet(&nh, data_end);
	if (proto == bpf_htons(ETH_P_IP))
		verdict = parse_ipv4(&nh, data_end, pkt, &ip_end);
	else if (proto == bpf_htons(ETH_P_IPV6))
		verdict = parse_ipv6(&nh, data_end, pkt, &ip_end);
	else
		return NOT_VIP;
	if (verdict != PARSED) {
		if (verdict == PARSED_ICMP)
			pkt->l4_off = nh.pos - data;
		return verdict;
	}
	return parse_l4(&nh, data_end, ip_end, pkt);
}

static __always_inline bool is_tcp_syn(const struct packet *pkt)
{
	return pkt->key.proto == IPPROTO_TCP &&
	       (pkt->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
}

#endif
