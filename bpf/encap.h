/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipip and gue: the frame goes to its backend inside an outer header, so
 * the backend may sit in another subnet. Outer family = the backend's,
 * inner = the VIP's (4-in-4, 6-in-6, 4-in-6, 6-in-4). Outer source: the
 * LB's address from xlb_config; next hop and both MACs: bpf_fib_lookup
 * towards the backend. The backend's decap program (decap.bpf.c) strips the
 * header and the backend answers the client directly.
 *
 * ipip: [outer IP, protocol 4 or 41][inner packet].
 * gue:  [outer IP, protocol 17][UDP][inner packet]: GUE variant 1 (direct
 * IP-in-UDP, draft-ietf-intarea-gue section 4), where the inner header's
 * version nibble (0100 or 0110) is the GUE version field 01. It is what
 * Katran sends and what Linux's GUE receive takes, and 4 bytes shorter than
 * variant 0. The UDP source port comes from the flow hash, so an underlay
 * that spreads by 5-tuple spreads flows; the checksum is zero, for an IPv6
 * outer header too (RFC 6935/6936: the inner packet carries its own).
 *
 * One-armed, the frame leaves by XDP_TX; two-armed (the route leaves by
 * another interface of the LB), by XDP_REDIRECT through xlb_devmap to that
 * interface, with its MAC as the source, if xlb is attached to it.
 *
 * A frame too big for the route once encapsulated is answered, as a router
 * would, with ICMP fragmentation needed (IPv4 with DF) or ICMPv6 packet too
 * big, carrying the MTU the client may use; an IPv4 packet without DF is
 * dropped (XDP cannot fragment). Either way it counts encap_too_big.
 */
#ifndef XLB_BPF_ENCAP_H
#define XLB_BPF_ENCAP_H

#include "maps.h"
#include "parse.h"
#include "xlb_hash.h"

#define ENCAP_TTL 64
#define ENCAP_IPV4_DF 0x4000
#define ENCAP_AF_INET 2
#define ENCAP_AF_INET6 10
#define ENCAP_V4_LEN 20
#define ENCAP_V6_LEN 40
#define ENCAP_UDP_LEN 8
/* The L2 header moved on adjust_head: Ethernet and at most one 802.1Q tag. */
#define ENCAP_L2_MAX 18
#define ENCAP_IPV6_MIN_MTU 1280
#define ENCAP_ICMPV6 58

/* Sums n 16-bit words at p into sum (unfolded); n is a constant. */
static __always_inline __u32 encap_sum16(const void *p, int n, __u32 sum)
{
	const __u16 *w = p;

	for (int i = 0; i < n; i++)
		sum += w[i];
	return sum;
}

static __always_inline __u16 encap_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* The inner header's TOS / traffic class and whether it forbids fragments. */
static __always_inline int encap_inner_info(void *l3, void *data_end,
					    __u8 family, __u8 *tos, bool *df)
{
	if (family == XLB_FAMILY_V4) {
		struct iphdr *iph = l3;

		if ((void *)(iph + 1) > data_end)
			return -1;
		*tos = iph->tos;
		*df = iph->frag_off & bpf_htons(ENCAP_IPV4_DF);
		return 0;
	}
	if (l3 + 4 > data_end)
		return -1;
	*tos = bpf_ntohl(*(__be32 *)l3) >> 20;
	*df = true; /* IPv6 is never fragmented on the way */
	return 0;
}

/*
 * Readies the frame for an ICMP error back where it came from: cut to its L2
 * header and the first quote bytes of the packet, hdr bytes opened in front
 * of them (the L2 header moves forward), MACs swapped, EtherType set to proto.
 * The caller reloads ctx->data and bounds-checks what it writes.
 */
static __always_inline int encap_reply_room(struct xdp_md *ctx, __u32 l3_off,
					    int quote, int hdr, __be16 proto)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth;
	__u8 mac[6];
	int delta;

	delta = (int)(l3_off + quote) - (int)(data_end - data);
	if (delta < 0 && bpf_xdp_adjust_tail(ctx, delta))
		return -1;
	if (bpf_xdp_adjust_head(ctx, -hdr))
		return -1;
	data_end = (void *)(long)ctx->data_end;
	data = (void *)(long)ctx->data;
	if (data + hdr + ENCAP_L2_MAX > data_end)
		return -1;
	__builtin_memcpy(data, data + hdr, ENCAP_L2_MAX);
	if (l3_off > ENCAP_L2_MAX)
		return -1;
	eth = data;
	__builtin_memcpy(mac, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, mac, 6);
	*(__be16 *)(data + l3_off - 2) = proto;
	return 0;
}

