// SPDX-License-Identifier: GPL-2.0
/*
 * xlb_decap: XDP on a backend of an ipip or gue VIP. This kernel has no
 * tunnel modules, so the backend strips the outer headers itself: an IPv4
 * or IPv6 packet carrying IPv4 (4) or IPv6 (41), or UDP to the GUE port
 * carrying either, whose inner destination is one of the configured VIPs
 * loses its outer headers and goes up the stack as if it had arrived plain.
 * The backend holds the VIP on its loopback and answers the client directly
 * (L3 DSR). Everything else passes untouched.
 *
 * GUE: variant 1 (the inner IP header right after UDP: what the LB sends)
 * and variant 0 without extensions (4-byte header, protocol 4 or 41). The
 * UDP checksum is not checked, so a zero one over IPv6 is taken (RFC 6935:
 * the inner packet carries its own checksum, which the stack checks).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xlb_decap.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPV4_FRAG_MASK 0x3fff
/* The longest outer headers: IPv6 + UDP + a variant-0 GUE header. */
#define OUTER_MAX (40 + 8 + 4)

/* GUE's UDP destination port, host order; set by the loader, 0 = no GUE. */
const volatile __u16 gue_port = XLB_GUE_PORT_DEFAULT;

/* The VIPs whose encapsulated packets are stripped. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XLB_DECAP_MAX_VIPS);
	__type(key, struct xlb_addr_key);
	__type(value, __u32);
} xlb_decap_vips SEC(".maps");

/* Per-CPU counters, summed by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_decap_counters);
} xlb_decap_stats SEC(".maps");

/* The outer header's length and the inner protocol, or 0 if not ipip. */
static __always_inline int outer_header(void *l3, void *data_end, __be16 proto,
					__u8 *inner)
{
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;

		if ((void *)(ip + 1) > data_end || ip->ihl != 5 ||
		    (ip->frag_off & bpf_htons(IPV4_FRAG_MASK)))
			return 0;
		*inner = ip->protocol;
		return sizeof(*ip);
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end)
			return 0;
		*inner = ip6->nexthdr;
		return sizeof(*ip6);
	}
	return 0;
}

/*
 * After an outer UDP header: its length with the GUE header, and the inner
 * protocol, or 0 if it is not GUE we take.
 */
static __always_inline int gue_header(void *l4, void *data_end, __u8 *inner)
{
	struct udphdr *udp = l4;
	__u8 *gue = (void *)(udp + 1);

	if ((void *)(gue + 4) > data_end || !gue_port ||
	    udp->dest != bpf_htons(gue_port))
		return 0;
	switch (gue[0] >> 6) {
	case 1: /* variant 1: the IP header's version nibble, 0100 or 0110 */
		if (gue[0] >> 4 == 4)
			*inner = IPPROTO_IPIP;
		else if (gue[0] >> 4 == 6)
			*inner = IPPROTO_IPV6;
		else
			return 0;
		return sizeof(*udp);
	case 0: /* variant 0: no control bit, no extensions, no flags */
		if (gue[0] || gue[2] || gue[3] ||
		    (gue[1] != IPPROTO_IPIP && gue[1] != IPPROTO_IPV6))
			return 0;
		*inner = gue[1];
		return sizeof(*udp) + 4;
	}
	return 0;
}

SEC("xdp")
int xlb_decap(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct xlb_decap_counters *c;
	struct xlb_addr_key key = {};
	struct ethhdr *eth = data;
	__be16 inner_eth;
	__u32 zero = 0;
	__u8 inner = 0;
	bool gue = false;
	void *l3;
	int len;

	c = bpf_map_lookup_elem(&xlb_decap_stats, &zero);
	if (!c)
		return XDP_PASS;
	if ((void *)(eth + 1) > data_end)
		goto pass;
	len = outer_header(eth + 1, data_end, eth->h_proto, &inner);
	if (len && inner == IPPROTO_UDP) {
		int udp_len =
			gue_header((void *)(eth + 1) + len, data_end, &inner);

		if (!udp_len)
			goto pass;
		len += udp_len;
		gue = true;
	}
	if (!len || len > OUTER_MAX ||
	    (inner != IPPROTO_IPIP && inner != IPPROTO_IPV6))
		goto pass;
	l3 = (void *)(eth + 1) + len;
	if (inner == IPPROTO_IPIP) {
		struct iphdr *ip = l3;

		if ((void *)(ip + 1) > data_end)
			goto pass;
		key.family = XLB_FAMILY_V4;
		key.addr.v4 = ip->daddr;
		inner_eth = bpf_htons(ETH_P_IP);
	} else {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end)
			goto pass;
		key.family = XLB_FAMILY_V6;
		__builtin_memcpy(&key.addr, &ip6->daddr, 16);
		inner_eth = bpf_htons(ETH_P_IPV6);
	}
	if (!bpf_map_lookup_elem(&xlb_decap_vips, &key)) {
		c->not_vip++;
		return XDP_PASS;
	}

	/* The Ethernet header moves forward over the outer headers. */
	{
		struct ethhdr *moved = data + len;

		if ((void *)(moved + 1) > data_end)
			goto pass;
		__builtin_memmove(moved, eth, 12);
		moved->h_proto = inner_eth;
	}
	if (bpf_xdp_adjust_head(ctx, len))
		return XDP_ABORTED;
	if (gue)
		c->gue_decapsulated++;
	else
		c->decapsulated++;
	return XDP_PASS;
pass:
	c->passed++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
