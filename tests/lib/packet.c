// SPDX-License-Identifier: GPL-2.0
#include "packet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

const __u8 pkt_src_mac[6] = { 0x02, 0xc1, 0x1e, 0x47, 0x00, 0x01 };
const __u8 pkt_dst_mac[6] = { 0x02, 0x1b, 0x00, 0x00, 0x00, 0x02 };

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void parse_addr(__u8 family, const char *text, __u8 *out)
{
	inet_pton(family == XLB_FAMILY_V4 ? AF_INET : AF_INET6, text, out);
}

void pkt_ipv4_checksum(struct pkt *p)
{
	__u8 *ip = p->data + p->l3;
	__u32 len = (ip[0] & 0xf) * 4, sum = 0;

	ip[10] = ip[11] = 0;
	for (__u32 i = 0; i + 1 < len; i += 2)
		sum += (ip[i] << 8) | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(ip + 10, ~sum & 0xffff);
}

static __u32 l4_header_len(const struct pkt_spec *s)
{
	switch (s->proto) {
	case IPPROTO_TCP:
		return 20;
	case IPPROTO_UDP:
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 8;
	default:
		return 0;
	}
}

static void build_l4(struct pkt *p, const struct pkt_spec *s)
{
	__u8 *l4 = p->data + p->l4;
	__u32 len = l4_header_len(s);

	if (s->proto == IPPROTO_TCP) {
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		l4[12] = 5 << 4; /* data offset */
		l4[13] = s->tcp_flags;
		put16(l4 + 14, 65535);
	} else if (s->proto == IPPROTO_UDP) {
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put16(l4 + 4, len + s->payload);
	} else {
		l4[0] = s->family == XLB_FAMILY_V4 ? 8 : 128; /* echo request */
	}
	for (__u32 i = 0; i < s->payload; i++)
		l4[len + i] = (__u8)(i * 7 + 1);
}

void pkt_build(struct pkt *p, const struct pkt_spec *s)
{
	__u32 off = 12, l4_len = l4_header_len(s) + s->payload;
	__u8 *d = p->data;

	memset(p, 0, sizeof(*p));
	memcpy(d, pkt_dst_mac, 6);
	memcpy(d + 6, pkt_src_mac, 6);
	if (s->vlan) {
		put16(d + off, 0x8100);
		put16(d + off + 2, s->vlan);
		off += 4;
	}
	put16(d + off, s->family == XLB_FAMILY_V4 ? 0x0800 : 0x86dd);
	off += 2;
	p->l3 = off;

	if (s->family == XLB_FAMILY_V4) {
		__u32 hlen = 20 + s->ip_options;

		d[off] = 0x40 | (hlen / 4);
		put16(d + off + 2, hlen + l4_len);
		put16(d + off + 4, 0x1234);
		d[off + 8] = 64;
		d[off + 9] = s->proto;
		parse_addr(s->family, s->src, d + off + 12);
		parse_addr(s->family, s->dst, d + off + 16);
		for (__u32 i = 20; i < hlen; i++)
			d[off + i] = 1; /* NOP options */
		p->l4 = off + hlen;
		pkt_ipv4_checksum(p);
	} else {
		__u32 ext = s->v6_ext ? 8 : 0;

		d[off] = 0x60;
		put16(d + off + 4, ext + l4_len);
		d[off + 6] = s->v6_ext ? s->v6_ext : s->proto;
		d[off + 7] = 64;
		parse_addr(s->family, s->src, d + off + 8);
		parse_addr(s->family, s->dst, d + off + 24);
		if (ext) {
			d[off + 40] = s->proto; /* next header */
			d[off + 41] = 0;	/* length: 8 bytes */
			if (s->v6_ext == 44)	/* fragment: offset 0, more */
				d[off + 43] = 1;
		}
		p->l4 = off + 40 + ext;
	}
	build_l4(p, s);
	p->len = p->l4 + l4_len;
	if (p->len < 60)
		p->len = 60; /* Ethernet pads short frames */
}

struct xlb_flow_key pkt_flow_key(const struct pkt_spec *s)
{
	struct xlb_flow_key key = {
		.sport = htons(s->sport),
		.dport = htons(s->dport),
		.proto = s->proto,
		.family = s->family,
	};

	parse_addr(s->family, s->src, key.saddr.bytes);
	parse_addr(s->family, s->dst, key.daddr.bytes);
	return key;
}