/*
 * Turns the frame into an ICMP error to the client and sends it back where
 * it came from: [L2][IP][ICMP][quoted inner IP header + 8 bytes]. Source is
 * the VIP (the address the client wrote to), as the LB owns the path.
 */
static __always_inline int encap_too_big_v4(struct xdp_md *ctx, __u32 l3_off,
					    __u16 mtu)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	const int quote = 28, hdr = 28;
	struct iphdr *ip, *inner;
	struct icmphdr *icmp;

	inner = data + l3_off;
	if ((void *)(inner + 1) > data_end || inner->ihl != 5)
		return XDP_DROP;
	if (encap_reply_room(ctx, l3_off, quote, hdr, bpf_htons(ETH_P_IP)))
		return XDP_DROP;
	data_end = (void *)(long)ctx->data_end;
	data = (void *)(long)ctx->data;
	if (l3_off > ENCAP_L2_MAX)
		return XDP_DROP;
	ip = data + l3_off;
	icmp = (void *)(ip + 1);
	inner = (void *)(icmp + 1);
	if ((void *)inner + quote > data_end)
		return XDP_DROP;

	*(__u8 *)ip = 0x45;
	ip->tos = 0;
	ip->tot_len = bpf_htons(20 + 8 + quote);
	ip->id = 0;
	ip->frag_off = 0;
	ip->ttl = ENCAP_TTL;
	ip->protocol = IPPROTO_ICMP;
	ip->check = 0;
	ip->saddr = inner->daddr;
	ip->daddr = inner->saddr;
	ip->check = encap_fold(encap_sum16(ip, 10, 0));

	icmp->type = 3; /* destination unreachable */
	icmp->code = 4; /* fragmentation needed and DF set */
	icmp->checksum = 0;
	icmp->un.frag.__unused = 0;
	icmp->un.frag.mtu = bpf_htons(mtu);
	icmp->checksum = encap_fold(encap_sum16(icmp, (8 + quote) / 2, 0));
	return XDP_TX;
}

static __always_inline int encap_too_big_v6(struct xdp_md *ctx, __u32 l3_off,
					    __u16 mtu)
{
	const int quote = 48, hdr = 48;
	struct ipv6hdr *ip, *inner;
	void *data_end, *data;
	__u8 *icmp;
	__u32 sum;

	if (encap_reply_room(ctx, l3_off, quote, hdr, bpf_htons(ETH_P_IPV6)))
		return XDP_DROP;
	data_end = (void *)(long)ctx->data_end;
	data = (void *)(long)ctx->data;
	if (l3_off > ENCAP_L2_MAX)
		return XDP_DROP;
	ip = data + l3_off;
	icmp = (void *)(ip + 1);
	inner = (void *)(icmp + 8);
	if ((void *)inner + quote > data_end)
		return XDP_DROP;

	*(__be32 *)ip = bpf_htonl(0x60000000);
	ip->payload_len = bpf_htons(8 + quote);
	ip->nexthdr = ENCAP_ICMPV6;
	ip->hop_limit = ENCAP_TTL;
	ip->saddr = inner->daddr;
	ip->daddr = inner->saddr;

	icmp[0] = 2; /* packet too big */
	icmp[1] = 0;
	*(__u16 *)(icmp + 2) = 0;
	*(__be32 *)(icmp + 4) = bpf_htonl(mtu);
	/* Pseudo-header: addresses, upper-layer length, next header. */
	sum = encap_sum16(&ip->saddr, 16, 0);
	sum += bpf_htons(8 + quote) + bpf_htons(ENCAP_ICMPV6);
	sum = encap_sum16(icmp, (8 + quote) / 2, sum);
	*(__u16 *)(icmp + 2) = encap_fold(sum);
	return XDP_TX;
}

static __always_inline int encap_too_big(struct xdp_md *ctx, __u32 l3_off,
					 __u8 family, bool df, __u32 mtu)
{
	if (family == XLB_FAMILY_V4)
		return df ? encap_too_big_v4(ctx, l3_off, mtu) : XDP_DROP;
	return encap_too_big_v6(ctx, l3_off,
				mtu < ENCAP_IPV6_MIN_MTU ? ENCAP_IPV6_MIN_MTU
							 : mtu);
}

/*
 * Writes the outer header of length outer_len (20 or 40) in front of the
 * inner packet, after the L2 header, which moves to the new start.
 */
static __always_inline int encap_push(struct xdp_md *ctx, __u32 l3_off,
				      int outer_len, void **outer)
{
	void *data_end, *data;

	if (bpf_xdp_adjust_head(ctx, -outer_len))
		return -1;
	data_end = (void *)(long)ctx->data_end;
	data = (void *)(long)ctx->data;
	if (data + outer_len + ENCAP_L2_MAX > data_end)
		return -1;
	/* 18 bytes even for an untagged frame: the outer header overwrites. */
	__builtin_memcpy(data, data + outer_len, ENCAP_L2_MAX);
	if (l3_off > ENCAP_L2_MAX)
		return -1;
	*outer = data + l3_off;
	if (*outer + outer_len > data_end)
		return -1;
	return 0;
}

/*
 * A hash of the 5-tuple for the outer source port: each address folded to
 * one word, so three mixing rounds inline. xlb_flow_hash is a BPF call with
 * a frame of its own, and from the ICMP path that frame would take the
 * combined stack past 512 bytes.
 */
static __always_inline __u32 encap_flow_hash(const struct xlb_flow_key *k,
					     __u32 seed)
{
	const __u32 *s = k->saddr.v6, *d = k->daddr.v6;
	__u32 h = seed;

	h = xlb_hash_mix(h, s[0] ^ s[1] ^ s[2] ^ s[3]);
	h = xlb_hash_mix(h, d[0] ^ d[1] ^ d[2] ^ d[3]);
	h = xlb_hash_mix(h, ((__u32)k->sport << 16 | k->dport) ^ k->proto);
	return xlb_hash_final(h, 12);
}

/*
 * The outer UDP header of gue: source port from the flow hash (the same
 * flow always the same port), destination the configured one, checksum
 * zero (see the top of this file).
 */
static __always_inline void encap_udp(struct udphdr *udp,
				      const struct packet *pkt,
				      const struct xlb_config *cfg,
				      __u32 inner_len)
{
	__u32 hash = encap_flow_hash(&pkt->key, cfg->hash_seed);

	udp->source =
		bpf_htons(XLB_GUE_SPORT_BASE + (hash & XLB_GUE_SPORT_MASK));
	udp->dest = bpf_htons(cfg->gue_port);
	udp->len = bpf_htons(inner_len + ENCAP_UDP_LEN);
	udp->check = 0;
}

static __always_inline void encap_ipv4(struct iphdr *ip,
				       const struct xlb_backend *be,
				       const struct xlb_config *cfg, __u8 tos,
				       bool df, __u8 proto, __u32 len)
{
	*(__u8 *)ip = 0x45;
	ip->tos = tos;
	ip->tot_len = bpf_htons(len);
	ip->id = 0;
	ip->frag_off = df ? bpf_htons(ENCAP_IPV4_DF) : 0;
	ip->ttl = ENCAP_TTL;
	ip->protocol = proto;
	ip->check = 0;
	ip->saddr = cfg->tunnel_source4.v4;
	ip->daddr = be->addr.v4;
	ip->check = encap_fold(encap_sum16(ip, 10, 0));
}

static __always_inline void encap_ipv6(struct ipv6hdr *ip6,
				       const struct xlb_backend *be,
				       const struct xlb_config *cfg, __u8 tos,
				       __u8 proto, __u32 payload_len)
{
	*(__be32 *)ip6 = bpf_htonl(0x60000000 | (__u32)tos << 20);
	ip6->payload_len = bpf_htons(payload_len);
	ip6->nexthdr = proto;
	ip6->hop_limit = ENCAP_TTL;
	__builtin_memcpy(&ip6->saddr, cfg->tunnel_source6.v6, 16);
	__builtin_memcpy(&ip6->daddr, be->addr.v6, 16);
}

/*
 * Pushes and writes the outer headers: IP (by the backend's family) and,
 * for gue, UDP. Each length a constant in its branch, for the verifier.
 */
static __always_inline int
encap_write(struct xdp_md *ctx, __u32 l3_off, const struct xlb_backend *be,
	    const struct packet *pkt, const struct xlb_config *cfg, bool gue,
	    __u8 tos, bool df, __u8 proto, __u32 inner_len, void **outer)
{
	if (be->family == XLB_FAMILY_V4 && !gue) {
		if (encap_push(ctx, l3_off, ENCAP_V4_LEN, outer))
			return -1;
		encap_ipv4(*outer, be, cfg, tos, df, proto,
			   inner_len + ENCAP_V4_LEN);
	} else if (be->family == XLB_FAMILY_V4) {
		if (encap_push(ctx, l3_off, ENCAP_V4_LEN + ENCAP_UDP_LEN,
			       outer))
			return -1;
		encap_ipv4(*outer, be, cfg, tos, df, IPPROTO_UDP,
			   inner_len + ENCAP_V4_LEN + ENCAP_UDP_LEN);
		encap_udp(*outer + ENCAP_V4_LEN, pkt, cfg, inner_len);
	} else if (!gue) {
		if (encap_push(ctx, l3_off, ENCAP_V6_LEN, outer))
			return -1;
		encap_ipv6(*outer, be, cfg, tos, proto, inner_len);
	} else {
		if (encap_push(ctx, l3_off, ENCAP_V6_LEN + ENCAP_UDP_LEN,
			       outer))
			return -1;
		encap_ipv6(*outer, be, cfg, tos, IPPROTO_UDP,
			   inner_len + ENCAP_UDP_LEN);
		encap_udp(*outer + ENCAP_V6_LEN, pkt, cfg, inner_len);
	}
	return 0;
}

static __always_inline int forward_encap(struct xdp_md *ctx,
					 const struct xlb_backend *be,
					 const struct packet *pkt,
					 struct xlb_global_counters *global,
					 bool gue)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct bpf_fib_lookup fib = {};
	struct ethhdr *eth = data;
	struct xlb_config *cfg;
	__u32 zero = 0, l3_off, inner_len, overhead;
	__u8 tos, proto;
	bool df, other_dev;
	void *outer;
	int rc;

	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	l3_off = eth->h_proto == bpf_htons(ETH_P_8021Q) ? 18 : 14;
	if (encap_inner_info(data + l3_off, data_end, pkt->key.family, &tos,
			     &df))
		return XDP_ABORTED;
	inner_len = data_end - data - l3_off;
	proto = pkt->key.family == XLB_FAMILY_V4 ? IPPROTO_IPIP : IPPROTO_IPV6;
	cfg = bpf_map_lookup_elem(&xlb_config, &zero);
	if (!cfg)
		return XDP_ABORTED;
	overhead = (be->family == XLB_FAMILY_V4 ? ENCAP_V4_LEN : ENCAP_V6_LEN) +
		   (gue ? ENCAP_UDP_LEN : 0);

	fib.ifindex = ctx->ingress_ifindex;
	fib.l4_protocol = gue ? IPPROTO_UDP : proto;
	fib.tot_len = inner_len + overhead;
	if (be->family == XLB_FAMILY_V4) {
		fib.family = ENCAP_AF_INET;
		fib.tos = tos;
		fib.ipv4_src = cfg->tunnel_source4.v4;
		fib.ipv4_dst = be->addr.v4;
	} else {
		fib.family = ENCAP_AF_INET6;
		__builtin_memcpy(fib.ipv6_src, cfg->tunnel_source6.v6, 16);
		__builtin_memcpy(fib.ipv6_dst, be->addr.v6, 16);
	}
	if (!fib.ipv4_src && !fib.ipv6_src[1] && !fib.ipv6_src[2] &&
	    !fib.ipv6_src[3]) {
		global->encap_no_route++; /* no outer source configured */
		return XDP_DROP;
	}
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED) {
		global->encap_too_big++;
		return encap_too_big(ctx, l3_off, pkt->key.family, df,
				     fib.mtu_result - overhead);
	}
	if (rc != BPF_FIB_LKUP_RET_SUCCESS) {
		global->encap_no_route++;
		return XDP_DROP;
	}
	/*
	 * Two-armed: the route leaves by another interface. Redirected there
	 * only if xlb runs on it (xlb_devmap), else passed as it came.
	 */
	other_dev = fib.ifindex != ctx->ingress_ifindex;
	if (other_dev && !bpf_map_lookup_elem(&xlb_devmap, &fib.ifindex)) {
		global->encap_other_dev++;
		return XDP_PASS;
	}

	if (encap_write(ctx, l3_off, be, pkt, cfg, gue, tos, df, proto,
			inner_len, &outer))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	*(__be16 *)(outer - 2) =
		bpf_htons(be->family == XLB_FAMILY_V4 ? ETH_P_IP : ETH_P_IPV6);
	eth = data;
	if ((void *)(eth + 1) > (void *)(long)ctx->data_end)
		return XDP_ABORTED;
	/* smac: the MAC of the interface the FIB names, either way. */
	__builtin_memcpy(eth->h_dest, fib.dmac, 6);
	__builtin_memcpy(eth->h_source, fib.smac, 6);
	global->encap_sent++;
	if (!other_dev)
		return XDP_TX;
	return bpf_redirect_map(&xlb_devmap, fib.ifindex, 0);
}

#endif
